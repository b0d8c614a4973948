"""Re-record mlplat/data/replace_on_change.yaml from the installed SDKs (review the diff before committing).

For every resource type the dev and prod plans create: the top-level input properties whose change
forces a replacement, each with its source.
- aws, gcp: the property's docstring in the installed SDK's `*Args` class, quoted (the upstream
  Terraform docs say "Forces new resource" / "Changing this forces a new resource to be created").
- azure-native: the path parameters of the resource's ARM id (the SDK class docstring's import id,
  `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/...`), plus the provider's own
  list of properties that force a new resource (pulumi-azure-native provider/pkg/gen/replacement.go).
- kubernetes: the provider's forceNew table (pulumi-kubernetes provider/pkg/provider/forcenew.go).

Usage: .venv/bin/python tools/e2e/replace_on_change.py /tmp/dev.json /tmp/prod.json > mlplat/data/replace_on_change.yaml
(each file is `mlplat plan <stack> --json`).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
from pathlib import Path
from typing import Any

SITE = Path(str(importlib.metadata.distribution("pulumi-aws").locate_file("")))
PACKAGES = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure-native": "pulumi_azure_native"}
DISTRIBUTIONS = {"aws": "pulumi-aws", "gcp": "pulumi-gcp", "azure-native": "pulumi-azure-native"}

# What the SDK docstrings say when a change replaces the resource (Terraform's ForceNew, as documented).
REPLACING = re.compile(
    r"[^.]*(?:forces? (?:a )?new resource|forces? (?:the )?(?:creation|recreation) of a new|"
    r"changing this (?:value )?(?:will )?forces?|will force (?:re)?creation|forces? replacement|"
    r"cannot be changed|cannot be updated|can ?not be modified|requires? (?:a )?replacement|"
    r"not allowed to (?:be )?changed? once set)[^.]*\.?",
    re.IGNORECASE,
)

AZURE_REPLACEMENT_GO = (
    "https://github.com/pulumi/pulumi-azure-native/blob/1b7112af33c62b247daed1028686bf279f4d5e69/"
    "provider/pkg/gen/replacement.go"
)
# forceNewMap in AZURE_REPLACEMENT_GO, for the modules and resources this project creates.
AZURE_FORCE_NEW: dict[str, list[str]] = {
    "azure-native:authorization:RoleAssignment": ["principalId", "scope"],
    "azure-native:containerservice:ManagedCluster": [
        "diskEncryptionSetID",
        "dnsPrefix",
        "fqdnSubdomain",
        "linuxProfile",
        "location",
        "nodeResourceGroup",
        "windowsProfile",
    ],
    "azure-native:containerservice:AgentPool": ["gpuInstanceProfile", "vmSize"],
    "azure-native:network:PrivateEndpoint": ["subnet"],
    "azure-native:network:PublicIPAddress": ["location", "publicIPAddressVersion", "publicIPPrefix", "sku"],
    "azure-native:network:VirtualNetwork": ["location"],
    "azure-native:resources:ResourceGroup": ["location"],
    "azure-native:storage:StorageAccount": ["isHnsEnabled", "location"],
}
# networkProfile's sub-properties (serviceCidr, podCidr, networkPlugin, ...) force a new cluster too;
# the table is top-level, so networkProfile is listed with that note.
AZURE_NESTED = {
    "azure-native:containerservice:ManagedCluster": {
        "networkProfile": "serviceCidr, serviceCidrs, "
        "dnsServiceIP, networkMode, networkPlugin, networkPluginMode, podCidr, networkDataplane, networkPolicy, "
        "outboundType, nodePublicIPTags inside it"
    }
}

KUBERNETES_FORCENEW = (
    "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/forcenew.go"
)
KUBERNETES: dict[str, list[tuple[str, str]]] = {
    "*": [("metadata", ".metadata.name and .metadata.namespace only")],
    "kubernetes:core/v1:ResourceQuota": [("spec", ".spec.scopes only")],
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": [("roleRef", ".roleRef")],
    "kubernetes:storage.k8s.io/v1:StorageClass": [
        ("parameters", ".parameters"),
        ("provisioner", ".provisioner"),
    ],
}


TF_AWS = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/"
# ForceNew in the upstream Terraform schema (which pulumi-aws bridges), where the SDK docstrings say nothing:
# the properties of the network and cluster types a day-two change is likely to touch.
AWS_FORCE_NEW: dict[str, tuple[str, list[str]]] = {
    "aws:ec2/vpc:Vpc": ("ec2/vpc_.go", ["cidrBlock"]),
    "aws:ec2/subnet:Subnet": ("ec2/vpc_subnet.go", ["availabilityZone", "cidrBlock", "vpcId"]),
    "aws:ec2/natGateway:NatGateway": (
        "ec2/vpc_nat_gateway.go",
        ["allocationId", "connectivityType", "subnetId"],
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "ec2/vpc_route_table_association.go",
        ["subnetId"],
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2/vpc_endpoint.go", ["serviceName", "vpcEndpointType", "vpcId"]),
    "aws:ec2/securityGroup:SecurityGroup": (
        "ec2/vpc_security_group.go",
        ["description", "name", "namePrefix", "vpcId"],
    ),
    "aws:eks/cluster:Cluster": ("eks/cluster.go", ["bootstrapSelfManagedAddons", "name", "roleArn"]),
    "aws:eks/nodeGroup:NodeGroup": (
        "eks/node_group.go",
        [
            "amiType",
            "capacityType",
            "clusterName",
            "diskSize",
            "instanceTypes",
            "nodeGroupName",
            "nodeGroupNamePrefix",
            "nodeRoleArn",
            "subnetIds",
        ],
    ),
    "aws:eks/accessEntry:AccessEntry": ("eks/access_entry.go", ["clusterName", "principalArn", "type"]),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (
        "eks/access_policy_association.go",
        ["accessScope", "clusterName", "policyArn", "principalArn"],
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "iam/role_policy_attachment.go",
        ["policyArn", "role"],
    ),
    "aws:cloudwatch/logGroup:LogGroup": ("logs/group.go", ["name"]),
}


def unconditional(quote: str) -> bool:
    """A replacement only under a condition the text names ("If ...", "for the premium ... type") is not listed."""
    return not quote.startswith("If ") and " for the premium " not in quote


def resource_files(package: str) -> dict[str, Path]:
    """Type token -> the SDK module that defines the resource class."""
    found: dict[str, Path] = {}
    pattern = re.compile(r"super\(\w+, __self__\).__init__\(\s*'([^']+)'")
    for path in (SITE / package).rglob("*.py"):
        if path.name.startswith("_") or "/v20" in str(path):
            continue
        text = path.read_text()
        for token in pattern.findall(text):
            found.setdefault(token, path)
    return found


def args_docstrings(path: Path, class_name: str) -> dict[str, str]:
    """Engine (camelCase) property name -> docstring, for the resource's `<Name>Args` class."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in (f"{class_name}Args", f"{class_name}InitArgs"):
            docs: dict[str, str] = {}
            for item in node.body:
                if not isinstance(item, ast.FunctionDef) or item.name == "__init__":
                    continue
                name: str | None = None
                for deco in item.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "getter":
                        for kw in deco.keywords:
                            if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                                name = str(kw.value.value)
                        name = name or item.name
                    elif isinstance(deco, ast.Attribute) and deco.attr == "getter":
                        name = item.name
                if name and name not in docs:
                    docs[name.rstrip("_")] = " ".join((ast.get_docstring(item) or "").split())
            return docs
    return {}


