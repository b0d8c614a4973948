"""The `pulumirpc.ResourceProvider` server behind each stand-in plugin."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from mlplat.engine import mocks
from mlplat.engine.fakes import MockContext
from mlplat.engine.replacements import replacing_properties
from mlplat.engine.standin.install import plugin_version

# The wire form of a secret (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
Diff = provider_pb2.DiffResponse
Kind = provider_pb2.PropertyDiff


def to_python(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain data; whole numbers as ints (protobuf carries every number as a double)."""
    return _ints(json_format.MessageToDict(struct))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The value with every secret wrapper removed (the fakes work on plain data)."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def holds_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_secret(v) for v in value)
    return False


def seal(outputs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs with each top-level property that held a secret in the inputs made secret again."""
    return {
        key: {SECRET_SIG_KEY: SECRET_SIG, "value": value} if holds_secret(inputs.get(key)) else value
        for key, value in outputs.items()
    }


def name_of(urn: str, name: str = "") -> str:
    return name or urn.rsplit("::", 1)[-1]


def type_of(urn: str, typ: str = "") -> str:
    return typ or urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]


class StandInProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str) -> None:
        self.package = package
        self.version = plugin_version(package)
        self.ctx = MockContext()
        self.fakes = mocks._BY_PACKAGE[package]

    # -- plugin and provider configuration -------------------------------------------------------
    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=self.version)

    def Handshake(self, request, context):
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=True)

    def Attach(self, request, context):
        return empty_pb2.Empty()

    def GetSchema(self, request, context):
        return provider_pb2.GetSchemaResponse(
            schema=json.dumps({"name": self.package, "version": self.version})
        )

    def CheckConfig(self, request, context):
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request, context):
        olds = request.old_inputs if request.HasField("old_inputs") else request.olds
        return self._diff(to_python(olds), to_python(request.news), frozenset())

    def Configure(self, request, context):
        args = reveal(to_python(request.args)) if request.HasField("args") else {}
        config = {f"{self.package}:{key}": value for key, value in args.items() if isinstance(value, str)}
        if not config:  # older engines send only the flattened `<package>:config:<key>` variables
            config = {k.replace(":config:", ":"): v for k, v in request.variables.items()}
        self.ctx = MockContext.from_config(config)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    def Cancel(self, request, context):
        return empty_pb2.Empty()

    def GetMapping(self, request, context):
        return provider_pb2.GetMappingResponse()

    def GetMappings(self, request, context):
        return provider_pb2.GetMappingsResponse()

    # -- resources -------------------------------------------------------------------------------
    def Check(self, request, context):
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request, context):
        token = type_of(request.urn, request.type)
        olds = to_python(request.old_inputs) if request.HasField("old_inputs") else to_python(request.olds)
        return self._diff(olds, to_python(request.news), replacing_properties(token))

    def _diff(self, olds: dict[str, Any], news: dict[str, Any], replacing: frozenset[str]):
        olds, news = reveal(olds), reveal(news)
        changed = sorted(
            k for k in set(olds) | set(news) if olds.get(k) != news.get(k) or news.get(k) == UNKNOWN
        )
        replaces = [k for k in changed if k in replacing]
        detailed = {}
        for key in changed:
            replace = key in replacing
            if key not in olds:
                kind = Kind.ADD_REPLACE if replace else Kind.ADD
            elif key not in news:
                kind = Kind.DELETE_REPLACE if replace else Kind.DELETE
            else:
                kind = Kind.UPDATE_REPLACE if replace else Kind.UPDATE
            detailed[key] = provider_pb2.PropertyDiff(kind=kind, inputDiff=True)
        return provider_pb2.DiffResponse(
            changes=Diff.DIFF_SOME if changed else Diff.DIFF_NONE,
            diffs=changed,
            replaces=replaces,
            deleteBeforeReplace=False,
            detailedDiff=detailed,
            hasDetailedDiff=True,
        )

    def Create(self, request, context):
        token, name = type_of(request.urn, request.type), name_of(request.urn, request.name)
        inputs = to_python(request.properties)
        plain = reveal(inputs)
        if request.preview:
            return provider_pb2.CreateResponse(
                id="", properties=to_struct(seal(mocks.preview_outputs(token, name, plain, self.ctx), inputs))
            )
        resource_id, outputs = mocks.computed_outputs(token, name, plain, self.ctx)
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(seal(outputs, inputs)))

    def Read(self, request, context):
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Update(self, request, context):
        token, name = type_of(request.urn, request.type), name_of(request.urn, request.name)
        inputs = to_python(request.news)
        plain = reveal(inputs)
        if request.preview:
            outputs = mocks.preview_outputs(token, name, plain, self.ctx)
        else:
            _, outputs = mocks.computed_outputs(token, name, plain, self.ctx)
        return provider_pb2.UpdateResponse(properties=to_struct(seal(outputs, inputs)))

    def Delete(self, request, context):
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        handler = self.fakes.CALLS.get(request.tok)
        if handler is None:
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                f"the stand-in {self.package} provider has no answer for {request.tok}",
            )
        response = provider_pb2.InvokeResponse()
        getattr(response, "return").CopyFrom(to_struct(handler(reveal(to_python(request.args)), self.ctx)))
        return response


def _watch_engine(address: str, server: grpc.Server) -> None:
    """Stop when the engine that launched us is gone (the Go plugins' health check does the same)."""
    host, _, port = address.rpartition(":")
    misses = 0
    while misses < 3:
        time.sleep(2)
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=2).close()
            misses = 0
        except OSError:
            misses += 1
    server.stop(0)


def serve(package: str, argv: list[str]) -> None:
    positional = [a for a in argv if not a.startswith("-")]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandInProvider(package), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    if positional:
        threading.Thread(target=_watch_engine, args=(positional[-1], server), daemon=True).start()
    signal.signal(signal.SIGINT, lambda *_: server.stop(0))  # the engine's "done": stop quietly
    server.wait_for_termination()
    sys.exit(0)
