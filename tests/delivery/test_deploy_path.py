"""Per cloud and stack: which deploy job touches the cluster's API, how that job reaches it, and that the
kubeconfig it signs in with needs no human. Reads the workflows and each repository stack's program run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from ruamel.yaml import YAML

from components.aws.deploy_runner import RUNNER_WEBHOOK_FILTERS
from infra.settings import load_settings
from mlplat.engine.plan import cluster_runs
from mlplat.engine.program import run_program
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT

STACKS = ("dev", "prod")
CLOUDS = ("aws", "gcp", "azure")
# The exec credential plugins each cloud documents for non-interactive use.
PLUGIN = {"aws": "aws", "gcp": "gke-gcloud-auth-plugin", "azure": "kubelogin"}
PROVIDER = "pulumi:providers:kubernetes"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    property_dependencies: dict[str, list[str]]


def unwrap(value: Any) -> Any:
    """A secret as the engine receives it ({sig: ..., value: ...}) -> its value."""
    if isinstance(value, dict):
        if "value" in value and any(len(k) == 32 for k in value):
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@cache
def program(stack: str) -> list[Resource]:
    """Every resource of the environment: its platform stack and its cluster stacks."""
    config = load_stack_config(ROOT, stack)
    platform = run_program(ROOT, config)
    settings = load_settings(stack, config.config, config.secret_keys)
    runs = [platform, *(run for _, run in cluster_runs(ROOT, config, settings, platform, preview=False))]
    return [
        Resource(
            r.type,
            r.name,
            r.urn,
            unwrap(json_format.MessageToDict(r.inputs)),
            unwrap(json_format.MessageToDict(r.outputs)),
            r.property_dependencies,
        )
        for run in runs
        for r in run.resources
    ]


def of_type(stack: str, token: str) -> list[Resource]:
    return [r for r in program(stack) if r.type == token]


def by_urn(stack: str, urn: str) -> Resource:
    return next(r for r in program(stack) if r.urn == urn)


def workflow(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / ".github" / "workflows" / name).read_text())


def action(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / ".github" / "actions" / name / "action.yml").read_text())


def job_reaching(cloud: str) -> tuple[str, dict[str, Any]]:
    """The deploy-environment job that deploys `cloud`'s cluster stack."""
    name = {"aws": "eks", "gcp": "gke", "azure": "aks"}[cloud]
    return name, workflow("deploy-environment.yml")["jobs"][name]


def kubeconfig(stack: str, cloud: str) -> dict[str, Any]:
    (provider,) = [p for p in of_type(stack, PROVIDER) if f"-{cloud}-gpu-stack" in p.name]
    return yaml.safe_load(provider.inputs["kubeconfig"])


def runs_on(job: dict[str, Any], stack: str) -> str:
    return str(job["runs-on"]).replace("${{ inputs.environment }}", stack)


