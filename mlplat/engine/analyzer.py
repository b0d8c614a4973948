"""Judge recorded resources with the policy pack, driven exactly as the Pulumi engine drives it.

The engine starts a Python pack as `<venv>/bin/python -u -m pulumi.policy <engine address> .` in the
pack's folder (the legacy `pulumi-analyzer-policy-python` shim), reads the gRPC port from the first
line of its stdout and speaks `pulumirpc.Analyzer`: Handshake (optional), ConfigureStack,
GetAnalyzerInfo, Configure (defaults reconciled with the `--policy-pack-config` file), Analyze per
resource with its inputs, and AnalyzeStack once at the end. This module does the same, so a rule
behaves here as it does under `pulumi preview --policy-pack policies`.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from jsonschema import Draft7Validator
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi.runtime.proto import analyzer_pb2_grpc as agrpc
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mlplat.engine.recording import RecordedResource

STARTUP_TIMEOUT_SECONDS = 30.0
RPC_TIMEOUT_SECONDS = 120.0

# The pack ignores the engine address (it only matters to the real engine's callbacks).
_ENGINE_ADDRESS = "127.0.0.1:0"
_STACK_TYPE = "pulumi:pulumi:Stack"
_MAX_MESSAGE_BYTES = 400 * 1024 * 1024  # the SDK's own gRPC limit
_STDERR_TAIL_CHARS = 4000
_ANALYZE_IN_FLIGHT = 8

_LEVEL_TO_PROTO: dict[str, apb.EnforcementLevel.ValueType] = {
    "advisory": apb.ADVISORY,
    "mandatory": apb.MANDATORY,
    "remediate": apb.REMEDIATE,
    "disabled": apb.DISABLED,
}
_PROTO_TO_LEVEL = {value: name for name, value in _LEVEL_TO_PROTO.items()}


class PolicyPackError(RuntimeError):
    """The policy pack could not be loaded, started or driven."""


class PolicyConfigError(PolicyPackError):
    """A policy config file is invalid: bad JSON, a bad enforcement level or an unknown policy name."""


class _PackFailure(Exception):
    """Internal: the pack process or a call failed; the caller adds the pack's stderr."""


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # "mandatory" | "advisory"
    urn: str
    message: str


@dataclass(frozen=True)
class Remediation:
    """A rule at the `remediate` level rewrote a resource's inputs; the engine deploys `after`."""

    policy: str
    urn: str
    before: struct_pb2.Struct
    after: struct_pb2.Struct


@dataclass(frozen=True)
class PolicyReport:
    pack: str
    version: str
    violations: list[Violation]
    policies: list[tuple[str, str]]  # (name, effective level), sorted by name
    remediations: list[Remediation] = field(default_factory=list)

    def inputs(self, resource: RecordedResource) -> struct_pb2.Struct:
        """The inputs the engine would deploy: the last remediation's, else the program's."""
        for remediation in reversed(self.remediations):
            if remediation.urn == resource.urn:
                return remediation.after
        return resource.inputs

    def merged(self, other: PolicyReport) -> PolicyReport:
        """This report and another stack's, judged by the same pack and config (one environment's stacks)."""
        return PolicyReport(
            self.pack,
            self.version,
            self.violations + other.violations,
            self.policies,
            self.remediations + other.remediations,
        )


@dataclass(frozen=True)
class _Manifest:
    version: str
    python: Path


@dataclass
class _PolicyConfig:
    level: str | None
    properties: dict[str, Any] = field(default_factory=dict)


def run_policy_pack(
    resources: Sequence[RecordedResource],
    *,
    pack_dir: Path,
    stack: str,
    project: str,
    config_file: Path | None,
    organization: str = "organization",
    dry_run: bool = True,
    plan_config: Mapping[str, Mapping[str, Any]] | None = None,
) -> PolicyReport:
    """Start the pack in `pack_dir`, judge `resources` with it and stop it again.

    `plan_config` adds config properties per policy on top of the file (e.g. the plan's cost
    estimate for the budget rules), as a generated `--policy-pack-config` layer would.

    Raises `PolicyConfigError` for a bad config file and `PolicyPackError` when the pack fails to
    start or a call fails (with the pack's stderr in the message).
    """
    with PackSession(
        pack_dir, stack=stack, project=project, organization=organization, dry_run=dry_run
    ) as session:
        return session.analyze(resources, config_file=config_file, plan_config=plan_config)


