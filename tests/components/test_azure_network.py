"""The Azure network: NSGs deny the internet everywhere, egress leaves through one NAT IP, private DNS resolves."""

from __future__ import annotations

import itertools

import pytest

from components.azure import Network, NetworkArgs
from tests.components.provider_facts import AZURE_PRIVATE_DNS_ZONES
from tests.plans import Plan, Seen, record

TAGS = {"environment": "dev", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "dev"}
CONFIG = {"azure-native:location": "eastus"}
CIDRS = {
    "aks": "10.30.0.0/20",
    "compute": "10.30.16.0/22",
    "endpoints": "10.30.20.0/24",
    "apiserver": "10.30.21.0/28",
}
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"


def network(cidrs: dict[str, str]) -> Network:
    return Network(
        "net",
        NetworkArgs(
            resource_group_name="rg-ml",
            location="eastus",
            vnet_name="vnet-ml",
            vnet_cidr="10.30.0.0/16",
            subnet_cidrs=cidrs,
            tags=TAGS,
        ),
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return record(lambda: network(CIDRS), config=CONFIG)


def subnet(plan: Plan, purpose: str) -> Seen:
    return next(s for s in plan.of_type(SUBNET) if s.inputs["subnetName"] == f"snet-{purpose}")


def test_every_subnet_has_its_own_network_security_group(plan: Plan) -> None:
    subnets = plan.of_type(SUBNET)
    assert sorted(s.inputs["subnetName"] for s in subnets) == [
        "snet-aks",
        "snet-apiserver",
        "snet-compute",
        "snet-endpoints",
    ]
    linked = [plan.by_urn(s.property_dependencies["networkSecurityGroup"][0]) for s in subnets]
    assert all(nsg.type == NSG for nsg in linked)
    assert len({nsg.urn for nsg in linked}) == len(subnets)


def test_every_security_group_denies_inbound_traffic_from_the_internet(plan: Plan) -> None:
    groups = plan.of_type(NSG)
    assert len(groups) == 4
    for nsg in groups:
        (rule,) = nsg.inputs["securityRules"]
        assert (rule["direction"], rule["access"], rule["sourceAddressPrefix"]) == (
            "Inbound",
            "Deny",
            "Internet",
        )
        assert rule["destinationPortRange"] == "*" and rule["protocol"] == "*"
        assert not [r for r in nsg.inputs["securityRules"] if r["access"] == "Allow"]


def test_subnets_have_no_implicit_outbound_internet_access(plan: Plan) -> None:
    subnets = plan.of_type(SUBNET)
    assert subnets and all(s.inputs["defaultOutboundAccess"] is False for s in subnets)


def test_nat_gateway_with_one_static_standard_ip_serves_the_aks_and_compute_subnets(plan: Plan) -> None:
    nat = plan.one("azure-native:network:NatGateway")
    ip = plan.one("azure-native:network:PublicIPAddress")
    assert nat.inputs["sku"] == {"name": "Standard"}
    assert ip.inputs["sku"]["name"] == "Standard"
    assert ip.inputs["publicIPAllocationMethod"] == "Static"
    assert plan.by_urn(nat.property_dependencies["publicIpAddresses"][0]).urn == ip.urn
    behind_nat = {s.inputs["subnetName"] for s in plan.of_type(SUBNET) if "natGateway" in s.inputs}
    assert behind_nat == {"snet-aks", "snet-compute"}


def test_private_dns_zones_cover_every_private_endpoint_kind_and_are_linked_to_the_vnet(plan: Plan) -> None:
    zones = plan.of_type("azure-native:privatedns:PrivateZone")
    assert sorted(z.inputs["privateZoneName"] for z in zones) == sorted(AZURE_PRIVATE_DNS_ZONES.values())
    vnet = plan.one("azure-native:network:VirtualNetwork")
    links = plan.of_type("azure-native:privatedns:VirtualNetworkLink")
    assert len(links) == len(zones)
    for link in links:
        assert plan.by_urn(link.property_dependencies["virtualNetwork"][0]).urn == vnet.urn
        assert link.inputs["registrationEnabled"] is False
        assert link.inputs["location"] == "global"
    assert {plan.by_urn(link.property_dependencies["privateZoneName"][0]).urn for link in links} == {
        z.urn for z in zones
    }


def test_api_server_subnet_is_delegated_to_aks_and_private_endpoints_obey_nsg_rules(plan: Plan) -> None:
    assert subnet(plan, "apiserver").inputs["delegations"] == [
        {"name": "apiserver", "serviceName": "Microsoft.ContainerService/managedClusters"}
    ]
    assert subnet(plan, "endpoints").inputs["privateEndpointNetworkPolicies"] == "NetworkSecurityGroupEnabled"


def test_subnets_are_created_one_after_another(plan: Plan) -> None:
    by_urn = {r.urn: r for r in plan.run.resources}
    order = ["aks", "compute", "endpoints", "apiserver"]
    for before, after in itertools.pairwise(order):
        recorded = by_urn[subnet(plan, after).urn]
        assert subnet(plan, before).urn in recorded.dependencies


def test_every_taggable_network_resource_carries_the_platform_tags(plan: Plan) -> None:
    tagged = [r for r in plan.resources if r.type.startswith("azure-native:") and r.type != SUBNET]
    assert len(tagged) >= 15
    for r in tagged:
        assert TAGS.items() <= r.inputs["tags"].items(), r.name


def test_without_an_api_server_subnet_only_the_three_subnets_exist() -> None:
    cidrs = {k: v for k, v in CIDRS.items() if k != "apiserver"}
    plan = record(lambda: network(cidrs), config=CONFIG)
    assert len(plan.of_type(SUBNET)) == 3 and len(plan.of_type(NSG)) == 3


@pytest.mark.parametrize(
    "cidrs", [{"aks": "10.30.0.0/20"}, {**CIDRS, "bastion": "10.30.22.0/26"}], ids=["missing", "unknown"]
)
def test_missing_or_unknown_subnet_purposes_are_refused(cidrs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="subnet_cidrs"):
        record(lambda: network(cidrs), config=CONFIG)