# --- the job reaches the API ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_eks_in_cluster_layer_deploys_from_the_codebuild_runner_inside_the_clusters_vpc(stack: str) -> None:
    _, job = job_reaching("aws")
    label = runs_on(job, stack)
    # CodeBuild-hosted runners: runs-on codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}.
    assert label.startswith("codebuild-") and label.endswith(
        "-${{ github.run_id }}-${{ github.run_attempt }}"
    )
    project_name = label.removeprefix("codebuild-").split("-${{")[0]
    (project,) = [
        p for p in of_type(stack, "aws:codebuild/project:Project") if p.inputs["name"] == project_name
    ]
    (cluster,) = of_type(stack, "aws:eks/cluster:Cluster")
    (vpc,) = of_type(stack, "aws:ec2/vpc:Vpc")
    # Its network interfaces are in the cluster's VPC and private subnets.
    assert vpc.urn in project.property_dependencies["vpcConfig"]
    assert set(project.inputs["vpcConfig"]["subnets"]) <= set(cluster.inputs["vpcConfig"]["subnetIds"])
    # The private endpoint is always on, and the cluster security group admits the runner on 443.
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    (runner_sg,) = [
        sg
        for sg in of_type(stack, "aws:ec2/securityGroup:SecurityGroup")
        if sg.urn in project.property_dependencies["vpcConfig"]
    ]
    rules = [
        r
        for r in of_type(stack, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.property_dependencies.get("referencedSecurityGroupId") == [runner_sg.urn]
    ]
    assert [(r.inputs["securityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [
        (cluster.outputs["vpcConfig"]["clusterSecurityGroupId"], 443, 443)
    ]
    # The runner's webhook starts a build for queued workflow jobs (CodeBuild: WORKFLOW_JOB_QUEUED).
    (hook,) = of_type(stack, "aws:codebuild/webhook:Webhook")
    assert hook.inputs["filterGroups"] == [
        {"filters": [{"type": k, "pattern": p} for k, p in RUNNER_WEBHOOK_FILTERS]}
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_gke_in_cluster_layer_deploys_from_a_hosted_runner_through_the_iam_authorized_dns_endpoint(
    stack: str,
) -> None:
    _, job = job_reaching("gcp")
    assert job["runs-on"] == "ubuntu-latest"
    (cluster,) = of_type(stack, "gcp:container/cluster:Cluster")
    dns = cluster.inputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]
    assert dns["allowExternalTraffic"] is True
    server = kubeconfig(stack, "gcp")["clusters"][0]["cluster"]["server"]
    endpoint = cluster.outputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["endpoint"]
    assert server == f"https://{endpoint}" and endpoint.endswith(".gke.goog")


@pytest.mark.parametrize("stack", STACKS)
def test_aks_in_cluster_layer_deploys_from_runners_injected_into_the_clusters_vnet(stack: str) -> None:
    _, job = job_reaching("azure")
    assert runs_on(job, stack) == f"mlplat-{stack}-azure-deploy"
    (vnet,) = of_type(stack, "azure-native:network:VirtualNetwork")
    subnets = of_type(stack, "azure-native:network:Subnet")
    (runners,) = [
        s
        for s in subnets
        if (s.inputs.get("delegations") or [{}])[0].get("serviceName") == "GitHub.Network/networkSettings"
    ]
    assert runners.inputs["virtualNetworkName"] == vnet.outputs["name"]
    (settings,) = [
        r
        for r in of_type(stack, "azure-native:resources:Resource")
        if r.inputs["resourceProviderNamespace"] == "GitHub.Network"
    ]
    assert settings.property_dependencies["properties"] == [runners.urn]
    (cluster,) = of_type(stack, "azure-native:containerservice:ManagedCluster")
    access = cluster.inputs["apiServerAccessProfile"]
    if access["enablePrivateCluster"]:
        # The private API's DNS zone is AKS's own, linked to the cluster VNet, where the runner resolves it.
        assert access["privateDNSZone"] == "system"
    else:
        # A public API admits the runner subnet's NAT egress address.
        (nat,) = of_type(stack, "azure-native:network:NatGateway")
        assert runners.property_dependencies["natGateway"] == [nat.urn]
        (ip,) = of_type(stack, "azure-native:network:PublicIPAddress")
        assert f"{ip.outputs['ipAddress']}/32" in access["authorizedIPRanges"]


# --- the kubeconfig needs no human ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_kubeconfig_signs_in_without_interaction(stack: str, cloud: str) -> None:
    config = kubeconfig(stack, cloud)
    for user in config["users"]:
        exec_ = user["user"]["exec"]
        assert exec_["command"] == PLUGIN[cloud]
        assert exec_.get("interactiveMode") == "Never"
        args = exec_.get("args") or []
        if cloud == "aws":
            assert args[:2] == ["eks", "get-token"]  # the AWS CLI, with the job's OIDC session
        if cloud == "azure":
            # kubelogin's workloadidentity mode reads the token file the job keeps fresh; devicecode would
            # wait for a human, azurecli would use an az token that expires mid-deploy (README).
            assert args[args.index("--login") + 1] == "workloadidentity"
            assert "devicecode" not in json.dumps(config)


def test_the_workflows_install_each_credential_plugin_at_a_pinned_version() -> None:
    steps = action("pulumi-cli")["runs"]["steps"]
    gcloud = next(
        s for s in steps if str(s.get("uses", "")).startswith("google-github-actions/setup-gcloud@")
    )
    assert gcloud["with"]["install_components"] == "gke-gcloud-auth-plugin"
    assert gcloud["with"]["version"][0].isdigit()
    kubelogin = next(s for s in steps if str(s.get("uses", "")).startswith("azure/use-kubelogin@"))
    assert kubelogin["with"]["kubelogin-version"].startswith("v")
    run = next(
        s for s in action("pulumi-run")["runs"]["steps"] if s.get("uses") == "./.github/actions/pulumi-cli"
    )
    assert run
    for job in workflow("deploy-environment.yml")["jobs"].values():
        if any(s.get("uses") == "./.github/actions/pulumi-run" for s in job.get("steps", [])):
            assert job["permissions"]["id-token"] == "write"