class PackSession:
    """One running pack process, started at once and reused for any number of analyses.

    The process's environment (project, stack, organization, dry run) is fixed when it starts, as it
    is for the engine's analyzer plugin; each analysis sends ConfigureStack, GetAnalyzerInfo and
    Configure again before its Analyze calls, so nothing of one analysis leaks into the next.
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        stack: str,
        project: str,
        organization: str = "organization",
        dry_run: bool = True,
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        self.manifest = _load_manifest(self.pack_dir)
        self.stack, self.project, self.organization, self.dry_run = stack, project, organization, dry_run
        env = {
            **os.environ,
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
            "PULUMI_ORGANIZATION": organization,
            "PULUMI_CONFIG": "{}",
        }
        # Popen returns at once: the pack loads while the caller does other work (runs the program).
        self._process = _PackProcess(self.manifest.python, self.pack_dir, env)
        self._channel: grpc.Channel | None = None
        self._stub: agrpc.AnalyzerStub | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> PackSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._process.alive

    def _connect(self) -> agrpc.AnalyzerStub:
        if self._stub is not None:
            return self._stub
        port = self._process.wait_for_port(STARTUP_TIMEOUT_SECONDS)
        channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ],
        )
        self._channel = channel
        try:
            grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            raise _PackFailure(f"could not connect to the policy pack on port {port}") from None
        self._stub = agrpc.AnalyzerStub(channel)
        return self._stub

    def analyze(
        self,
        resources: Sequence[RecordedResource],
        *,
        config_file: Path | None,
        plan_config: Mapping[str, Mapping[str, Any]] | None = None,
        stack: str | None = None,
        project: str | None = None,
    ) -> PolicyReport:
        """Judge `resources`; see `run_policy_pack`. A failed pack is stopped and cannot be reused.

        `stack` and `project` judge another stack of the same environment (a cluster stack) with this
        process: ConfigureStack names it, as the engine's does; only the process environment, which the
        engine would set for that stack's own pack process, still names the first.
        """
        file_config = _load_config_file(config_file) if config_file is not None else {}
        for name, properties in (plan_config or {}).items():
            given = file_config.get(name, _PolicyConfig(None))
            file_config[name] = _PolicyConfig(given.level, {**given.properties, **properties})
        with self._lock:
            try:
                return _drive(
                    self._connect(),
                    resources,
                    pack_dir=self.pack_dir,
                    manifest=self.manifest,
                    file_config=file_config,
                    config_source=str(config_file) if config_file is not None else "policy config",
                    stack=stack or self.stack,
                    project=project or self.project,
                    organization=self.organization,
                    dry_run=self.dry_run,
                )
            except _PackFailure as failure:
                self.close()
                raise PolicyPackError(
                    f"policy pack in {self.pack_dir}: {failure}{self._process.stderr_suffix()}"
                ) from None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._stub = None
        self._process.stop()


_SESSIONS: dict[tuple[Path, str, str, str, bool], PackSession] = {}
_SESSIONS_LOCK = threading.Lock()


def shared_pack(
    pack_dir: Path, *, stack: str, project: str, organization: str = "organization", dry_run: bool = True
) -> PackSession:
    """The running pack for this folder and environment, started on first use and kept for the process.

    Starting a pack costs more than judging a stack with it, so one process serves every plan of the
    same stack (tests plan a stack many times); it stops when this process exits.
    """
    key = (pack_dir.resolve(), stack, project, organization, dry_run)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None or not session.alive:
            session = _SESSIONS[key] = PackSession(
                pack_dir, stack=stack, project=project, organization=organization, dry_run=dry_run
            )
        return session


@atexit.register
def _close_shared_packs() -> None:
    with _SESSIONS_LOCK:
        for session in _SESSIONS.values():
            session.close()
        _SESSIONS.clear()


_Response = TypeVar("_Response")


def _call(method: str, rpc: Callable[..., _Response], request: object) -> _Response:
    try:
        return rpc(request, timeout=RPC_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        raise _PackFailure(f"{method} failed: {_rpc_error_text(error)}") from None


def _rpc_error_text(error: grpc.RpcError) -> str:
    if isinstance(error, grpc.Call):
        return f"{error.code().name}: {error.details()}"
    return str(error)


def _drive(
    stub: agrpc.AnalyzerStub,
    resources: Sequence[RecordedResource],
    *,
    pack_dir: Path,
    manifest: _Manifest,
    file_config: Mapping[str, _PolicyConfig],
    config_source: str,
    stack: str,
    project: str,
    organization: str,
    dry_run: bool,
) -> PolicyReport:
    # The engine tolerates packs without Handshake (the Python SDK does not implement it).
    try:
        stub.Handshake(
            apb.AnalyzerHandshakeRequest(
                engine_address=_ENGINE_ADDRESS, root_directory=str(pack_dir), program_directory=str(pack_dir)
            ),
            timeout=RPC_TIMEOUT_SECONDS,
        )
    except grpc.RpcError as error:
        if not (isinstance(error, grpc.Call) and error.code() == grpc.StatusCode.UNIMPLEMENTED):
            raise _PackFailure(f"Handshake failed: {_rpc_error_text(error)}") from None

    _call(
        "ConfigureStack",
        stub.ConfigureStack,
        apb.AnalyzerStackConfigureRequest(
            stack=stack, project=project, organization=organization, dry_run=dry_run
        ),
    )
    info: apb.AnalyzerInfo = _call("GetAnalyzerInfo", stub.GetAnalyzerInfo, empty_pb2.Empty())
    config = _reconcile_config(info, file_config, config_source)
    _call(
        "Configure",
        stub.Configure,
        apb.ConfigureAnalyzerRequest(
            policyConfig={
                name: apb.PolicyConfig(
                    enforcementLevel=_LEVEL_TO_PROTO[c.level or "advisory"], properties=_struct(c.properties)
                )
                for name, c in config.items()
            }
        ),
    )

    by_urn = {r.urn: r for r in resources}
    inputs = {r.urn: r.inputs for r in resources}
    violations: list[Violation] = []
    remediations: list[Remediation] = []
    # Like pulumi/pulumi `pkg/resource/deploy/step_generator.go`: remediations first, then analysis of
    # the remediated properties, which are what the engine deploys. Remediate only runs rules set to
    # `remediate`; with none, every answer would be empty, so the calls are left out.
    if any(c.level == "remediate" for c in config.values()):
        for done, response in _pipelined(
            resources,
            lambda r: stub.Remediate.future(_request(r, inputs[r.urn], by_urn), timeout=RPC_TIMEOUT_SECONDS),
            "Remediate",
        ):
            for item in response.remediations:
                if item.diagnostic:
                    # The engine shows a remediation that could not run as an advisory violation.
                    violations.append(Violation(item.policyName, "advisory", done.urn, item.diagnostic))
                elif item.HasField("properties"):
                    remediations.append(
                        Remediation(item.policyName, done.urn, inputs[done.urn], item.properties)
                    )
                    inputs[done.urn] = item.properties
    # Every registration meets Analyze, the stack, components and providers included: the engine
    # (pulumi/pulumi `pkg/resource/deploy`, `analyzeResource`) analyses each resource it steps, custom or
    # not, with its inputs; rules that judge a type ignore the others.
    for done, response in _pipelined(
        resources,
        lambda r: stub.Analyze.future(_request(r, inputs[r.urn], by_urn), timeout=RPC_TIMEOUT_SECONDS),
        "Analyze",
    ):
        # Per-resource diagnostics always belong to the resource being analyzed.
        violations.extend(_violations(response, known_urns=(), fallback_urn=done.urn))

    stack_urn = next(
        (r.urn for r in resources if r.type == _STACK_TYPE),
        f"urn:pulumi:{stack}::{project}::{_STACK_TYPE}::{project}-{stack}",
    )
    stack_response: apb.AnalyzeResponse = _call(
        "AnalyzeStack",
        stub.AnalyzeStack,
        # The engine sends every registered resource here, the stack and components included.
        apb.AnalyzeStackRequest(
            resources=[_stack_resource(r, by_urn, remediated=inputs[r.urn]) for r in resources]
        ),
    )
    # Like the engine: a stack diagnostic names a resource of this deployment, or else the stack itself.
    violations.extend(_violations(stack_response, known_urns=by_urn, fallback_urn=stack_urn))

    violations.sort(key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message))
    return PolicyReport(
        pack=info.name,
        version=manifest.version or info.version,
        violations=violations,
        policies=sorted((name, c.level or "advisory") for name, c in config.items()),
        remediations=remediations,
    )


def _request(
    resource: RecordedResource, properties: struct_pb2.Struct, by_urn: Mapping[str, RecordedResource]
) -> apb.AnalyzeRequest:
    return apb.AnalyzeRequest(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=properties,
        options=_options(resource),
        provider=_provider(resource, by_urn),
    )


def _pipelined(
    resources: Sequence[RecordedResource], call: Callable[[RecordedResource], grpc.Future], method: str
) -> Iterator[tuple[RecordedResource, Any]]:
    """(resource, response) in order, with several calls in flight, as the engine's parallel steps make them."""
    pending: deque[tuple[RecordedResource, grpc.Future]] = deque()
    for resource in [*resources, None]:
        if resource is not None:
            pending.append((resource, call(resource)))
        while pending and (resource is None or len(pending) >= _ANALYZE_IN_FLIGHT):
            done, future = pending.popleft()
            try:
                yield done, future.result()
            except grpc.RpcError as error:
                raise _PackFailure(f"{method}({done.urn}) failed: {_rpc_error_text(error)}") from None


