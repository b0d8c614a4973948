"""The cost estimate: each priced type, idle vs peak, spot, the GKE credit, and what is not estimated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi_policy import EnforcementLevel, StackValidationArgs

from mlplat.delivery.cost_table import current_block, render
from mlplat.engine.cost import ESTIMATORS, NO_FIXED_COST, CostEstimate, PriceBook, estimate
from mlplat.engine.recording import RecordedResource
from policies.cost import cost_idle_within_budget, cost_peak_within_budget_factor
from tests.conftest import ROOT, mlplat, set_path, stack_document, write_stack

REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
HOURS = 730


def resource(
    type_: str, name: str, inputs: dict[str, Any], deps: dict[str, list[str]] | None = None
) -> RecordedResource:
    props = struct_pb2.Struct()
    props.update(inputs)
    return RecordedResource(
        urn=f"urn:pulumi:dev::mlplat::{type_}::{name}",
        type=type_,
        name=name,
        parent="",
        custom=True,
        protect=False,
        retain_on_delete=False,
        provider="",
        inputs=props,
        property_dependencies=deps or {},
    )


def priced(*resources: RecordedResource) -> CostEstimate:
    return estimate(list(resources), REGIONS)


def only(result: CostEstimate) -> tuple[float, float]:
    assert result.not_estimated == [], result.not_estimated
    (item,) = result.items
    return item.idle_monthly, item.peak_monthly


def test_fixed_fees_cost_the_same_idle_and_at_peak() -> None:
    assert only(priced(resource("aws:eks/cluster:Cluster", "eks", {}))) == (73.0, 73.0)
    assert only(priced(resource("aws:ec2/natGateway:NatGateway", "nat", {}))) == (32.85, 32.85)
    assert only(priced(resource("aws:ec2/eip:Eip", "ip", {"domain": "vpc"}))) == (3.65, 3.65)
    assert only(priced(resource("aws:kms/key:Key", "key", {}))) == (1.0, 1.0)


def test_aks_nodes_with_an_ephemeral_os_disk_pay_no_disk_and_managed_ones_pay_its_tier() -> None:
    base = {"name": "system", "vmSize": "Standard_D4s_v5", "count": 1}
    ephemeral = resource("azure-native:containerservice:AgentPool", "e", {**base, "osDiskType": "Ephemeral"})
    managed = resource(
        "azure-native:containerservice:AgentPool", "m", {**base, "osDiskType": "Managed", "osDiskSizeGB": 64}
    )
    node = 0.192 * HOURS
    assert only(priced(ephemeral)) == (round(node, 2), round(node, 2))
    # 64 GB is billed as a P6 (Azure managed-disks pricing: the smallest tier at least the disk's size).
    assert only(priced(managed)) == (round(node + 10.21, 2), round(node + 10.21, 2))


def test_kms_keys_are_priced_with_the_versions_their_rotation_adds_in_a_year() -> None:
    # AWS bills $1/month per key plus $1 for each of its first two rotations (aws.amazon.com/kms/pricing).
    yearly = resource("aws:kms/key:Key", "k", {"enableKeyRotation": True, "rotationPeriodInDays": 365})
    quarterly = resource("aws:kms/key:Key", "q", {"enableKeyRotation": True, "rotationPeriodInDays": 90})
    assert only(priced(yearly)) == (2.0, 2.0)
    assert only(priced(quarterly)) == (3.0, 3.0)
    # Cloud KMS bills every enabled version; 90-day rotation leaves 5 versions after a year.
    gcp = resource("gcp:kms/cryptoKey:CryptoKey", "g", {"rotationPeriod": "7776000s"})
    assert only(priced(gcp)) == (0.3, 0.3)


def test_private_dns_zones_cost_a_monthly_fee_each() -> None:
    zone = resource(
        "azure-native:privatedns:PrivateZone", "z", {"privateZoneName": "privatelink.vaultcore.azure.net"}
    )
    assert only(priced(zone)) == (0.5, 0.5)


def test_an_eks_cluster_past_standard_support_bills_extended_support_unless_its_policy_upgrades_it() -> None:
    # EKS 1.33 left standard support on 2026-07-29; extended support is $0.60 per cluster hour (EKS pricing).
    day = dt.date(2026, 12, 1)
    stays = resource("aws:eks/cluster:Cluster", "old", {"version": "1.33"})
    upgrades = resource(
        "aws:eks/cluster:Cluster", "auto", {"version": "1.33", "upgradePolicy": {"supportType": "STANDARD"}}
    )
    current = resource("aws:eks/cluster:Cluster", "new", {"version": "1.35"})
    assert only(estimate([stays], REGIONS, today=day)) == (438.0, 438.0)
    assert only(estimate([upgrades], REGIONS, today=day)) == (73.0, 73.0)
    assert only(estimate([current], REGIONS, today=day)) == (73.0, 73.0)


def test_a_gke_cluster_on_the_extended_channel_past_standard_support_pays_the_extended_fee() -> None:
    # GKE 1.34 left standard support on 2026-10-01 (release schedule); only the Extended channel stays on it.
    day = dt.date(2026, 12, 1)
    inputs = {"location": "us-central1", "minMasterVersion": "1.34"}
    extended = resource(
        "gcp:container/cluster:Cluster", "x", {**inputs, "releaseChannel": {"channel": "EXTENDED"}}
    )
    regular = resource(
        "gcp:container/cluster:Cluster", "r", {**inputs, "releaseChannel": {"channel": "REGULAR"}}
    )
    assert only(estimate([extended], REGIONS, today=day)) == (438.0, 438.0)
    assert only(estimate([regular], REGIONS, today=day)) == (73.0, 73.0)


def test_every_cost_item_names_the_price_entries_it_rests_on_with_source_and_read_date() -> None:
    result = priced(
        resource(
            "aws:eks/nodeGroup:NodeGroup",
            "n",
            {"instanceTypes": ["m6i.large"], "diskSize": 20, "scalingConfig": {"minSize": 1, "maxSize": 1}},
        )
    )
    (item,) = result.items
    assert [p.key for p in item.prices] == ["aws.us-east-1.instances.m6i.large", "aws.us-east-1.gp3"]
    assert all(p.source and p.read for p in item.prices)


def test_interface_endpoints_cost_per_subnet_and_gateway_endpoints_are_free() -> None:
    interface = resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "sts",
        {"vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"]},
    )
    gateway = resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})
    assert only(priced(interface)) == (21.9, 21.9)
    assert only(priced(gateway)) == (0.0, 0.0)


def test_gpu_node_group_costs_nothing_idle_at_min_zero_and_max_nodes_at_peak() -> None:
    group = resource(
        "aws:eks/nodeGroup:NodeGroup",
        "gpu",
        {
            "instanceTypes": ["g5.xlarge"],
            "scalingConfig": {"minSize": 0, "maxSize": 4},
            "capacityType": "ON_DEMAND",
        },
    )
    assert only(priced(group)) == (0.0, round(4 * 1.006 * HOURS, 2))


def test_spot_capacity_is_priced_at_the_documented_discount() -> None:
    def cost(capacity: str) -> float:
        group = resource(
            "aws:eks/nodeGroup:NodeGroup",
            "gpu",
            {
                "instanceTypes": ["g5.xlarge"],
                "scalingConfig": {"minSize": 1, "maxSize": 1},
                "capacityType": capacity,
            },
        )
        return only(priced(group))[0]

    discount = PriceBook(REGIONS).spot_discount.price
    assert cost("SPOT") == pytest.approx(cost("ON_DEMAND") * (1 - discount), abs=0.01)


def test_node_disk_from_the_launch_template_is_added_per_node() -> None:
    template = resource(
        "aws:ec2/launchTemplate:LaunchTemplate", "lt", {"blockDeviceMappings": [{"ebs": {"volumeSize": 100}}]}
    )
    group = resource(
        "aws:eks/nodeGroup:NodeGroup",
        "sys",
        {"instanceTypes": ["m6i.large"], "scalingConfig": {"minSize": 2, "maxSize": 2}},
        {"launchTemplate": [template.urn]},
    )
    result = priced(template, group)
    (item,) = result.items
    assert item.idle_monthly == round(2 * (0.096 * HOURS + 100 * 0.08), 2)


def test_regional_gke_cluster_pays_the_fee_and_one_zonal_cluster_is_covered_by_the_credit() -> None:
    regional = resource("gcp:container/cluster:Cluster", "prod", {"location": "us-central1"})
    zonal_a = resource("gcp:container/cluster:Cluster", "dev-a", {"location": "us-central1-a"})
    zonal_b = resource("gcp:container/cluster:Cluster", "dev-b", {"location": "us-central1-b"})
    assert only(priced(regional)) == (73.0, 73.0)
    both = {i.name: i.idle_monthly for i in priced(zonal_a, zonal_b).items}
    assert both == {"dev-a": 0.0, "dev-b": 73.0}


def test_n1_node_pool_pays_for_its_attached_gpus_and_a2_includes_them() -> None:
    n1 = resource(
        "gcp:container/nodePool:NodePool",
        "t4",
        {
            "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 2},
            "nodeConfig": {
                "machineType": "n1-standard-4",
                "diskSizeGb": 100,
                "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}],
            },
        },
    )
    a2 = resource(
        "gcp:container/nodePool:NodePool",
        "a100",
        {
            "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 1},
            "nodeConfig": {
                "machineType": "a2-highgpu-1g",
                "diskSizeGb": 0,
                "guestAccelerators": [{"type": "nvidia-tesla-a100", "count": 1}],
            },
        },
    )
    assert only(priced(n1)) == (0.0, round(2 * ((0.19 + 0.35) * HOURS + 100 * 0.10), 2))
    assert only(priced(a2)) == (0.0, round(3.6733 * HOURS, 2))


def test_per_zone_node_counts_multiply_by_the_regional_clusters_zones() -> None:
    cluster = resource("gcp:container/cluster:Cluster", "c", {"location": "us-central1"})
    pool = resource(
        "gcp:container/nodePool:NodePool",
        "system",
        {
            "autoscaling": {"minNodeCount": 1, "maxNodeCount": 2},
            "nodeConfig": {"machineType": "e2-standard-4", "diskSizeGb": 0},
        },
        {"cluster": [cluster.urn]},
    )
    item = next(i for i in priced(cluster, pool).items if i.name == "system")
    assert (item.idle_monthly, item.peak_monthly) == (
        round(3 * 0.134 * HOURS, 2),
        round(6 * 0.134 * HOURS, 2),
    )


def test_workbench_costs_its_disks_when_idle_and_the_machine_when_running() -> None:
    bench = resource(
        "gcp:workbench/instance:Instance",
        "alice",
        {
            "gceSetup": {
                "machineType": "e2-standard-4",
                "bootDisk": {"diskSizeGb": 150},
                "dataDisks": {"diskSizeGb": 100},
            }
        },
    )
    assert only(priced(bench)) == (25.0, round(0.134 * HOURS + 25.0, 2))


def test_aks_free_tier_pays_only_for_its_system_nodes_and_standard_adds_the_fee() -> None:
    # D4s_v5 has no local disk, so AKS gives each node a managed 128 GB OS disk, a P10 (managed-disks pricing).
    pool = {
        "name": "system",
        "vmSize": "Standard_D4s_v5",
        "enableAutoScaling": True,
        "minCount": 1,
        "maxCount": 3,
    }
    free = resource(
        "azure-native:containerservice:ManagedCluster",
        "dev",
        {"sku": {"tier": "Free"}, "agentPoolProfiles": [pool]},
    )
    standard = resource(
        "azure-native:containerservice:ManagedCluster",
        "prod",
        {"sku": {"tier": "Standard"}, "agentPoolProfiles": [pool]},
    )
    node = 0.192 * HOURS + 19.71
    assert only(priced(free)) == (round(node, 2), round(3 * node, 2))
    assert only(priced(standard)) == (round(73 + node, 2), round(73 + 3 * node, 2))


def test_aks_spot_gpu_pool_scales_from_zero() -> None:
    pool = resource(
        "azure-native:containerservice:AgentPool",
        "gpu",
        {
            "vmSize": "Standard_NC4as_T4_v3",
            "enableAutoScaling": True,
            "minCount": 0,
            "maxCount": 2,
            "scaleSetPriority": "Spot",
        },
    )
    discount = PriceBook(REGIONS).spot_discount.price
    assert only(priced(pool)) == (0.0, round(2 * 0.526 * HOURS * (1 - discount), 2))


def test_container_registry_is_priced_by_sku() -> None:
    basic = resource("azure-native:containerregistry:Registry", "b", {"sku": {"name": "Basic"}})
    premium = resource("azure-native:containerregistry:Registry", "p", {"sku": {"name": "Premium"}})
    assert only(priced(basic))[0] == round(0.167 * HOURS / 24, 2)
    assert only(priced(premium))[0] == round(1.667 * HOURS / 24, 2)


def test_aml_compute_cluster_scales_from_zero_and_a_stopped_compute_instance_pays_for_its_os_disk() -> None:
    cluster = resource(
        "azure-native:machinelearningservices:Compute",
        "cpu",
        {
            "properties": {
                "computeType": "AmlCompute",
                "properties": {
                    "vmSize": "Standard_DS3_v2",
                    "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4},
                },
            }
        },
    )
    instance = resource(
        "azure-native:machinelearningservices:Compute",
        "alice",
        {"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "Standard_DS3_v2"}}},
    )
    assert only(priced(cluster)) == (0.0, round(4 * 0.293 * HOURS, 2))
    # A compute instance has a P10 OS disk, billed while it is stopped (concept-compute-instance).
    assert only(priced(instance)) == (19.71, round(0.293 * HOURS + 19.71, 2))


def test_an_instance_type_without_a_price_is_listed_as_not_estimated_never_zero() -> None:
    group = resource(
        "aws:eks/nodeGroup:NodeGroup",
        "x",
        {"instanceTypes": ["x9.mega"], "scalingConfig": {"minSize": 1, "maxSize": 2}},
    )
    result = priced(group)
    assert result.items == []
    assert [(n.name, n.reason) for n in result.not_estimated] == [
        ("x", "no aws price for instance type x9.mega in us-east-1")
    ]


def test_a_region_without_prices_is_listed_as_not_estimated() -> None:
    result = estimate([resource("aws:ec2/natGateway:NatGateway", "nat", {})], {"aws": "ap-south-2"})
    assert result.items == [] and len(result.not_estimated) == 1


def test_usage_priced_resources_are_not_counted() -> None:
    assert priced(resource("aws:s3/bucket:Bucket", "b", {})).items == []


def stack_args(config: dict[str, Any]) -> StackValidationArgs:
    return StackValidationArgs(resources=[], config=config)


def judge(policy: Any, config: dict[str, Any]) -> list[str]:
    found: list[str] = []
    policy.validate(stack_args(config), lambda message, urn=None: found.append(message))
    return found


def test_idle_cost_within_budget_passes() -> None:
    assert judge(cost_idle_within_budget, {"idleMonthly": 900.0, "budgetMonthly": 1000.0}) == []


def test_idle_cost_above_budget_is_a_violation() -> None:
    (message,) = judge(cost_idle_within_budget, {"idleMonthly": 1200.0, "budgetMonthly": 1000.0})
    assert message.startswith("estimated idle cost $1,200.00/month exceeds the budget of $1,000.00/month")


def test_peak_within_budget_times_factor_passes_and_above_is_a_violation() -> None:
    assert (
        judge(
            cost_peak_within_budget_factor,
            {"peakMonthly": 2900.0, "budgetMonthly": 1000.0, "peakFactor": 3.0},
        )
        == []
    )
    (message,) = judge(
        cost_peak_within_budget_factor, {"peakMonthly": 3100.0, "budgetMonthly": 1000.0, "peakFactor": 3.0}
    )
    assert "exceeds 3 x the budget ($3,000.00/month)" in message


def test_budget_rules_stay_silent_without_an_estimate_unless_the_config_requires_one() -> None:
    assert judge(cost_idle_within_budget, {}) == []
    assert judge(cost_peak_within_budget_factor, {"budgetMonthly": 1.0}) == []
    for rule in (cost_idle_within_budget, cost_peak_within_budget_factor):
        (message,) = judge(rule, {"requireEstimate": True})
        assert message.startswith("no cost estimate reached this rule")


def test_budget_rules_default_to_mandatory_idle_and_advisory_peak() -> None:
    assert cost_idle_within_budget.enforcement_level == EnforcementLevel.MANDATORY
    assert cost_peak_within_budget_factor.enforcement_level == EnforcementLevel.ADVISORY


def test_readme_cost_table_matches_the_plans(reports: dict[str, Any]) -> None:
    plans = {stack: report for stack, (proc, report) in reports.items()}
    expected = render(plans)
    assert current_block((ROOT / "README.md").read_text()) == expected, "run `mlplat cost-table --write`"


def test_plans_price_every_fixed_cost_resource(reports: dict[str, Any]) -> None:
    for stack, (_, report) in reports.items():
        assert report["cost"]["notEstimated"] == [], (stack, report["cost"]["notEstimated"])


def test_every_resource_type_the_plans_create_is_priced_or_known_to_have_no_fixed_cost(
    reports: dict[str, Any],
) -> None:
    for stack, (_, report) in reports.items():
        types = {
            r["type"] for r in report["resources"] if r["custom"] and not r["type"].startswith("pulumi:")
        }
        unknown = sorted(t for t in types if t not in ESTIMATORS and t not in NO_FIXED_COST)
        assert unknown == [], f"{stack}: price these or list them in NO_FIXED_COST"


def test_dev_idles_at_most_400_dollars_a_month_for_all_three_clouds(reports: dict[str, Any]) -> None:
    _, report = reports["dev"]
    assert sorted(report["cost"]["byCloud"]) == ["aws", "azure", "gcp"]
    assert report["cost"]["idleMonthly"] <= 400, report["cost"]["byCloud"]


def test_plan_json_names_each_cost_items_price_sources_and_read_dates(reports: dict[str, Any]) -> None:
    for stack, (_, report) in reports.items():
        for item in report["cost"]["items"]:
            if item["idleMonthly"] or item["peakMonthly"]:
                assert item["prices"], (stack, item["name"])
            for price in item["prices"]:
                assert price["source"] and price["read"], (stack, item["name"], price)


def test_raising_a_prod_gpu_pool_minimum_past_the_budget_blocks_the_plan(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    prod = stack_document("prod")
    pools = prod["config"]["mlplat:aws"]["gpuPools"]
    biggest = max(range(len(pools)), key=lambda i: pools[i].get("gpusPerNode", 1))
    # Three always-on 8-GPU nodes cost more than prod's whole budget at any list price since 2025.
    raised = set_path(prod, f"mlplat:aws.gpuPools.{biggest}.maxNodes", 3)
    write_stack(tmp_path, "prod", set_path(raised, f"mlplat:aws.gpuPools.{biggest}.minNodes", 3))
    proc = mlplat("plan", "prod", "--json", "--cwd", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    mandatory = [v["policy"] for v in report["policy"]["violations"] if v["level"] == "mandatory"]
    assert "cost-idle-within-budget" in mandatory


def test_the_budget_rule_fires_in_a_real_preview_given_the_config_mlplat_plan_writes(tmp_path: Path) -> None:
    """`mlplat plan --policy-config-out F`, then the pack as `pulumi preview --policy-pack-config F` runs it."""
    from mlplat.engine import plan as plan_module
    from mlplat.engine.analyzer import run_policy_pack
    from mlplat.engine.stackfile import load_stack_config

    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    budget = {**stack_document("prod")["config"]["mlplat:budget"], "monthlyUsd": 100}
    budget.pop("perCloud", None)
    write_stack(tmp_path, "prod", set_path(stack_document("prod"), "mlplat:budget", budget))
    written = tmp_path / "policy-config.json"

    proc = mlplat("plan", "prod", "--json", "--policy-config-out", str(written), "--cwd", str(tmp_path))

    assert proc.returncode == 1, proc.stderr
    run = plan_module.run_program(tmp_path, load_stack_config(tmp_path, "prod"))

    def budget_verdicts(config_file: Path) -> list[tuple[str, str, str]]:
        report = run_policy_pack(
            run.resources, pack_dir=ROOT / "policies", stack="prod", project="mlplat", config_file=config_file
        )
        return [(v.policy, v.level, v.message) for v in report.violations if v.policy.startswith("cost-")]

    (idle,) = [v for v in budget_verdicts(written) if v[0] == "cost-idle-within-budget"]
    assert idle[1] == "mandatory" and "exceeds the budget of $100.00/month" in idle[2]
    # Given only the stack's own file, a preview cannot judge the budget, and says so instead of passing.
    without = budget_verdicts(ROOT / "policies" / "config" / "prod.json")
    assert ("cost-idle-within-budget", "mandatory") in {(p, level) for p, level, _ in without}
    assert all(message.startswith("no cost estimate reached this rule") for _, _, message in without)
