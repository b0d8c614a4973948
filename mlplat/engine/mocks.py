"""Mocks that answer like the clouds would: realistic computed outputs, recorded registrations.

Outputs are the inputs echoed back plus what the provider computes (ids, ARNs, names,
endpoints, see `fakes/<cloud>.py`), derived deterministically from the name so plans and
inventories are stable.

In preview mode the mocks answer as a provider does when the engine previews a create: the
inputs come back (in the output shape where the provider reshapes them, e.g. Azure's
user-assigned identities, a list in and a map out) and nothing else, so every computed output
(ids, ARNs, endpoints) is unknown and everything built from one (a kubeconfig, a policy
document naming an ARN) is unknown too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pulumi
import semver
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.output import Unknown
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.rpc import UNKNOWN

from mlplat.engine.fakes import MockContext, Outputs, short_hash
from mlplat.engine.fakes import aws as aws_fakes
from mlplat.engine.fakes import azure as azure_fakes
from mlplat.engine.fakes import gcp as gcp_fakes
from mlplat.engine.fakes import kubernetes as kubernetes_fakes
from mlplat.engine.recording import RecordedResource

_ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
_BY_PACKAGE: dict[str, ModuleType] = {
    "aws": aws_fakes,
    "gcp": gcp_fakes,
    "azure-native": azure_fakes,
    "kubernetes": kubernetes_fakes,
}


def computed_outputs(typ: str, name: str, inputs: Outputs, ctx: MockContext) -> tuple[str, Outputs]:
    """(id, outputs) for a resource: inputs echoed, then what the provider would compute."""
    outputs = dict(inputs)
    fakes = _BY_PACKAGE.get(typ.split(":")[0])
    if fakes is not None:
        build = fakes.OUTPUTS.get(typ)
        outputs.update(build(name, inputs, ctx) if build else fakes.fallback(typ, name, inputs, ctx))
    resource_id = str(outputs.pop("id", None) or f"{name}-{short_hash(typ + name)}")
    return resource_id, outputs


def preview_outputs(typ: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """What a provider answers while previewing a create: the inputs, in the output's shape.

    Like the providers' own preview, a field the provider fills in inside an object the program set
    (a vault's `properties.vaultUri`) is unknown, and so is a property whose shape the provider
    changes (Azure answers a list of identity ids with a map).
    """
    _, outputs = computed_outputs(typ, name, _sentinels(inputs), ctx)
    return {key: _preview_value(value, outputs.get(key, value)) for key, value in inputs.items()}


def _sentinels(value: Any) -> Any:
    """Inputs with the SDK's unknown markers as the engine's wire sentinel, so fakes see plain data."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _sentinels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinels(v) for v in value]
    return value


def _preview_value(given: Any, answered: Any) -> Any:
    if isinstance(given, dict) and isinstance(answered, dict):
        return {
            key: _preview_value(given[key], value) if key in given else UNKNOWN
            for key, value in answered.items()
        }
    if isinstance(given, list) and isinstance(answered, list) and len(given) == len(answered):
        return [_preview_value(g, a) for g, a in zip(given, answered, strict=True)]
    if isinstance(given, dict | list) or isinstance(answered, dict | list):
        return UNKNOWN if type(given) is not type(answered) else given
    return given


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self, ctx: MockContext | None = None, *, preview: bool = False) -> None:
        self.ctx = ctx or MockContext()
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(str(inputs.get("name") or args.name))
        if self.preview and args.custom:
            # An empty id is an unknown id during preview; so is every output that is not an input.
            return "", preview_outputs(args.typ, args.name, inputs, self.ctx)
        return computed_outputs(args.typ, args.name, inputs, self.ctx)

    def _stack_reference(self, name: str) -> tuple[str, dict[str, Any]]:
        """A StackReference is read in previews too, so its outputs are the referenced stack's, known.

        Unknown (a stack not planned here) fails as the engine's read does: `unknown stack "<name>"`.
        """
        outputs = self.ctx.stack_outputs.get(name)
        if outputs is None:
            raise pulumi.RunError(f'unknown stack "{name}"')
        secrets = sorted(
            k for k, v in outputs.items() if isinstance(v, dict) and _SECRET_SIG.items() <= v.items()
        )
        return name, {"name": name, "outputs": dict(outputs), "secretOutputNames": secrets}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        fakes = _BY_PACKAGE.get(args.token.split(":")[0])
        handler = fakes.CALLS.get(args.token) if fakes else None
        if handler is None:
            raise NotImplementedError(f"the offline engine has no answer for the invoke {args.token}")
        return handler(dict(args.args), self.ctx), []


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _seconds(duration: str) -> float:
    """A custom timeout ("1h30m", "90s") in seconds, as the engine converts it for the analyzer; 0 if unset."""
    return sum(float(n) * _DURATION_SECONDS[unit] for n, unit in _DURATION_PART.findall(duration or ""))


