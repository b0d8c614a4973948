"""Any valid stack file plans: no crash, exactly the verdicts its settings ask for, protection by profile.

Each example runs the real program under the mocks and the real pack over the analyzer protocol
(several seconds), so the examples are few; half of them run in preview mode, where computed
outputs are unknown and the verdicts must not change.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.catalog import Cloud
from infra.settings import StackSettings
from mlplat.engine.plan import plan_stack
from tests.conftest import ROOT
from tests.reliability.cloud_limits import cloud_limit_problems
from tests.reliability.stackfiles import settings_of, stack_config
from tests.reliability.strategies import StackFile, stack_files

# A plan takes seconds: 3 examples per cloud set in the test command, 30 under HYPOTHESIS_PROFILE=explore.
PLAN_EXAMPLES = max(3, settings().max_examples // 33)

# What must survive a `pulumi destroy` in prod: data stores, keys, clusters, workspaces.
PROTECTED_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:eks/cluster:Cluster",
        "aws:sagemaker/domain:Domain",
        "gcp:storage/bucket:Bucket",
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:kms/keyRing:KeyRing",
        "gcp:container/cluster:Cluster",
        "gcp:artifactregistry/repository:Repository",
        "gcp:vertex/aiMetadataStore:AiMetadataStore",
        "gcp:vertex/aiTensorboard:AiTensorboard",
        "gcp:workbench/instance:Instance",
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:containerregistry:Registry",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:machinelearningservices:Workspace",
        "azure-native:operationalinsights:Workspace",
    }
)
# Cloud-side deletion protection, beside Pulumi's: (input, value when the profile protects).
CLOUD_DELETION_FLAGS = {
    "aws:eks/cluster:Cluster": ("deletionProtection", True),
    "gcp:container/cluster:Cluster": ("deletionProtection", True),
    "aws:s3/bucket:Bucket": ("forceDestroy", False),
    "gcp:storage/bucket:Bucket": ("forceDestroy", False),
}
SPOT_RULES = {
    "aws": "eks-gpu-node-group-capacity-type",
    "gcp": "gke-gpu-pool-spot",
    "azure": "azure-aks-gpu-pool-spot",
}
GPU_POOL_TYPES = {
    "aws": "aws:eks/nodeGroup:NodeGroup",
    "gcp": "gcp:container/nodePool:NodePool",
    "azure": "azure-native:containerservice:AgentPool",
}


SCALE_TO_ZERO_RULES = {
    "aws": "eks-gpu-node-group-scales-to-zero",
    "gcp": "gke-gpu-pool-scales-to-zero",
    "azure": "azure-aks-gpu-pool",
}
FLOW_LOG_RULES = {"aws": "vpc-flow-logs-enabled", "gcp": "subnet-flow-logs-enabled"}
PRIVATE_ENDPOINT_RULES = {
    "aws": "eks-cluster-endpoint-private",
    "gcp": "gke-private-endpoint",
    "azure": "azure-aks-private-cluster",
}


def expected_mandatory(s: StackSettings, profile: str, *, over_budget: bool) -> set[str]:
    """The mandatory verdicts valid settings earn: exactly the ones they ask for, nothing else.

    Over budget (prod; decided by the test's choice of budget, never read back from the report), on-demand
    GPUs (dev), and the guardrail exceptions a relaxed policy config would allow: a warm GPU pool, flow
    logs off, Docker in SageMaker Studio, root on Workbench, a public cluster API in prod.
    """
    settings_ = s.settings
    expected: set[str] = set()
    if profile == "prod" and over_budget:
        expected.add("cost-idle-within-budget")
    for cloud in settings_.clouds:
        section = getattr(settings_, cloud)
        if profile == "dev" and any(p.spot is False for p in section.gpu_pools):
            expected.add(SPOT_RULES[cloud])
        if any(p.min_nodes > 0 for p in section.gpu_pools):
            expected.add(SCALE_TO_ZERO_RULES[cloud])
        if cloud in FLOW_LOG_RULES and not section.network.flow_logs:
            expected.add(FLOW_LOG_RULES[cloud])
        kube = section.kubernetes
        if profile == "prod" and kube.enabled and kube.private_endpoint is False:
            expected.add(PRIVATE_ENDPOINT_RULES[cloud])
    aws, gcp = settings_.aws, settings_.gcp
    if aws and aws.workspace.enabled and aws.workspace.docker_access:
        expected.add("sagemaker-domain-docker-access-disabled")
    if gcp and gcp.workspace.enabled and gcp.workspace.users and gcp.workspace.root_access:
        expected.add("workbench-hardened")
    return expected


# Budgets on either side of any idle estimate, so the verdict is known before the plan runs.
# Above: at most one warm GPU node per cloud here (p5.48xlarge, the dearest, lists at about $98/hour, so
# under $72,000 a month each) plus fixed fees far below the rest of a million.
GENEROUS_BUDGET = 1_000_000
# Below: one EKS control plane ($0.10 per cluster-hour, aws.amazon.com/eks/pricing) or one AKS Standard-tier
# cluster ($0.10 per cluster-hour, azure.microsoft.com/pricing/details/kubernetes-service) is $73 a month.
TIGHT_BUDGET = 10


def has_control_plane_fee(file: StackFile) -> bool:
    """An EKS cluster, or an AKS cluster in prod (whose guardrails require the Standard tier)."""
    clusters = [
        c
        for c in ("aws", "azure")
        if f"mlplat:{c}" in file.config
        and file.config[f"mlplat:{c}"].get("kubernetes", {}).get("enabled", True)
    ]
    return "aws" in clusters or (file.profile == "prod" and "azure" in clusters)


def set_budget(file: StackFile, monthly_usd: int) -> None:
    budget = file.config["mlplat:budget"]
    budget["monthlyUsd"] = monthly_usd
    budget.pop("perCloud", None)


def _is_gpu_pool(resource: dict[str, Any]) -> bool:
    inputs = resource["inputs"]
    taints = (
        inputs.get("taints") or inputs.get("nodeTaints") or inputs.get("nodeConfig", {}).get("taints") or []
    )
    return any("nvidia.com/gpu" in str(t) for t in taints)


def _scaling(resource: dict[str, Any]) -> tuple[int, int]:
    i = resource["inputs"]
    if "scalingConfig" in i:
        return i["scalingConfig"]["minSize"], i["scalingConfig"]["maxSize"]
    if "autoscaling" in i:
        return i["autoscaling"]["totalMinNodeCount"], i["autoscaling"]["totalMaxNodeCount"]
    return i["minCount"], i["maxCount"]


def check_plan(
    file: StackFile, s: StackSettings, report: dict[str, Any], *, over_budget: bool = False
) -> None:
    settings_ = s.settings
    resources = report["resources"]
    by_type = Counter(r["type"] for r in resources)
    # One root stack for the platform and one per cluster stack (README "Stacks"), each with its own URN.
    clouds_with_clusters = [c for c in settings_.clouds if getattr(settings_, c).kubernetes.enabled]
    assert by_type["pulumi:pulumi:Stack"] == 1 + len(clouds_with_clusters)
    stacks = {r["urn"].split("::")[0].removeprefix("urn:pulumi:") for r in resources}
    suffix = {"aws": "eks", "gcp": "gke", "azure": "aks"}
    assert stacks == {file.stack, *(f"{file.stack}-{suffix[c]}" for c in clouds_with_clusters)}
    # Only the stacks and the engine's default providers have no parent; every custom resource names a
    # provider the plan registered (the package's default provider when the program names none).
    urns = {r["urn"] for r in resources}
    orphans = [r for r in resources if not r["parent"]]
    assert [r["type"] for r in orphans if not r["type"].startswith("pulumi:providers:")] == [
        "pulumi:pulumi:Stack"
    ] * (1 + len(clouds_with_clusters))
    assert all(r["name"].startswith("default_") for r in orphans if r["type"].startswith("pulumi:providers:"))
    customs = [r for r in resources if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    assert customs and all(r["provider"].rpartition("::")[0] in urns for r in customs)

    mandatory = {v["policy"] for v in report["policy"]["violations"] if v["level"] == "mandatory"}
    assert mandatory == expected_mandatory(s, file.profile, over_budget=over_budget), report["policy"][
        "violations"
    ]
    # At the profile's level (advisory in dev), the idle-cost rule fires exactly when the budget is too small.
    fired = {v["policy"] for v in report["policy"]["violations"]}
    assert ("cost-idle-within-budget" in fired) == over_budget, report["cost"]

    protect = settings_.resolved.deletion_protection
    wrong = [r["name"] for r in resources if r["type"] in PROTECTED_TYPES and r["protect"] != protect]
    assert not wrong, f"protect should be {protect} for {wrong}"
    if not protect:
        assert not [r["name"] for r in resources if r["protect"]]
    for r in resources:
        if r["type"] in CLOUD_DELETION_FLAGS:
            key, protected = CLOUD_DELETION_FLAGS[r["type"]]
            guarded = (
                settings_.resolved.deletion_protection
                if key == "deletionProtection"
                else not settings_.resolved.force_destroy
            )
            assert r["inputs"].get(key, False) == (protected if guarded else not protected), (r["name"], key)

    for key, value in report["outputs"].items():
        if key.endswith("Kubeconfig"):
            assert value == "[secret]", key
    providers = [r for r in resources if r["type"] == "pulumi:providers:kubernetes"]
    # The in-cluster layer (and its Kubernetes provider) exists on every cluster with GPU pools.
    clusters = [
        c
        for c in settings_.clouds
        if getattr(settings_, c).kubernetes.enabled and getattr(settings_, c).gpu_pools
    ]
    assert len(providers) >= len(clusters)
    assert all(p["inputs"]["kubeconfig"] == "[secret]" for p in providers)

    for cloud in settings_.clouds:
        section = getattr(settings_, cloud)
        if not section.kubernetes.enabled:
            assert f"{cloud}Kubeconfig" not in report["outputs"]
            assert cloud not in report["outputs"].get("kubernetesClusters", {})
            continue
        # The cluster stack finds its cluster in the platform's handoff (AKS: no kubeconfig, README "Stacks").
        assert cloud in report["outputs"]["kubernetesClusters"]
        assert (f"{cloud}Kubeconfig" in report["outputs"]) == (cloud != "azure")
        pools = [r for r in resources if r["type"] == GPU_POOL_TYPES[cloud] and _is_gpu_pool(r)]
        assert sorted(_scaling(r) for r in pools) == sorted(
            (p.min_nodes, p.max_nodes) for p in section.gpu_pools
        )
        stack_prefix = f"mlplat-{settings_.environment}-{cloud}-gpu-stack"
        in_stack = Counter(r["type"] for r in resources if r["name"].startswith(stack_prefix))
        assert in_stack["kubernetes:kueue.x-k8s.io/v1beta1:ResourceFlavor"] == len(section.gpu_pools)
        teams = len(settings_.teams) if section.gpu_pools else 0
        assert in_stack["kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue"] == teams

    assert cloud_limit_problems(report) == []


@pytest.mark.parametrize("clouds", [("aws",), ("gcp",), ("azure",), ("aws", "gcp", "azure")], ids="-".join)
@settings(max_examples=PLAN_EXAMPLES)
@given(data=st.data())
def test_any_valid_stack_file_plans_with_only_the_verdicts_it_asks_for(
    clouds: tuple[Cloud, ...], data: st.DataObject
) -> None:
    file = data.draw(stack_files(clouds=clouds, exceptions=data.draw(st.booleans())), label="stack file")
    preview = data.draw(st.booleans(), label="preview")
    # Below the fixed fees wherever a control plane is billed (every AWS example), so each run exercises it.
    over_budget = has_control_plane_fee(file)
    set_budget(file, TIGHT_BUDGET if over_budget else GENEROUS_BUDGET)
    s = settings_of(file.stack, file.document)
    report = plan_stack(ROOT, stack_config(file.stack, file.document), s, preview=preview)
    check_plan(file, s, report, over_budget=over_budget)


def test_a_stack_without_its_own_policy_config_is_judged_by_its_profile(tmp_path: Any) -> None:
    from mlplat.engine.plan import policy_config_file

    pack = ROOT / "policies"
    assert policy_config_file(pack, "prod", "prod") == pack / "config" / "prod.json"
    assert policy_config_file(pack, "sandbox", "dev") == pack / "config" / "dev.json"
    assert policy_config_file(pack, "staging", "prod") == pack / "config" / "prod.json"
    assert policy_config_file(tmp_path, "sandbox", "dev") is None
