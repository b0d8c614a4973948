"""The stand-in Python language host, driven over gRPC as the engine drives it (no Go, no CLI).

Run is exercised against a minimal in-process engine: a `ResourceMonitor` that accepts registrations and
an `Engine` that collects log messages, which is all a program registering a stack needs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    analyzer_pb2_grpc,
    engine_pb2,
    engine_pb2_grpc,
    language_pb2,
    language_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from mlplat.engine.standin.language import package_dependency, plugin_version
from policies.pack import PACK_NAME
from tests.conftest import ROOT


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self) -> None:
        self.registered: list[tuple[str, str]] = []

    def GetDeploymentInfo(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not in this test engine")

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=False)

    def RegisterResource(self, request, context):
        self.registered.append((request.type, request.name))
        urn = f"urn:pulumi:dev::demo::{request.type}::{request.name}"
        return resource_pb2.RegisterResourceResponse(urn=urn, object=struct_pb2.Struct())

    def RegisterResourceOutputs(self, request, context):
        return empty_pb2.Empty()


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []  # errors only

    def Log(self, request, context):
        if request.severity == engine_pb2.ERROR:
            self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request, context):
        return engine_pb2.SetRootResourceResponse()


@pytest.fixture(scope="module")
def host() -> Iterator[language_pb2_grpc.LanguageRuntimeStub]:
    """`pulumi-language-python` as the engine starts it: a process that prints its port on stdout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlplat.engine.standin.language"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield language_pb2_grpc.LanguageRuntimeStub(channel)
    channel.close()
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.fixture()
def engine() -> Iterator[tuple[str, Monitor, Engine]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    monitor, eng = Monitor(), Engine()
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(eng, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", monitor, eng
    server.stop(0)


def struct_from(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def info(root: Path, options: dict[str, Any]) -> language_pb2.ProgramInfo:
    return language_pb2.ProgramInfo(
        root_directory=str(root),
        program_directory=str(root / "prog"),
        entry_point=".",
        options=struct_from(options),
    )


def program(tmp_path: Path, body: str) -> Path:
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__main__.py").write_text(body)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    return tmp_path


def run(host, address: str, root: Path, **extra: Any) -> language_pb2.RunResponse:
    host.Handshake(language_pb2.LanguageHandshakeRequest(engine_address=address))
    return host.Run(
        language_pb2.RunRequest(
            project="demo",
            stack="dev",
            pwd=str(root / "prog"),
            dryRun=True,
            parallel=4,
            monitor_address=address,
            organization="organization",
            info=info(root, {"virtualenv": ".venv"}),
            **extra,
        )
    )


@pytest.mark.parametrize(
    ("pep440", "semver"),
    [
        ("7.51.1", "7.51.1"),
        ("1.2", "1.2.0"),
        ("3.31.0a1605189729", "3.31.0-alpha.1605189729"),
        ("1.2.3b4", "1.2.3-beta.4"),
        ("1.2.3rc4", "1.2.3-rc.4"),
        ("1.2.3.post4", "1.2.3+post4"),
        ("1.2.3.post4.dev5", "1.2.3+post4dev5"),
        ("1.2.3.dev5", "1.2.3+dev5"),
        ("1!2.0", None),
    ],
)
def test_plugin_version_translates_pep440_as_the_go_host(pep440: str, semver: str | None) -> None:
    assert plugin_version(pep440) == semver


def test_package_dependency_prefers_pulumi_plugin_json() -> None:
    dep = package_dependency("pulumi-azure-native", "3.29.0", {"resource": True, "name": "azure-native"})
    assert dep is not None
    assert (dep.name, dep.version, dep.kind) == ("azure-native", "v3.29.0", "resource")
    derived = package_dependency("pulumi-random", "4.1", None)
    assert derived is not None and (derived.name, derived.version) == ("random", "v4.1.0")
    assert package_dependency("pulumi-x", "1.0.0", {"resource": False}) is None


def test_required_packages_are_the_installed_sdks(host) -> None:
    packages = host.GetRequiredPackages(
        language_pb2.GetRequiredPackagesRequest(info=info(ROOT, {"virtualenv": ".venv"}))
    ).packages
    names = {p.name: p.version for p in packages}
    assert {"aws", "gcp", "azure-native", "kubernetes"} <= set(names)
    assert "policy" not in names  # pulumi-policy has no plugin
    with pytest.raises(grpc.RpcError) as refused:
        host.GetRequiredPlugins(language_pb2.GetRequiredPluginsRequest())
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_run_registers_the_stack_with_config(host, engine, tmp_path: Path) -> None:
    address, monitor, eng = engine
    root = program(
        tmp_path,
        "import pulumi\n"
        "c = pulumi.Config('demo')\n"
        "assert c.require('size') == '3' and pulumi.get_stack() == 'dev' and pulumi.runtime.is_dry_run()\n"
        "pulumi.export('size', c.require_secret('token'))\n",
    )
    response = run(
        host, address, root, config={"demo:size": "3", "demo:token": "t"}, configSecretKeys=["demo:token"]
    )
    assert (response.error, response.bail) == ("", False), eng.logs
    assert ("pulumi:pulumi:Stack", "demo-dev") in monitor.registered


def test_run_error_is_one_line_and_exit_1(host, engine, tmp_path: Path) -> None:
    address, _, eng = engine
    root = program(tmp_path, "import pulumi\nraise pulumi.RunError('Pulumi.dev.yaml: mlplat:x: bad')\n")
    response = run(host, address, root)
    assert response.error == "program exited with non-zero exit code: 1"
    assert [m for _, m in eng.logs] == ["Pulumi.dev.yaml: mlplat:x: bad"]


def test_unhandled_exception_bails_with_the_users_traceback(host, engine, tmp_path: Path) -> None:
    address, _, eng = engine
    root = program(tmp_path, "def f():\n    raise ValueError('boom')\nf()\n")
    response = run(host, address, root)
    assert (response.error, response.bail) == ("", True)
    (message,) = [m for _, m in eng.logs]
    assert (
        message.startswith("Program failed with an unhandled exception:\n") and "ValueError: boom" in message
    )
    assert "language_exec.py" not in message  # the user's frames only


def test_missing_virtualenv_is_the_real_hosts_error(host, engine, tmp_path: Path) -> None:
    address, _, _ = engine
    with pytest.raises(grpc.RpcError) as refused:
        host.Run(
            language_pb2.RunRequest(
                monitor_address=address, info=info(tmp_path, {"virtualenv": "venv-missing"})
            )
        )
    assert "The 'virtualenv' option in Pulumi.yaml is set to 'venv-missing'" in str(refused.value.details())


def test_run_plugin_starts_the_policy_pack_as_an_analyzer(host, engine) -> None:
    """`--policy-pack policies`: the engine asks the language host to run the pack; it prints its port."""
    address, _, _ = engine
    policies = ROOT / "policies"
    stream = host.RunPlugin(
        language_pb2.RunPluginRequest(
            pwd=str(ROOT),
            args=[address],
            kind="analyzer",
            info=language_pb2.ProgramInfo(
                root_directory=str(policies),
                program_directory=str(policies),
                entry_point=".",
                options=struct_from({"virtualenv": "../.venv"}),
            ),
        )
    )
    out = b""
    for message in stream:
        out += message.stdout
        if b"\n" in out:
            break
    port = int(out.split(b"\n", 1)[0])
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME and info.policies
    channel.close()
    stream.cancel()
