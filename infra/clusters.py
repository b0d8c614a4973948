"""The cluster stacks: each cluster's in-cluster layer, a stack of its own (project `mlplat-clusters`).

A deploy unit is a whole stack (DESIGN "Deploying for real"): the platform stack (`Pulumi.<env>.yaml`,
cloud resources only) and one cluster stack per cluster (`clusters/Pulumi.<env>-<eks|gke|aks>.yaml`),
each deployed by the job that can reach its cluster, with an identity that holds rights on that cluster
only. A cluster stack follows one platform stack:

- its structure (teams, GPU pools, chart versions, driver strategy) comes from the platform's stack file
  in the same commit, so promotion still changes one file;
- what only the platform's deploy knows (cluster name and endpoint, the volume key) comes from the
  platform stack's `kubernetesClusters` output through a StackReference.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from components.aws.cluster import AUTOSCALER_NAMESPACE, AUTOSCALER_SERVICE_ACCOUNT
from components.aws.cluster import kubeconfig as eks_kubeconfig
from components.aws.cluster import node_taints as eks_taints
from components.azure.cluster import node_taints as aks_taints
from components.azure.cluster import user_kubeconfig as aks_kubeconfig
from components.catalog import Cloud
from components.common.tags import platform_tags
from components.gcp.cluster import kubeconfig as gke_kubeconfig
from components.gcp.cluster import node_taints as gke_taints
from components.kubernetes import ClusterAutoscalerSpec, StorageClassSpec
from infra.gpu import gpu_pool_specs
from infra.kubernetes import build_gpu_stack
from infra.settings import Problem, SettingsError, StackSettings, load_settings
from infra.settings.stackfile import StackConfig, load_stack_config

PLATFORM_PROJECT = "mlplat"
CLUSTERS_PROJECT = "mlplat-clusters"
CLUSTERS_DIR = "clusters"
# The platform output a cluster stack reads (one entry per cloud that runs a cluster).
HANDOFF_OUTPUT = "kubernetesClusters"
SUFFIX: dict[Cloud, str] = {"aws": "eks", "gcp": "gke", "azure": "aks"}
_CLOUD_OF_SUFFIX = {suffix: cloud for cloud, suffix in SUFFIX.items()}


def cluster_stack_name(platform_stack: str, cloud: Cloud) -> str:
    return f"{platform_stack}-{SUFFIX[cloud]}"


def cluster_clouds(stack: StackSettings) -> list[Cloud]:
    """The clouds of a platform stack that run a cluster, each with a cluster stack of its own."""
    s = stack.settings
    sections: list[tuple[Cloud, Any]] = [("aws", s.aws), ("gcp", s.gcp), ("azure", s.azure)]
    return [cloud for cloud, section in sections if section is not None and section.kubernetes.enabled]


def cluster_stacks(stack: StackSettings) -> list[tuple[str, Cloud]]:
    """`[("dev-eks", "aws"), ...]`: the cluster stacks that follow this platform stack, in deploy order."""
    return [(cluster_stack_name(stack.stack, cloud), cloud) for cloud in cluster_clouds(stack)]


def parse_cluster_stack(name: str) -> tuple[str, Cloud]:
    """`dev-eks` -> (`dev`, `aws`); one line naming the stack for any other name."""
    platform, _, suffix = name.rpartition("-")
    cloud = _CLOUD_OF_SUFFIX.get(suffix)
    if not platform or cloud is None:
        raise SettingsError(
            f"{CLUSTERS_DIR}/Pulumi.{name}.yaml",
            [Problem("stack", f"a cluster stack is named <platform stack>-eks, -gke or -aks, got {name!r}")],
        )
    return platform, cloud


Handoff = dict[str, pulumi.Input[Any]]


def handoff(cloud: Cloud, *, cluster_name: pulumi.Input[str], **values: pulumi.Input[Any]) -> Handoff:
    """What the platform exports for `cloud`'s cluster stack: names and ids only, never a credential."""
    return {"clusterName": cluster_name, **values}


