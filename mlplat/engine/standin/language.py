"""A stand-in `pulumi-language-python`: the Python language host, for the real Pulumi CLI in `make e2e`.

Why a stand-in: the Go module proxy refuses the real host's module,
`github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3`, at every version (HTTP 403 "This
module version is not available"), so `tools/e2e/build.sh` cannot build it, and without a
`pulumi-language-python` plugin the CLI runs no Python program at all.

`python -m mlplat.engine.standin.language [flags] <engine address>` is started the way the engine starts
a language plugin (pulumi/pulumi `sdk/go/common/resource/plugin/langruntime_plugin.go`,
`NewLanguageRuntime`: the engine's address is the last argument): it serves `pulumirpc.LanguageRuntime`
on 127.0.0.1, prints its port on stdout, and stops when the engine stops answering.

What it implements, each behaviour read from the real host, pulumi/pulumi
`sdk/python/cmd/pulumi-language-python/main.go` (snapshot 1b5949891b; the v3.274.0 tag is not in the
mirror) and `sdk/python/toolchain/pip.go`, and re-written here:
- Handshake: remembers the engine address (main.go `Handshake`).
- GetPluginInfo: this host's version (the installed Python SDK's).
- GetRequiredPackages: every installed distribution of the program's virtualenv that has a
  `pulumi-plugin.json` next to its top-level module, or whose name starts with `pulumi-` (except
  `pulumi-policy` and `pulumi-esc-sdk`, which have no plugin); the name/version/server from that file, else
  derived from the distribution (name without `pulumi-`, PEP 440 version translated to semver); skipped when
  the file says `"resource": false` (main.go `listPulumiPackageInfos`, `packageDependencyFromPluginJSON`,
  `determinePluginVersion`). GetRequiredPlugins answers UNIMPLEMENTED, as the real host does; the engine then
  uses GetRequiredPackages (langruntime_plugin.go).
- Run: the program runs in a child process, `<virtualenv>/bin/python language_exec.py <flags> <entry point>`,
  with the virtualenv activated (PATH, VIRTUAL_ENV), config in PULUMI_CONFIG and the secret keys in
  PULUMI_CONFIG_SECRET_KEYS, the child's output going to this host's stdout/stderr (which the engine
  reads). `runtime.options.virtualenv` is resolved against the project root; a missing one is the real
  host's error. Exit 0 -> no error; exit 32 -> `bail` (the program already printed its error); any other
  exit -> "program exited with non-zero exit code: N" (main.go `Run`, `constructArguments`,
  `constructConfig`, `constructConfigSecretKeys`; toolchain/pip.go `Command`, `ValidateVenv`,
  toolchain.go `ActivateVirtualEnv`).
- RunPlugin: runs the policy pack (`--policy-pack policies`): since the engine finds a `python` language
  plugin, it no longer starts `pulumi-analyzer-policy-python` but asks the language host to run the pack
  (sdk/go/common/resource/plugin/analyzer_plugin.go `NewPolicyAnalyzer`, plugin.go `newPlugin`); as the
  real host does, `python -u -m pulumi.policy <engine> <pack dir>` in the pack's virtualenv (main.go `RunPlugin`).
- Cancel: interrupts a running program (SIGINT), as the real host's command cancel does.
- GetProgramDependencies, About, InstallDependencies, RuntimeOptionsPrompts: minimal but valid; the
  stand-in installs nothing (the virtualenv is the project's `.venv`, set up by `make setup`).
Everything else (codegen, Pack, Link, Template) answers UNIMPLEMENTED.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from mlplat.engine.standin.server import _watch_engine

EXECUTOR = Path(__file__).with_name("language_exec.py")
NO_PLUGIN = frozenset({"pulumi-policy", "pulumi-esc-sdk"})  # main.go packagesWithoutPlugins

# Run in the program's virtualenv: each installed distribution, its version, and the path of the
# `pulumi-plugin.json` beside its top-level module ("" when there is none).
_LIST_PACKAGES = r"""
import importlib.metadata as md, importlib.util, json, os, re
out = []
for dist in md.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    found = ""
    try:
        spec = importlib.util.find_spec(name.replace("-", "_"))
        for loc in (spec.submodule_search_locations or []) if spec else []:
            path = os.path.join(str(loc), "pulumi-plugin.json")
            if os.path.isfile(path):
                found = path
                break
    except Exception:
        pass
    out.append({"name": re.sub(r"[-_.]+", "-", name.lower()), "version": dist.version, "plugin": found})