def _options(resource: RecordedResource) -> apb.AnalyzerResourceOptions:
    """The options the engine passes with each resource (pulumi/pulumi `pkg/resource/plugin/analyzer_plugin.go`)."""
    create, update, delete = resource.custom_timeouts
    return apb.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        additionalSecretOutputs=resource.additional_secret_outputs,
        aliases=resource.aliases,
        parent=resource.parent,
        customTimeouts=apb.AnalyzerResourceOptions.CustomTimeouts(
            create=create, update=update, delete=delete
        ),
    )


def _provider(
    resource: RecordedResource, by_urn: Mapping[str, RecordedResource]
) -> apb.AnalyzerProviderResource | None:
    """The explicit provider behind a `<urn>::<id>` reference, when the program registered it."""
    provider = by_urn.get(resource.provider.rpartition("::")[0]) if resource.provider else None
    if provider is None:
        return None
    return apb.AnalyzerProviderResource(
        type=provider.type, urn=provider.urn, name=provider.name, properties=provider.inputs
    )


def _stack_resource(
    resource: RecordedResource, by_urn: Mapping[str, RecordedResource], *, remediated: struct_pb2.Struct
) -> apb.AnalyzerResource:
    # AnalyzeStack sees final state: a resource's outputs (for a component or the stack, what it
    # registered as outputs), not its inputs (pulumi/pulumi `pkg/resource/deploy`, stateToAnalyzerResource).
    properties = struct_pb2.Struct()
    properties.CopyFrom(resource.outputs)
    if remediated is not resource.inputs:
        # A remediated resource is created from the remediated inputs, so its state carries them.
        for key in set(resource.inputs.fields) - set(remediated.fields):
            del properties.fields[key]
        for key, value in remediated.fields.items():
            if resource.inputs.fields.get(key) != value:
                properties.fields[key].CopyFrom(value)
    return apb.AnalyzerResource(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=properties,
        options=_options(resource),
        provider=_provider(resource, by_urn),
        parent=resource.parent,
        dependencies=resource.dependencies,
        propertyDependencies={
            key: apb.AnalyzerPropertyDependencies(urns=urns)
            for key, urns in resource.property_dependencies.items()
            if urns
        },
    )