PROVIDER_TYPE_PREFIX = "pulumi:providers:"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
# The wire form of a secret value (pulumi/pulumi `sdk/go/common/resource/plugin/rpc.go`).
_SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
_BUILTIN_PACKAGE = "pulumi"  # the engine's own resources and invokes (stack, providers, getResource)


def default_provider_name(version: str, download_url: str = "") -> str:
    """The name the engine gives a package's default provider (pulumi/pulumi `ProviderRequest.Name`).

    `default`, then `_<major>_<minor>_<patch>` and each pre-release and build part of the version the
    SDK sent, then the plugin download URL made a qualified name (`tokens.IntoQName`: empty `/`-parts
    dropped, a character a name may not hold replaced by `_`).
    """
    name = "default"
    if version:
        parsed = semver.Version.parse(version)
        name += f"_{parsed.major}_{parsed.minor}_{parsed.patch}"
        for part in [*(parsed.prerelease or "").split("."), *(parsed.build or "").split(".")]:
            name += f"_{part}" if part else ""
    if download_url:
        parts = [
            re.sub(r"^[^A-Za-z_.]", "_", part[0]) + re.sub(r"[^A-Za-z0-9_.]", "_", part[1:])
            for part in download_url.rstrip("/").split("/")
            if part
        ]
        name += "_" + ("/".join(parts) or "_")
    return name


