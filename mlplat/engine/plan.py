"""One offline plan: program under mocks -> cost -> policy pack over the analyzer protocol -> report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from infra.clusters import CLUSTERS_DIR, CLUSTERS_PROJECT, cluster_stacks
from infra.settings import Problem, StackSettings, load_settings, stack_file
from infra.settings.errors import SettingsError
from mlplat.engine.analyzer import shared_pack
from mlplat.engine.constraints import RULES, check_run
from mlplat.engine.cost import estimate
from mlplat.engine.program import PROJECT, ProgramRun, run_cluster_program, run_program
from mlplat.engine.report import build_report, struct_to_dict
from mlplat.engine.stackfile import StackConfig, load_stack_config

# The budget rules judge the plan's estimate; it reaches them as policy config.
COST_POLICIES = ("cost-idle-within-budget", "cost-peak-within-budget-factor")


def policy_config_file(pack_dir: Path, stack: str, profile: str) -> Path | None:
    """`policies/config/<stack>.json`, else the profile's file: a new stack is judged like its profile."""
    for name in (stack, profile):
        path = pack_dir / "config" / f"{name}.json"
        if path.is_file():
            return path
    return None


def preview_policy_config(config_file: Path | None, estimate: dict[str, Any]) -> dict[str, Any]:
    """The `--policy-pack-config` for a real preview: the stack's file with the estimate for the budget rules."""
    merged: dict[str, Any] = json.loads(config_file.read_text()) if config_file is not None else {}
    for name in COST_POLICIES:
        given = merged.get(name)
        entry = {"enforcementLevel": given} if isinstance(given, str) else dict(given or {})
        merged[name] = {**entry, **estimate}
    return merged


def holds_gke_credit(project_dir: Path, settings: StackSettings) -> bool:
    """Whether this stack gets GKE's free-tier credit: one per billing account, whichever stacks share it.

    The credit covers zonal clusters only; among the repository's stacks with a zonal cluster on the same
    billing account, the first by name takes it, so the estimate never counts it twice.
    """
    gcp = settings.settings.gcp
    if gcp is None or not gcp.kubernetes.enabled or not settings.settings.resolved.zonal_cluster:
        return True  # no zonal cluster here: the question does not arise
    holders = [settings.stack]
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        if stack == settings.stack:
            continue
        try:
            config = load_stack_config(project_dir, stack)
            other = load_settings(stack, config.config, config.secret_keys).settings
        except (SettingsError, OSError, ValueError):
            continue  # a broken stack file is reported when that stack is planned
        if (
            other.gcp is not None
            and other.gcp.billing_account == gcp.billing_account
            and other.gcp.kubernetes.enabled
            and other.resolved.zonal_cluster
        ):
            holders.append(stack)
    return min(holders) == settings.stack