REST = "https://learn.microsoft.com/en-us/rest/api/"
# The ARM REST reference's Create Or Update request URL for each type, its path parameters in SDK names:
# a different value addresses a different ARM resource, so the provider can only create a new one.
AZURE_PATHS: dict[str, tuple[str, list[str]]] = {
    "azure-native:applicationinsights:Component": (
        "application-insights/components/create-or-update",
        ["resourceGroupName", "resourceName"],
    ),
    "azure-native:authorization:ManagementLockByScope": (
        "resources/management-locks/create-or-update-by-scope",
        ["scope", "lockName"],
    ),
    "azure-native:authorization:RoleAssignment": (
        "authorization/role-assignments/create",
        ["scope", "roleAssignmentName"],
    ),
    "azure-native:compute:DiskEncryptionSet": (
        "compute/disk-encryption-sets/create-or-update",
        ["resourceGroupName", "diskEncryptionSetName"],
    ),
    "azure-native:consumption:Budget": ("consumption/budgets/create-or-update", ["scope", "budgetName"]),
    "azure-native:containerregistry:Registry": (
        "containerregistry/registries/create",
        ["resourceGroupName", "registryName"],
    ),
    "azure-native:containerservice:AgentPool": (
        "aks/agent-pools/create-or-update",
        ["resourceGroupName", "resourceName", "agentPoolName"],
    ),
    "azure-native:containerservice:ManagedCluster": (
        "aks/managed-clusters/create-or-update",
        ["resourceGroupName", "resourceName"],
    ),
    "azure-native:keyvault:Key": (
        "keyvault/keyvault/keys/create-if-not-exist",
        ["resourceGroupName", "vaultName", "keyName"],
    ),
    "azure-native:keyvault:Vault": (
        "keyvault/keyvault/vaults/create-or-update",
        ["resourceGroupName", "vaultName"],
    ),
    "azure-native:machinelearningservices:Compute": (
        "azureml/compute/create-or-update",
        ["resourceGroupName", "workspaceName", "computeName"],
    ),
    "azure-native:machinelearningservices:Workspace": (
        "azureml/workspaces/create-or-update",
        ["resourceGroupName", "workspaceName"],
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "managedidentity/user-assigned-identities/create-or-update",
        ["resourceGroupName", "resourceName"],
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "monitor/diagnostic-settings/create-or-update",
        ["resourceUri", "name"],
    ),
    "azure-native:network:NatGateway": (
        "virtualnetwork/nat-gateways/create-or-update",
        ["resourceGroupName", "natGatewayName"],
    ),
    "azure-native:network:NetworkSecurityGroup": (
        "virtualnetwork/network-security-groups/create-or-update",
        ["resourceGroupName", "networkSecurityGroupName"],
    ),
    "azure-native:network:PrivateDnsZoneGroup": (
        "virtualnetwork/private-dns-zone-groups/create-or-update",
        ["resourceGroupName", "privateEndpointName", "privateDnsZoneGroupName"],
    ),
    "azure-native:network:PrivateEndpoint": (
        "virtualnetwork/private-endpoints/create-or-update",
        ["resourceGroupName", "privateEndpointName"],
    ),
    "azure-native:network:PublicIPAddress": (
        "virtualnetwork/public-ip-addresses/create-or-update",
        ["resourceGroupName", "publicIpAddressName"],
    ),
    "azure-native:network:Subnet": (
        "virtualnetwork/subnets/create-or-update",
        ["resourceGroupName", "virtualNetworkName", "subnetName"],
    ),
    "azure-native:network:VirtualNetwork": (
        "virtualnetwork/virtual-networks/create-or-update",
        ["resourceGroupName", "virtualNetworkName"],
    ),
    "azure-native:operationalinsights:Workspace": (
        "loganalytics/workspaces/create-or-update",
        ["resourceGroupName", "workspaceName"],
    ),
    "azure-native:privatedns:PrivateZone": (
        "dns/privatednszones/private-zones/create-or-update",
        ["resourceGroupName", "privateZoneName"],
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        "dns/privatednszones/virtual-network-links/create-or-update",
        ["resourceGroupName", "privateZoneName", "virtualNetworkLinkName"],
    ),
    "azure-native:resources:Resource": (
        "resources/resources/create-or-update",
        [
            "resourceGroupName",
            "resourceProviderNamespace",
            "parentResourcePath",
            "resourceType",
            "resourceName",
        ],
    ),
    "azure-native:resources:ResourceGroup": (
        "resources/resource-groups/create-or-update",
        ["resourceGroupName"],
    ),
    "azure-native:storage:BlobServiceProperties": (
        "storagerp/blob-services/set-service-properties",
        ["resourceGroupName", "accountName", "blobServicesName"],
    ),
    "azure-native:storage:StorageAccount": (
        "storagerp/storage-accounts/create",
        ["resourceGroupName", "accountName"],
    ),
}