def _holds_unknown(struct: struct_pb2.Struct) -> bool:
    """Whether a registration's (wire-form) properties hold the engine's unknown sentinel anywhere."""

    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            return any(k != "__internal" and walk(v) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return value == UNKNOWN

    return walk(MessageToDict(struct))


def _set_provider_internals(inputs: struct_pb2.Struct, version: str, download_url: str) -> None:
    """The engine's own keys in a provider's inputs (pulumi/pulumi pkg/resource/deploy/providers/registry.go).

    `SetProviderVersion`: a top-level `version` AND an (empty) `__internal` object, "so later checks for
    name etc see __internal"; `SetProviderURL`: `pluginDownloadURL` inside `__internal`, not top-level.
    Seen in the real v3.274 preview: a default provider's inputs are `{"__internal": {}, ..., "version": ...}`.
    """
    if version:
        inputs.get_or_create_struct("__internal")
        inputs["version"] = version
    if download_url:
        inputs.get_or_create_struct("__internal")["pluginDownloadURL"] = download_url


class DuplicateUrnError(RuntimeError):
    """Two resources were registered with the same type, name and parent."""


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration as the engine would receive it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self._urns: set[str] = set()
        self.resource_outputs: dict[str, struct_pb2.Struct] = {}
        self.invokes: list[tuple[str, struct_pb2.Struct]] = []  # (token, result): what the program read
        self._config: Mapping[str, str] = {}
        self._secret_keys: frozenset[str] = frozenset()
        self._preview = bool(getattr(mocks, "preview", False))
        self._default_providers: dict[tuple[str, str, str], str] = {}  # request -> provider reference
        self._unconfigured: set[str] = set()  # providers whose config holds unknowns in this preview

    def use_stack(self, config: Mapping[str, str], secret_keys: frozenset[str], *, preview: bool) -> None:
        """The stack's config and mode, which the engine gives the default providers it registers."""
        self._config, self._secret_keys, self._preview = dict(config), frozenset(secret_keys), preview

    def default_provider(self, token: str, version: str, download_url: str) -> str:
        """The `<urn>::<id>` of the package's default provider, registered on first use as the engine does.

        Follows pulumi/pulumi `pkg/resource/deploy/source_eval.go` (`newRegisterDefaultProviderEvent`:
        type `pulumi:providers:<package>`, no parent, inputs the stack's `<package>:*` config with the
        namespace dropped, each value a string and secret when the config is, plus `version` and
        `__internal`: `_set_provider_internals`) and
        `pkg/resource/deploy/target.go` (`GetPackageConfig`). Its outputs are its inputs, as the provider
        registry's Create answers; its id is unknown in a preview and a fresh UUID otherwise.
        """
        package = token.split(":")[0]
        key = (package, version, download_url)
        if key in self._default_providers:
            return self._default_providers[key]
        inputs: dict[str, Any] = {}
        for full, value in sorted(self._config.items()):
            namespace, _, name = full.partition(":")
            if namespace == package:
                inputs[name] = {**_SECRET_SIG, "value": value} if full in self._secret_keys else value
        struct = struct_pb2.Struct()
        struct.update(inputs)
        _set_provider_internals(struct, version, download_url)
        type_ = PROVIDER_TYPE_PREFIX + package
        urn = self.make_urn("", type_, default_provider_name(version, download_url))
        self._urns.add(urn)
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=type_,
                name=urn.rpartition("::")[2],
                parent="",
                custom=True,
                protect=False,
                retain_on_delete=False,
                provider="",
                inputs=struct,
                outputs=struct,
            )
        )
        provider_id = UNKNOWN if self._preview else str(uuid.uuid5(uuid.NAMESPACE_URL, urn))
        self._default_providers[key] = reference = f"{urn}::{provider_id}"
        return reference

    def _provider_of(self, request: Any, token: str) -> str:
        """The provider reference the engine uses: the program's, else the package's default provider."""
        if request.provider or token.split(":")[0] == _BUILTIN_PACKAGE:
            return request.provider
        return self.default_provider(token, request.version, request.pluginDownloadURL)

    def Invoke(self, request: Any) -> Any:
        self._provider_of(request, request.tok)  # an invoke, too, is served by the default provider
        response = super().Invoke(request)
        self.invokes.append((request.tok, getattr(response, "return")))
        return response

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives a registration: the whole chain of parent types, the root stack left out.

        Follows pulumi/pulumi `pkg/resource/deploy/source_eval.go` (RegisterResource takes the parent's
        qualified type unless the parent is the root stack) and `sdk/go/common/resource/urn.go`
        (`NewURN` joins the parent type and the type with `$`). The SDK's mock monitor keeps only the
        immediate parent's type and prefixes top-level types with the stack's, which the engine does not.
        """
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != _ROOT_STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self._urns:
            # The engine refuses a second registration of a URN; the SDK's mock monitor would not.
            raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        self._urns.add(urn)
        custom = bool(request.custom) and not request.type.startswith(PROVIDER_TYPE_PREFIX)
        provider = self._provider_of(request, request.type) if custom else request.provider
        inputs = request.object
        if request.type.startswith(PROVIDER_TYPE_PREFIX):
            # An explicit provider's inputs as the engine records them (source_eval.go RegisterResource:
            # `providers.SetProviderVersion`/`SetProviderURL` from the request's version and download URL).
            inputs = struct_pb2.Struct()
            inputs.CopyFrom(request.object)
            _set_provider_internals(inputs, request.version, request.pluginDownloadURL)
            if self._preview and _holds_unknown(inputs):
                self._unconfigured.add(self.make_urn(request.parent, request.type, request.name))
        response = super().RegisterResource(request)
        if custom and provider.rpartition("::")[0] in self._unconfigured:
            # A provider whose configuration is not known in a preview is not configured, and the engine
            # answers a create with NO properties, so every output is unknown, even one the program set
            # (sdk/go/common/resource/plugin/provider_plugin.go Create: `if !pcfg.known { return
            # CreateResponse{}, nil }`). Seen in the real v3.274 preview: a Namespace's `metadata.name`
            # is unknown while the cluster's kubeconfig is.
            response.object.Clear()
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                provider=provider,
                inputs=inputs,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                outputs=response.object,
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=(
                    bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None
                ),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=self._alias_urns(request),
                custom_timeouts=(
                    _seconds(request.customTimeouts.create),
                    _seconds(request.customTimeouts.update),
                    _seconds(request.customTimeouts.delete),
                ),
            )
        )
        return response

    def _alias_urns(self, request: Any) -> list[str]:
        """Every alias as a URN, as the engine resolves alias specs (a missing part is the resource's own)."""
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return urns

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.resource_outputs[request.urn] = request.outputs
        # A component's (and the stack's) state is what it registers as outputs.
        for recorded in reversed(self.recorded):
            if recorded.urn == request.urn and not recorded.custom:
                recorded.outputs = request.outputs
                break
        return super().RegisterResourceOutputs(request)