def _violations(
    response: apb.AnalyzeResponse, *, known_urns: Container[str], fallback_urn: str
) -> list[Violation]:
    found: list[Violation] = []
    for diagnostic in response.diagnostics:
        level = _PROTO_TO_LEVEL.get(diagnostic.enforcementLevel, "mandatory")
        if level == "disabled":
            continue
        found.append(
            Violation(
                policy=diagnostic.policyName,
                # Remediation is not applied here, so a remediate-level finding blocks like the engine's fallback.
                level="advisory" if level == "advisory" else "mandatory",
                urn=diagnostic.urn if diagnostic.urn in known_urns else fallback_urn,
                message=_own_message(diagnostic),
            )
        )
    return found


def _own_message(diagnostic: apb.AnalyzeDiagnostic) -> str:
    """The rule's own text: the SDK sends `description + "\\n" + message`."""
    prefix = f"{diagnostic.description}\n"
    if diagnostic.description and diagnostic.message.startswith(prefix):
        return diagnostic.message[len(prefix) :]
    return diagnostic.message


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(dict(values))
    return result


def _load_manifest(pack_dir: Path) -> _Manifest:
    path = pack_dir / "PulumiPolicy.yaml"
    try:
        data: object = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyPackError(f"cannot read {path}: {error.strerror or error}") from None
    except YAMLError as error:
        raise PolicyPackError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise PolicyPackError(f"{path} must be a mapping")
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        raise PolicyPackError(f"{path}: runtime is {name!r}; only Python policy packs can be run here")
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    virtualenv = options.get("virtualenv") if isinstance(options, Mapping) else None
    version = data.get("version")
    return _Manifest(
        version="" if version is None else str(version),
        python=_pack_python(pack_dir, virtualenv if isinstance(virtualenv, str) else None),
    )


