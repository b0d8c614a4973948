"""An EKS managed node group on a hardened launch template, ready for the cluster autoscaler from zero."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

CapacityType = Literal["ON_DEMAND", "SPOT"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

# Kubernetes spelling -> EKS spelling.
_EKS_EFFECT: dict[TaintEffect, str] = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
AUTOSCALER_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
# AL2023 AMIs boot from this device; the launch template replaces its volume with an encrypted gp3 one.
ROOT_DEVICE = "/dev/xvda"


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: TaintEffect  # Kubernetes spelling, as pods tolerate it


@dataclass(frozen=True)
class EksNodeGroupArgs:
    cluster_name: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    instance_types: Sequence[str]
    ami_type: str  # AL2023_x86_64_STANDARD, AL2023_x86_64_NVIDIA, ...
    min_size: int
    max_size: int
    disk_size_gb: int
    volume_kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    capacity_type: CapacityType = "ON_DEMAND"
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    # Tags the cluster autoscaler discovers the group by (k8s.io/cluster-autoscaler/enabled, .../<cluster>).
    autoscaler_tags: Mapping[str, str] = field(default_factory=dict)
    # Extended resources a node offers before it exists (e.g. nvidia.com/gpu: "1"), for scale-up from zero.
    template_resources: Mapping[str, str] = field(default_factory=dict)
    node_group_name_prefix: str | None = None


def node_template_tags(args: EksNodeGroupArgs) -> dict[str, str]:
    """What the cluster autoscaler reads from the Auto Scaling group to build a node that does not exist yet."""
    tags = {f"{AUTOSCALER_TEMPLATE}/label/{k}": v for k, v in args.labels.items()}
    tags.update({f"{AUTOSCALER_TEMPLATE}/taint/{t.key}": f"{t.value}:{t.effect}" for t in args.taints})
    tags.update({f"{AUTOSCALER_TEMPLATE}/resources/{k}": v for k, v in args.template_resources.items()})
    return tags


def _asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    groups = resources[0].autoscaling_groups if resources else None
    name = groups[0].name if groups else None
    if not name:
        raise ValueError("the node group reports no Auto Scaling group")
    return name


def _slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


class EksNodeGroup(pulumi.ComponentResource):
    node_group_name: pulumi.Output[str]
    autoscaling_group_name: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]

    def __init__(self, name: str, args: EksNodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not 0 <= args.min_size <= args.max_size or args.max_size < 1:
            raise ValueError(f"node group {name}: need 0 <= min_size <= max_size and max_size >= 1")
        super().__init__("mlplat:aws:EksNodeGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            aws.ec2.LaunchTemplateArgs(
                name_prefix=f"{name}-",
                description=f"mlplat EKS nodes {name}: IMDSv2 only, encrypted gp3 root volume",
                # Tokens required; hop limit 1 keeps pods (one hop further away) off the node's credentials:
                # they get their own through IRSA or Pod Identity, and aws-node runs on the host network.
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                ),
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name=ROOT_DEVICE,
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_size=args.disk_size_gb,
                            volume_type="gp3",
                            encrypted="true",
                            kms_key_id=args.volume_kms_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                    for kind in ("instance", "volume", "network-interface")
                ],
                update_default_version=True,
                tags=tags,
            ),
            opts=child,
        )
        template_tags = node_template_tags(args)
        group_tags = {**tags, **args.autoscaler_tags, **template_tags}
        self.node_group = aws.eks.NodeGroup(
            f"{name}-ng",
            aws.eks.NodeGroupArgs(
                cluster_name=args.cluster_name,
                node_group_name_prefix=args.node_group_name_prefix or f"{name}-",
                node_role_arn=args.node_role_arn,
                subnet_ids=list(args.subnet_ids),
                instance_types=list(args.instance_types),
                ami_type=args.ami_type,
                capacity_type=args.capacity_type,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=args.min_size, max_size=args.max_size, desired_size=args.min_size
                ),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
                ),
                labels=dict(args.labels),
                taints=[
                    aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=_EKS_EFFECT[t.effect])
                    for t in args.taints
                ],
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
                tags=group_tags,
            ),
            # The autoscaler owns the node count after creation; re-applying desiredSize would undo it.
            # A component's depends_on does not reach its children, so the nodes wait explicitly.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=opts.depends_on if opts is not None else None,
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
        self.autoscaling_group_name = self.node_group.resources.apply(_asg_name)
        # Node group tags stop at the node group; the autoscaler reads the Auto Scaling group's own tags.
        self.asg_tags: list[aws.autoscaling.Tag] = []
        for key, value in {**args.autoscaler_tags, **template_tags}.items():
            self.asg_tags.append(
                aws.autoscaling.Tag(
                    f"{name}-asg-{_slug(key.removeprefix('k8s.io/cluster-autoscaler/'))}",
                    aws.autoscaling.TagArgs(
                        autoscaling_group_name=self.autoscaling_group_name,
                        tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                    ),
                    opts=child,
                )
            )

        self.node_group_name = self.node_group.node_group_name
        self.launch_template_id = self.launch_template.id
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "autoscaling_group_name": self.autoscaling_group_name,
                "launch_template_id": self.launch_template_id,
            }
        )