print(json.dumps(out))
"""


class VirtualenvError(Exception):
    pass


def host_version() -> str:
    return importlib.metadata.version("pulumi")


def plugin_version(package_version: str) -> str | None:
    """A PEP 440 version as the plugin's semver, or None when it cannot be (main.go determinePluginVersion).

    `1.2` -> `1.2.0`; `1.2.3a4` -> `1.2.3-alpha.4`, `b` -> beta, `rc` -> rc; `.postN` -> `+postN`;
    `.devN` -> `+devN` (or `devN` after a post part). Epochs and local versions are refused.
    """
    match = re.fullmatch(
        r"(?P<release>\d+(?:\.\d+)*)(?:(?P<pre>a|b|rc)(?P<pren>\d*))?"
        r"(?:\.post(?P<post>\d*))?(?:\.dev(?P<dev>\d*))?",
        package_version,
    )
    if not match:
        return None
    segments = match["release"].split(".")
    segments += ["0"] * (3 - len(segments))
    version = ".".join(segments)
    if match["pre"]:
        version += "-" + {"a": "alpha", "b": "beta", "rc": "rc"}[match["pre"]] + "." + match["pren"]
    if match["post"] is not None:
        version += "+post" + match["post"]
    if match["dev"] is not None:
        version += ("" if match["post"] is not None else "+") + "dev" + match["dev"]
    return version


def package_dependency(name: str, version: str, plugin_json: dict[str, Any] | None):
    """One installed distribution as the engine's PackageDependency, or None (main.go packageDependencyFromPluginJSON)."""
    parameterizations: dict[str, plugin_pb2.PackageParameterization] = {}
    plugin_name = plugin_ver = server = ""
    if plugin_json is not None:
        if not plugin_json.get("resource"):
            return None
        plugin_name = plugin_json.get("name") or ""
        plugin_ver = plugin_json.get("version") or ""
        server = plugin_json.get("server") or ""
        # The file's (extension)parameterization; its `value` is bytes, so base64 in JSON (Go's encoding).
        for key, field in (
            ("parameterization", "parameterization"),
            ("extensionParameterization", "extension"),
        ):
            value = plugin_json.get(key)
            if value:
                parameterizations[field] = plugin_pb2.PackageParameterization(
                    name=value.get("name", ""),
                    version=value.get("version", ""),
                    value=base64.b64decode(value.get("value") or ""),
                )
    plugin_name = plugin_name or name.removeprefix("pulumi-")
    if not plugin_ver:
        plugin_ver = plugin_version(version) or ""
        if not plugin_ver:
            return None
    if not plugin_ver.startswith("v"):
        plugin_ver = "v" + plugin_ver
    dependency = plugin_pb2.PackageDependency(
        name=plugin_name, version=plugin_ver, kind="resource", server=server
    )
    for field, message in parameterizations.items():
        getattr(dependency, field).CopyFrom(message)
    return dependency