def _pack_python(pack_dir: Path, virtualenv: str | None) -> Path:
    """The pack's virtualenv interpreter (relative to the pack), else the current one."""
    if virtualenv:
        root = Path(virtualenv) if Path(virtualenv).is_absolute() else pack_dir / virtualenv
        candidate = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if candidate.exists():
            # normpath, not resolve: a venv's python is a symlink and must be started through the venv.
            return Path(os.path.normpath(candidate))
    return Path(sys.executable)


def _load_config_file(path: Path) -> dict[str, _PolicyConfig]:
    """Parse a `--policy-pack-config` file the way the CLI does (string level or object)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyConfigError(f"cannot read policy config {path}: {error.strerror or error}") from None
    if not text.strip():
        return {}
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"{path}: invalid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: must be a JSON object mapping policy names to levels")
    result: dict[str, _PolicyConfig] = {}
    for name, value in data.items():
        if isinstance(value, str):
            entry = _PolicyConfig(_check_level(path, name, value))
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None and not isinstance(level, str):
                raise PolicyConfigError(f"{path}: {name}: enforcementLevel must be a string, got {level!r}")
            entry = _PolicyConfig(None if level is None else _check_level(path, name, level), properties)
        else:
            raise PolicyConfigError(
                f"{path}: {name}: {value!r} is not valid; use a level string or an object"
            )
        # Like the CLI, an entry with neither a level nor properties means nothing.
        if entry.level is not None or entry.properties:
            result[name] = entry
    return result


def _check_level(path: Path, name: str, level: str) -> str:
    if level not in _LEVEL_TO_PROTO:
        raise PolicyConfigError(
            f"{path}: {name}: {level!r} is not a valid enforcement level ({', '.join(_LEVEL_TO_PROTO)})"
        )
    return level


def _reconcile_config(
    info: apb.AnalyzerInfo, file_config: Mapping[str, _PolicyConfig], source: str
) -> dict[str, _PolicyConfig]:
    """Policy defaults, then the pack's initial config, then the file: "all" first, then each policy."""
    result: dict[str, _PolicyConfig] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        defaults = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        result[policy.name] = _PolicyConfig(_PROTO_TO_LEVEL.get(policy.enforcementLevel), defaults)

    initial = {
        name: _PolicyConfig(_PROTO_TO_LEVEL.get(c.enforcementLevel), json_format.MessageToDict(c.properties))
        for name, c in info.initialConfig.items()
    }
    # Like the CLI, a config entry for a policy the pack does not have is ignored (a pack may drop a
    # rule that older config files still name); tests keep the repository's files free of such names.
    for layer in (initial, file_config):
        everything = layer.get("all")
        if everything is not None and everything.level is not None:
            for entry in result.values():
                entry.level = everything.level
        for name, given in layer.items():
            if name == "all" or name not in result:
                continue
            current = result[name]
            result[name] = _PolicyConfig(
                given.level or current.level, {**current.properties, **given.properties}
            )
    _validate_properties(info, result, source)
    return result


