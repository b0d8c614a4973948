"""A custom-mode VPC: one regional subnet with GKE secondary ranges, Private Google Access, flow logs,
Cloud NAT for egress, and a firewall baseline that opens nothing to the internet."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp.options import child_options

PODS_RANGE = "pods"
SERVICES_RANGE = "services"
# Where Identity-Aware Proxy TCP forwarding connects from (Google's published range).
IAP_RANGE = "35.235.240.0/20"
# Admission webhooks the in-cluster GPU stack serves (Kueue 9443, operators 8443); GKE's own rules only
# open 443 and 10250 from the control plane to private nodes.
WEBHOOK_PORTS = ("8443", "9443")
# The network tag every GKE node carries (see components.gcp.cluster), so webhook traffic reaches only nodes.
GKE_NODE_TAG = "mlplat-gke-node"


@dataclass(frozen=True)
class NetworkArgs:
    project: str
    region: str
    network_name: str  # physical names, see components.common.naming
    subnet_name: str
    subnet_cidr: str
    pods_cidr: str
    services_cidr: str
    master_cidr: str  # the GKE control plane's range, allowed to reach node webhooks
    flow_logs: bool = True
    flow_log_sampling: float = 0.5
    iap_ssh: bool = False


class Network(pulumi.ComponentResource):
    network_id: pulumi.Output[str]
    network_name: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_name: pulumi.Output[str]
    pods_range_name: str
    services_range_name: str

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:gcp:Network", name, None, opts)
        child = child_options(self, opts)
        self.network = gcp.compute.Network(
            f"{name}-vpc",
            gcp.compute.NetworkArgs(
                project=args.project,
                name=args.network_name,
                # Auto mode would create a subnet in every region with overlapping, unmanaged ranges.
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                description="mlplat platform network (custom mode)",
            ),
            opts=child,
        )
        log_config = (
            gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=args.flow_log_sampling,
                metadata="INCLUDE_ALL_METADATA",
            )
            if args.flow_logs
            else None
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-subnet",
            gcp.compute.SubnetworkArgs(
                project=args.project,
                name=args.subnet_name,
                region=args.region,
                network=self.network.id,
                ip_cidr_range=args.subnet_cidr,
                secondary_ip_ranges=[
                    gcp.compute.SubnetworkSecondaryIpRangeArgs(
                        range_name=PODS_RANGE, ip_cidr_range=args.pods_cidr
                    ),
                    gcp.compute.SubnetworkSecondaryIpRangeArgs(
                        range_name=SERVICES_RANGE, ip_cidr_range=args.services_cidr
                    ),
                ],
                # Nodes and notebooks without public IPs still reach Google APIs.
                private_ip_google_access=True,
                log_config=log_config,
            ),
            opts=child,
        )
        self.router = gcp.compute.Router(
            f"{name}-router",
            gcp.compute.RouterArgs(project=args.project, region=args.region, network=self.network.id),
            opts=child,
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            gcp.compute.RouterNatArgs(
                project=args.project,
                region=args.region,
                router=self.router.name,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
                subnetworks=[
                    gcp.compute.RouterNatSubnetworkArgs(
                        name=self.subnet.self_link, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
                    )
                ],
                log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            ),
            opts=child,
        )
        self._firewalls(name, args, child)

        self.network_id = self.network.id
        self.network_name = self.network.name
        self.subnet_id = self.subnet.id
        self.subnet_name = self.subnet.name
        self.pods_range_name = PODS_RANGE
        self.services_range_name = SERVICES_RANGE
        self.register_outputs(
            {
                "network_id": self.network_id,
                "network_name": self.network_name,
                "subnet_id": self.subnet_id,
                "subnet_name": self.subnet_name,
            }
        )

    def _firewalls(self, name: str, args: NetworkArgs, child: pulumi.ResourceOptions) -> None:
        def rule(
            suffix: str,
            sources: list[str],
            allows: list[gcp.compute.FirewallAllowArgs],
            *,
            log: bool,
            targets: list[str] | None = None,
        ) -> None:
            gcp.compute.Firewall(
                f"{name}-{suffix}",
                gcp.compute.FirewallArgs(
                    project=args.project,
                    network=self.network.id,
                    direction="INGRESS",
                    priority=1000,
                    source_ranges=sources,
                    allows=allows,
                    target_tags=targets,
                    log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
                    if log
                    else None,
                    description=f"mlplat: {suffix.replace('-', ' ')}",
                ),
                opts=child,
            )

        all_protocols = [
            gcp.compute.FirewallAllowArgs(protocol="tcp"),
            gcp.compute.FirewallAllowArgs(protocol="udp"),
            gcp.compute.FirewallAllowArgs(protocol="icmp"),
        ]
        # Node and pod traffic is high-volume and already in the subnet flow logs.
        rule("allow-internal", [args.subnet_cidr, args.pods_cidr], all_protocols, log=False)
        rule(
            "allow-master-webhooks",
            [args.master_cidr],
            [gcp.compute.FirewallAllowArgs(protocol="tcp", ports=list(WEBHOOK_PORTS))],
            log=True,
            targets=[GKE_NODE_TAG],
        )
        if args.iap_ssh:
            rule(
                "allow-iap-ssh",
                [IAP_RANGE],
                [gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["22"])],
                log=True,
            )