def plan_stack(
    project_dir: Path,
    config: StackConfig,
    settings: StackSettings,
    *,
    run_policies: bool = True,
    preview: bool = False,
    policy_config_out: Path | None = None,
) -> dict[str, Any]:
    """Plan `config`; `preview=True` leaves computed outputs unknown, as in `pulumi preview` of a new stack.

    `policy_config_out` receives the policy config this plan judged with (the stack's file plus the
    cost estimate), for `pulumi preview --policy-pack-config`, so the real preview judges the same.
    """
    pack_dir = project_dir / "policies"
    # Started first, the pack loads on the other core while the program runs.
    pack = shared_pack(pack_dir, stack=config.stack, project=PROJECT) if run_policies else None
    run = run_program(project_dir, config, preview=preview)
    clusters = cluster_runs(project_dir, config, settings, run, preview=preview)
    findings = check_run(run) + [f for _, cluster in clusters for f in check_run(cluster)]
    resources = run.resources + [r for _, cluster in clusters for r in cluster.resources]
    providers = settings.providers
    regions = {
        "aws": providers.aws_region or "",
        "gcp": providers.gcp_region or "",
        "azure": providers.azure_location or "",
    }
    cost = estimate(resources, regions, gke_credit=holds_gke_credit(project_dir, settings))
    policy = None
    if pack is not None:
        idle, peak = cost.total()
        budget = settings.settings.budget
        estimate_config = {
            "idleMonthly": idle,
            "peakMonthly": peak,
            "budgetMonthly": budget.monthly_usd,
            "peakFactor": budget.peak_factor,
        }
        config_file = policy_config_file(pack_dir, config.stack, settings.settings.profile_name)
        if policy_config_out is not None:
            merged = preview_policy_config(config_file, estimate_config)
            policy_config_out.write_text(json.dumps(merged, indent=2) + "\n")
        plan_config: dict[str, dict[str, Any]] = dict.fromkeys(COST_POLICIES, estimate_config)
        policy = pack.analyze(run.resources, config_file=config_file, plan_config=plan_config)
        # Each cluster stack is judged on its own, with the environment's policy config (README).
        for cluster_config, cluster in clusters:
            judged = pack.analyze(
                cluster.resources,
                config_file=config_file,
                plan_config=plan_config,
                stack=cluster_config.stack,
                project=CLUSTERS_PROJECT,
            )
            policy = policy.merged(judged)
    outputs = struct_to_dict(run.stack_outputs) if run.stack_outputs is not None else {}
    report = build_report(
        project=PROJECT,
        stack=config.stack,
        resources=resources,
        policy=policy,
        cost=cost,
        outputs=outputs,
        warnings=run.warnings + [w for _, cluster in clusters for w in cluster.warnings],
        constraints=(len(RULES), findings),
    )
    # The environment's stacks, platform first, in deploy order; each resource's URN names its own.
    report["stacks"] = [
        {"project": PROJECT, "stack": config.stack},
        *({"project": CLUSTERS_PROJECT, "stack": c.stack} for c, _ in clusters),
    ]
    return report


def cluster_stack_config(project_dir: Path, name: str, platform: str) -> StackConfig:
    """`clusters/Pulumi.<name>.yaml` as the engine reads it; a stack not yet created follows `platform`."""
    directory = project_dir / CLUSTERS_DIR
    path = directory / stack_file(name)
    if not path.is_file():
        return StackConfig(name, path, {f"{CLUSTERS_PROJECT}:platform": platform}, frozenset())
    config = load_stack_config(directory, name)
    named = config.config.get(f"{CLUSTERS_PROJECT}:platform", platform)
    if named != platform:
        raise SettingsError(
            f"{CLUSTERS_DIR}/{path.name}",
            [
                Problem(
                    f"{CLUSTERS_PROJECT}:platform",
                    f"must be {platform!r} (the stack is named after it), got {named!r}",
                )
            ],
        )
    return config


def cluster_runs(
    project_dir: Path, config: StackConfig, settings: StackSettings, platform: ProgramRun, *, preview: bool
) -> list[tuple[StackConfig, ProgramRun]]:
    """Each cluster stack of this environment, run against the platform run's outputs."""
    outputs = json_format.MessageToDict(platform.stack_outputs) if platform.stack_outputs is not None else {}
    program = project_dir / CLUSTERS_DIR / "__main__.py"
    stacks = cluster_stacks(settings)
    if stacks and not program.is_file():
        raise SettingsError(
            f"{CLUSTERS_DIR}/__main__.py",
            [
                Problem(
                    "program",
                    f"not found in {project_dir}: the cluster stacks {', '.join(n for n, _ in stacks)} need it",
                )
            ],
        )
    runs = []
    for name, _ in stacks:
        cluster_config = cluster_stack_config(project_dir, name, config.stack)
        runs.append(
            (
                cluster_config,
                run_cluster_program(
                    project_dir, cluster_config, platform=config, platform_outputs=outputs, preview=preview
                ),
            )
        )
    return runs