class Program:
    """Where a request's program lives and which python runs it."""

    def __init__(self, info: language_pb2.ProgramInfo) -> None:
        self.root = Path(info.root_directory or ".")
        self.directory = Path(info.program_directory or self.root)
        self.entry_point = info.entry_point or "."
        options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
        option = options.get("virtualenv", "")
        if not isinstance(option, str):
            raise VirtualenvError("virtualenv option must be a string")
        self.virtualenv_option = option
        # toolchain/pip.go resolveVirtualEnvironmentPath: relative to the project root.
        self.virtualenv = (self.root / option) if option and not os.path.isabs(option) else Path(option)

    @property
    def python(self) -> str:
        if not self.virtualenv_option:
            return "python3"
        return str(self.virtualenv / "bin" / "python")

    def validate(self) -> None:
        """toolchain/pip.go ValidateVenv and NewVirtualEnvError, the first sentence of the real message."""
        if self.virtualenv_option and not (self.virtualenv / "bin" / "python").exists():
            why = (
                "doesn't exist"
                if not self.virtualenv.exists()
                else "doesn't appear to be a virtual environment"
            )
            raise VirtualenvError(
                f"The 'virtualenv' option in Pulumi.yaml is set to {self.virtualenv_option!r}, "
                f"but {str(self.virtualenv)!r} {why}; run `make setup` to create it"
            )

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        """toolchain.go ActivateVirtualEnv: the virtualenv's bin first on PATH, VIRTUAL_ENV set, no PYTHONHOME."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
        if self.virtualenv_option:
            env["PATH"] = f"{self.virtualenv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
            env["VIRTUAL_ENV"] = str(self.virtualenv)
        return {**env, **extra}


class StandInLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address
        self.running: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()

    def Handshake(self, request, context):
        self.engine_address = request.engine_address or self.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=host_version())

    def GetRequiredPlugins(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "method GetRequiredPlugins not implemented")

    def GetRequiredPackages(self, request, context):
        program = self._program(request.info, context)
        listed = subprocess.run(
            [program.python, "-c", _LIST_PACKAGES],
            env=program.env({}),
            capture_output=True,
            text=True,
            check=False,
        )
        if listed.returncode != 0:
            context.abort(grpc.StatusCode.UNKNOWN, f"listing the virtualenv's packages: {listed.stderr}")
        packages = []
        for dist in sorted(json.loads(listed.stdout), key=lambda d: d["name"]):
            if dist["name"] in NO_PLUGIN:
                continue
            plugin_json = json.loads(Path(dist["plugin"]).read_text()) if dist["plugin"] else None
            if plugin_json is None and not dist["name"].startswith("pulumi-"):
                continue
            dependency = package_dependency(dist["name"], dist["version"], plugin_json)
            if dependency is not None:
                packages.append(dependency)
        return language_pb2.GetRequiredPackagesResponse(packages=packages)

    def Run(self, request, context):
        program = self._program(request.info, context)
        try:
            program.validate()
        except VirtualenvError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        argv = [program.python, str(EXECUTOR), *self._arguments(request, program)]
        extra = {
            "PULUMI_CONFIG": json.dumps(dict(request.config)),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys)),
        }
        try:
            child = subprocess.Popen(argv, env=program.env(extra), stdout=sys.stdout, stderr=sys.stderr)
        except OSError as error:
            return language_pb2.RunResponse(
                error=f"problem executing program (could not run language executor): {error}"
            )
        with self.lock:
            self.running.add(child)
        try:
            code = child.wait()
        finally:
            with self.lock:
                self.running.discard(child)
        sys.stdout.flush()
        sys.stderr.flush()
        if code == 0:
            return language_pb2.RunResponse()
        if code == 32:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def _arguments(self, request, program: Program) -> list[str]:
        """main.go constructArguments: only the non-empty flags, then the entry point, then the program args."""
        flags = [
            ("monitor", request.monitor_address),
            ("engine", self.engine_address),
            ("project", request.project),
            ("root_directory", request.info.root_directory),
            ("stack", request.stack),
            ("pwd", request.pwd),
            ("dry_run", "true" if request.dryRun else "false"),
            ("parallel", str(request.parallel)),
            ("organization", request.organization),
        ]
        argv = [part for key, value in flags if value for part in (f"--{key}", value)]
        return [*argv, program.entry_point, *request.args]

    def RunPlugin(self, request, context):
        """Run a plugin written in Python, streaming its output (main.go `RunPlugin`, bare-directory mode).

        A policy pack (kind `analyzer`) runs as `python -u -m pulumi.policy <args> <pack dir>` in the pack's
        directory; any other plugin as `python <plugin dir> <args>` in the request's pwd. Its stdout
        (whose first line is the port the engine dials) and stderr are sent as they come; a non-zero exit
        is sent as `exitcode`, a zero exit just ends the stream.
        NOT reproduced: the real host starts a policy pack behind a proxy that learns the stack's
        organization/project/stack/dry-run/config from the engine and passes them to the pack as
        PULUMI_* variables; mlplat's pack reads none of them (it receives stack tags by ConfigureStack).
        Nor the `pulumi.run.plugin` mode for packaged plugins.
        """
        program = self._program(request.info, context)
        directory = request.info.program_directory
        if request.kind == "analyzer":
            argv = [program.python, "-u", "-m", "pulumi.policy", *request.args, directory]
            cwd = directory
        else:
            argv = [program.python, directory, *request.args]
            cwd = request.pwd or directory
        extra = dict(item.split("=", 1) for item in request.env if "=" in item)
        try:
            child = subprocess.Popen(
                argv, cwd=cwd, env=program.env(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as error:
            context.abort(
                grpc.StatusCode.UNKNOWN,
                f"problem executing plugin program (could not run language executor): {error}",
            )
            return

        def stop() -> None:  # the engine ended the call (it kills plugins by cancelling it)
            if child.poll() is None:
                child.terminate()

        context.add_callback(stop)
        chunks: queue.Queue[language_pb2.RunPluginResponse | None] = queue.Queue()

        def pump(stream, field: str) -> None:
            for chunk in iter(lambda: stream.read1(65536), b""):
                chunks.put(language_pb2.RunPluginResponse(**{field: chunk}))
            chunks.put(None)

        for stream, field in ((child.stdout, "stdout"), (child.stderr, "stderr")):
            threading.Thread(target=pump, args=(stream, field), daemon=True).start()
        open_streams = 2
        while open_streams:
            item = chunks.get()
            if item is None:
                open_streams -= 1
            else:
                yield item
        code = child.wait()
        if code != 0:
            yield language_pb2.RunPluginResponse(exitcode=code)

    def Cancel(self, request, context):
        with self.lock:
            for child in self.running:
                child.send_signal(signal.SIGINT)
        return empty_pb2.Empty()

    def GetProgramDependencies(self, request, context):
        program = self._program(request.info, context)
        argv = [program.python, "-m", "pip", "list", "--format", "json"]
        if not request.transitiveDependencies:
            argv.append("--not-required")
        listed = subprocess.run(argv, env=program.env({}), capture_output=True, text=True, check=False)
        if listed.returncode != 0:
            context.abort(grpc.StatusCode.UNKNOWN, f"failed to get python dependencies: {listed.stderr}")
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=d["name"], version=d["version"])
                for d in json.loads(listed.stdout)
            ]
        )

    def About(self, request, context):
        program = self._program(request.info, context) if request.HasField("info") else None
        python = program.python if program else "python3"
        done = subprocess.run(
            [python, "-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            check=False,
        )
        executable, _, version = done.stdout.strip().partition("\n")
        return language_pb2.AboutResponse(
            executable=executable, version=version, metadata={"toolchain": "Pip", "standin": "mlplat"}
        )

    def InstallDependencies(self, request, context):
        program = self._program(request.info, context)
        try:
            program.validate()
        except VirtualenvError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        yield language_pb2.InstallDependenciesResponse(
            stdout=f"mlplat stand-in language host: using {program.virtualenv} as it is (make setup installs it)\n".encode()
        )

    def RuntimeOptionsPrompts(self, request, context):
        return language_pb2.RuntimeOptionsResponse()

    @staticmethod
    def _program(info: language_pb2.ProgramInfo, context) -> Program:
        try:
            return Program(info)
        except VirtualenvError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            raise  # unreachable: abort raises


def serve(argv: list[str]) -> None:
    positional = [a for a in argv if not a.startswith("-")]
    engine = positional[-1] if positional else ""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(StandInLanguageHost(engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    if engine:
        threading.Thread(target=_watch_engine, args=(engine, server), daemon=True).start()
    # The engine interrupts its plugins when it is done; the real host then stops serving quietly
    # (main.go main: `signal.NotifyContext(ctx, os.Interrupt)` cancels the server).
    signal.signal(signal.SIGINT, lambda *_: server.stop(0))
    server.wait_for_termination()
    sys.exit(0)


if __name__ == "__main__":
    serve(sys.argv[1:])