def entries(token: str, files: dict[str, dict[str, Path]]) -> list[dict[str, str]]:
    package = token.split(":")[0]
    if package == "kubernetes":
        found = KUBERNETES["*"] + KUBERNETES.get(token, [])
        if token == "kubernetes:helm.sh/v3:Release":
            return []
        return [{"property": p, "source": f"{KUBERNETES_FORCENEW} ({note})"} for p, note in found]
    path = files[package][token]
    class_name = token.split(":")[-1]
    version = importlib.metadata.version(DISTRIBUTIONS[package])
    where = f"{PACKAGES[package]} {version} {path.relative_to(SITE)}"
    out: list[dict[str, str]] = []
    if package == "azure-native":
        docs = args_docstrings(path, class_name)
        page, params = AZURE_PATHS[token]
        for param in params:
            if param not in docs:
                raise SystemExit(f"{token}: {param} is not an input of {where}")
            out.append({"property": param, "source": f"{REST}{page} (path parameter of the request URL)"})
        for prop, doc in sorted(docs.items()):
            quote = REPLACING.search(doc)
            if quote and unconditional(quote.group(0).strip()) and all(e["property"] != prop for e in out):
                out.append({"property": prop, "source": f'{where}: "{quote.group(0).strip()}"'})
        for prop in AZURE_FORCE_NEW.get(token, []):
            if all(e["property"] != prop for e in out):
                out.append({"property": prop, "source": AZURE_REPLACEMENT_GO})
        for prop, note in AZURE_NESTED.get(token, {}).items():
            out.append({"property": prop, "source": f"{AZURE_REPLACEMENT_GO} ({note})"})
        return out
    docs = args_docstrings(path, class_name)
    for prop, doc in sorted(docs.items()):
        quote = REPLACING.search(doc)
        if quote and unconditional(quote.group(0).strip()):
            out.append({"property": prop, "source": f'{where}: "{quote.group(0).strip()}"'})
    schema, forced = AWS_FORCE_NEW.get(token, ("", []))
    for prop in forced:
        if prop not in docs:
            raise SystemExit(f"{token}: {prop} is not an input of {where}")
        if all(e["property"] != prop for e in out):
            out.append({"property": prop, "source": f"{TF_AWS}{schema} (ForceNew in the resource schema)"})
    return out


