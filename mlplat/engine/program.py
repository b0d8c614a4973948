"""Run infra/ the way the Pulumi language host does, against the recording mock engine."""

from __future__ import annotations

import logging
import os
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi.runtime
from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.settings import ROOT, configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from infra.clusters import CLUSTERS_DIR, CLUSTERS_PROJECT, PLATFORM_PROJECT
from infra.clusters import run_cluster_program as run_clusters
from mlplat.engine.fakes import MockContext
from mlplat.engine.mocks import PlatformMocks, RecordingMonitor
from mlplat.engine.recording import RecordedResource
from mlplat.engine.stackfile import StackConfig

PROJECT = "mlplat"
ORGANIZATION = "organization"


@dataclass
class ProgramRun:
    resources: list[RecordedResource]
    stack_urn: str
    warnings: list[str] = field(default_factory=list)
    stack_outputs: struct_pb2.Struct | None = None  # what the program exported, in wire form
    invokes: list[tuple[str, struct_pb2.Struct]] = field(default_factory=list)  # reads, in wire form


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_in_mock_engine(
    body: Callable[[], None],
    *,
    stack: str,
    config: Mapping[str, str],
    secret_keys: frozenset[str] | set[str] = frozenset(),
    preview: bool = False,
    monitor: RecordingMonitor | None = None,
    project: str = PROJECT,
    context: MockContext | None = None,
) -> ProgramRun:
    """Run `body` inside a fresh root Stack against the recording mocks, as the language host runs a program.

    `preview=False` makes every mocked output known, so nothing downstream is skipped; `preview=True`
    runs as `pulumi preview` of a new stack does: computed outputs are unknown.
    """
    monitor = monitor or RecordingMonitor(
        PlatformMocks(context or MockContext.from_config(dict(config)), preview=preview)
    )
    monitor.use_stack(config, frozenset(secret_keys), preview=preview)
    collect = _Collect()
    logger = logging.getLogger(f"mlplat.engine.program.{stack}")
    logger.propagate = False
    logger.handlers = [collect]
    ROOT.set(None)
    configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(logger),
            project=project,
            stack=stack,
            dry_run=preview,
            organization=ORGANIZATION,
            callbacks=None,
        )
    )
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    try:
        _sync_await(run_in_stack(body))
    finally:
        ROOT.set(None)
    stack_urn = next(r.urn for r in monitor.recorded if r.type == "pulumi:pulumi:Stack")
    return ProgramRun(
        resources=monitor.recorded,
        stack_urn=stack_urn,
        warnings=collect.messages,
        stack_outputs=monitor.resource_outputs.get(stack_urn),
        invokes=list(monitor.invokes),
    )


def _run_path(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")


def run_program(
    project_dir: Path, stack: StackConfig, *, preview: bool = False, monitor: RecordingMonitor | None = None
) -> ProgramRun:
    """Run `<project_dir>/infra` with cwd at the project root, as `pulumi preview` would."""
    program = project_dir / "infra"
    previous = Path.cwd()
    os.chdir(project_dir)
    try:
        return run_in_mock_engine(
            lambda: _run_path(program),
            stack=stack.stack,
            config=stack.config,
            secret_keys=stack.secret_keys,
            preview=preview,
            monitor=monitor,
        )
    finally:
        os.chdir(previous)


def run_cluster_program(
    project_dir: Path,
    stack: StackConfig,
    *,
    platform: StackConfig,
    platform_outputs: Mapping[str, object],
    preview: bool = False,
) -> ProgramRun:
    """Run the `mlplat-clusters` program for one cluster stack, cwd at `clusters/`, as the language host does.

    Its StackReference to the platform stack reads `platform_outputs` (wire form); the mocks answer for
    the platform's region and project, which the cluster stack follows. The program is called with the
    platform's config (`clusters/__main__.py` would read the same from the platform's stack file), so a
    plan of a stack file that is not on disk judges that file.
    """
    program_dir = project_dir / CLUSTERS_DIR
    reference = f"{ORGANIZATION}/{PLATFORM_PROJECT}/{platform.stack}"
    context = MockContext.from_config(dict(platform.config), {reference: platform_outputs})
    previous = Path.cwd()
    os.chdir(program_dir)
    try:
        return run_in_mock_engine(
            lambda: run_clusters(project_dir, platform),
            stack=stack.stack,
            config=stack.config,
            secret_keys=stack.secret_keys,
            preview=preview,
            project=CLUSTERS_PROJECT,
            context=context,
        )
    finally:
        os.chdir(previous)