def _validate_properties(info: apb.AnalyzerInfo, config: Mapping[str, _PolicyConfig], source: str) -> None:
    """Refuse config that breaks a policy's config schema, as the CLI does before it starts an update.

    The CLI validates each policy's properties against the JSON schema the pack declares
    (pulumi/pulumi `pkg/engine` policy config validation, `resource/plugin.ValidatePolicyPackConfig`).
    """
    problems: list[str] = []
    for policy in info.policies:
        schema = {
            "type": "object",
            "properties": json_format.MessageToDict(policy.configSchema.properties),
            "required": list(policy.configSchema.required),
        }
        properties = config[policy.name].properties if policy.name in config else {}
        for error in sorted(Draft7Validator(schema).iter_errors(properties), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{policy.name}{'.' + where if where else ''}: {error.message}")
    if problems:
        raise PolicyConfigError(f"{source}: validating policy config for {info.name}: {'; '.join(problems)}")


class _PackProcess:
    """The pack's child process: first stdout line is the port; stderr is kept for error messages."""

    def __init__(self, python: Path, pack_dir: Path, env: Mapping[str, str]) -> None:
        self._pack_dir = pack_dir
        try:
            self._process = subprocess.Popen(
                [str(python), "-u", "-m", "pulumi.policy", _ENGINE_ADDRESS, "."],
                cwd=pack_dir,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise PolicyPackError(f"cannot start policy pack in {pack_dir} with {python}: {error}") from None
        self._first_line: queue.Queue[bytes] = queue.Queue(maxsize=1)
        self._stderr: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, name="policy-pack-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, name="policy-pack-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        self._first_line.put(stream.readline())
        # Keep draining so a chatty rule can never block the server on a full pipe.
        while stream.read(65536):
            pass

    def _read_stderr(self) -> None:
        stream = self._process.stderr
        assert stream is not None
        while chunk := stream.read(65536):
            self._stderr.append(chunk)

    def wait_for_port(self, timeout: float) -> int:
        try:
            line = self._first_line.get(timeout=timeout)
        except queue.Empty:
            raise _PackFailure(f"no port reported within {timeout:.0f}s") from None
        if not line:
            try:
                status = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                raise _PackFailure("closed its stdout before reporting its port") from None
            raise _PackFailure(f"exited with status {status} before reporting its port")
        try:
            return int(line.strip())
        except ValueError:
            raise _PackFailure(
                f"printed {line.decode(errors='replace').strip()!r} instead of its port "
                "(nothing may print to stdout while the pack loads)"
            ) from None

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        """Terminate the child (idempotent) and wait for it and its pipe readers."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None and not stream.closed:
                stream.close()

    def stderr_suffix(self) -> str:
        text = b"".join(self._stderr).decode(errors="replace").strip()
        if not text:
            return ""
        if len(text) > _STDERR_TAIL_CHARS:
            text = "..." + text[-_STDERR_TAIL_CHARS:]
        return f"\n--- policy pack stderr ---\n{text}"