def main(plans: list[str]) -> None:
    types: set[str] = set()
    for plan in plans:
        for resource in json.loads(Path(plan).read_text())["resources"]:
            if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
                types.add(resource["type"])
    files = {
        pkg: resource_files(mod)
        for pkg, mod in PACKAGES.items()
        if any(t.startswith(pkg + ":") for t in types)
    }
    table: dict[str, Any] = {}
    for token in sorted(types):
        table[token] = entries(token, files)
    print("# Generated by tools/e2e/replace_on_change.py from the installed SDKs; review before committing.")
    print(
        "# type token -> top-level input properties whose change replaces the resource, each with its source."
    )
    print(
        "# An empty list: no property of the type is documented (in the cited source) to force a replacement."
    )
    for token, props in table.items():
        if not props:
            package = token.split(":")[0]
            source = (
                f"{PACKAGES[package]} {importlib.metadata.version(DISTRIBUTIONS[package])} "
                f"{files[package][token].relative_to(SITE)}: no input documented as forcing a new resource"
                if package in PACKAGES
                else "pulumi-kubernetes: Release diffs through Helm (upgrade in place); see the provider's helm release Diff"
            )
            print(f"{token}:\n  replaces: []\n  source: {json.dumps(source)}")
            continue
        print(f"{token}:\n  replaces:")
        for entry in props:
            print(f"    - property: {entry['property']}\n      source: {json.dumps(entry['source'])}")


if __name__ == "__main__":
    main(sys.argv[1:])