def build_cluster_layer(
    stack: StackSettings, cloud: Cloud, platform: pulumi.Output[Mapping[str, Any]]
) -> None:
    """The in-cluster layer of `stack`'s cluster on `cloud`, from the platform stack's handoff."""
    s = stack.settings
    profile = s.resolved
    tags = platform_tags(
        environment=s.environment, owner=s.owner, cost_center=s.cost_center, stack=stack.stack, extra=s.tags
    )

    def get(key: str) -> pulumi.Output[Any]:
        return platform.apply(lambda values: values[key])

    if cloud == "aws":
        aws = s.aws
        assert aws is not None, "cluster_clouds lists only deployed clouds"
        pools = gpu_pool_specs("aws", aws.gpu_pools, profile)
        region = stack.providers.aws_region or ""
        name = get("clusterName")
        kubeconfig = pulumi.Output.secret(
            eks_kubeconfig(name, get("endpoint"), get("certificateAuthority"), region)
        )
        taints, autoscaler = (
            eks_taints,
            ClusterAutoscalerSpec(
                cluster_name=name,
                region=region,
                namespace=AUTOSCALER_NAMESPACE,
                service_account=AUTOSCALER_SERVICE_ACCOUNT,
                # The autoscaler's minor release is the cluster's (cluster-autoscaler README, "Releases").
                image_tag=f"v{s.versions.kubernetes_for('aws')}.0",
            ),
        )
        # EKS 1.30+ has no default class; gp3 on the platform's volume key.
        storage = StorageClassSpec(
            "ebs.csi.aws.com", {"type": "gp3", "encrypted": "true", "kmsKeyId": get("volumeKeyArn")}
        )
    elif cloud == "gcp":
        gcp = s.gcp
        assert gcp is not None, "cluster_clouds lists only deployed clouds"
        pools = gpu_pool_specs("gcp", gcp.gpu_pools, profile)
        kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(get("clusterName"), get("dnsEndpoint")).apply(
                lambda v: gke_kubeconfig(v[0], v[1])
            )
        )
        taints, autoscaler = gke_taints, None
        # GKE's own default (standard-rwo) uses Google's keys; the newest default class wins.
        storage = StorageClassSpec(
            "pd.csi.storage.gke.io", {"type": "pd-balanced", "disk-encryption-kms-key": get("diskKeyId")}
        )
    else:
        azure = s.azure
        assert azure is not None, "cluster_clouds lists only deployed clouds"
        pools = gpu_pool_specs("azure", azure.gpu_pools, profile)
        # Asked here, by the cluster stack's deployer: listClusterUserCredential needs more than Reader.
        kubeconfig = aks_kubeconfig(get("resourceGroup"), get("clusterName"))
        taints, autoscaler = aks_taints, None
        # AKS's own default (managed-csi) uses platform-managed keys; the newest default class wins.
        storage = StorageClassSpec(
            "disk.csi.azure.com",
            {"skuName": "StandardSSD_LRS", "diskEncryptionSetID": get("diskEncryptionSetId")},
        )
    if not pools:
        return
    build_gpu_stack(
        stack,
        cloud,
        kubeconfig=kubeconfig,
        pools=pools,
        tags=tags,
        taints=taints,
        storage_class=storage,
        cluster_autoscaler=autoscaler,
    )


def platform_settings(project_root: Path, platform_stack: str) -> StackSettings:
    """The platform stack's validated settings, read from its stack file as the engine reads it."""
    config = load_stack_config(project_root, platform_stack)
    return load_settings(platform_stack, config.config, config.secret_keys)


def run_cluster_program(project_root: Path, platform: StackConfig | None = None) -> None:
    """The `mlplat-clusters` program: `clusters/__main__.py` runs this with cwd at `clusters/`.

    `platform` is the platform stack's config when the caller has it already (the offline engine plans
    stack files that are not on disk); the program otherwise reads `<project_root>/Pulumi.<platform>.yaml`.
    """
    stack = pulumi.get_stack()
    try:
        default_platform, cloud = parse_cluster_stack(stack)
        platform_stack = pulumi.Config(CLUSTERS_PROJECT).get("platform") or default_platform
        if platform is not None and platform.stack == platform_stack:
            settings = load_settings(platform_stack, platform.config, platform.secret_keys)
        else:
            settings = platform_settings(project_root, platform_stack)
        if cloud not in cluster_clouds(settings):
            raise SettingsError(
                f"Pulumi.{platform_stack}.yaml",
                [
                    Problem(
                        f"mlplat:{cloud}.kubernetes",
                        f"runs no cluster, so stack {stack} has nothing to deploy",
                    )
                ],
            )
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None
    reference = pulumi.StackReference(f"{pulumi.get_organization()}/{PLATFORM_PROJECT}/{platform_stack}")
    clusters = reference.require_output(HANDOFF_OUTPUT)
    build_cluster_layer(settings, cloud, clusters.apply(lambda c: c[cloud]))
