"""Azure: ARM ids, names, endpoints and identities as Azure computes them for the platform's resources.

Everything is derived from the resource's name inputs (or its logical name) and the mock subscription,
so plans and inventories are stable from run to run.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from mlplat.engine.fakes import FAKE_CLUSTER_CA_PEM, CallFn, MockContext, OutputFn, Outputs, short_hash

TENANT_ID = "00000000-0000-4000-8000-0000000000aa"
CLIENT_OBJECT_ID = "00000000-0000-4000-8000-0000000000bb"
# The Azure CLI's public client application, which AKS user kubeconfigs name for device-code sign-in.
AZURE_CLI_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"
# The Entra application every AKS cluster's kubelogin asks tokens for.
AKS_AAD_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"


def uuid_from(text: str) -> str:
    h = short_hash(text, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def group_id(ctx: MockContext, inputs: Outputs) -> str:
    return f"/subscriptions/{ctx.azure_subscription}/resourceGroups/{inputs.get('resourceGroupName', 'rg')}"


def physical(name: str, inputs: Outputs, key: str) -> str:
    """The name Azure gets: explicit, or autonamed by the provider (logical name plus a suffix)."""
    return inputs.get(key) or f"{name}{short_hash(name, 8)}"


Extra = Callable[[str, Outputs, MockContext], Outputs]


def arm(
    path: str,
    name_key: str,
    *,
    parents: tuple[tuple[str, str], ...] = (),
    extra: Extra | None = None,
) -> OutputFn:
    """A resource at `<group>/providers/<Namespace>/[<parent type>/<parent>/...]<type>/<name>`.

    `path` is `Namespace/type`; `parents` are (parent type, input holding its name) pairs, outermost
    first: a subnet is ("Microsoft.Network/subnets", parents=(("virtualNetworks", "virtualNetworkName"),)).
    """

    def build(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
        own = physical(name, inputs, name_key)
        namespace, _, kind = path.partition("/")
        segments = [f"{group_id(ctx, inputs)}/providers/{namespace}"]
        for segment, key in parents:
            segments.append(f"{segment}/{inputs.get(key, 'parent')}")
        segments.append(f"{kind}/{own}")
        out: Outputs = {"id": "/".join(segments), "name": own, **_identity_output(inputs)}
        if extra is not None:
            out.update(extra(own, inputs, ctx))
        return out

    return build


def scoped(provider_path: str, scope_key: str, name_key: str | None) -> OutputFn:
    """Extension resources that live under another resource's id (`<scope>/providers/...`)."""

    def build(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
        own = inputs.get(name_key) if name_key else None
        own = own or uuid_from(name)
        return {"id": f"{inputs.get(scope_key, '/scope')}/providers/{provider_path}/{own}", "name": own}

    return build


def _identity_output(inputs: Outputs) -> Outputs:
    """Azure answers a list of user-assigned identity ids with a map of id -> the identity's ids."""
    identity = inputs.get("identity")
    if not isinstance(identity, dict) or not isinstance(identity.get("userAssignedIdentities"), list):
        return {}
    assigned = {
        ref: {"principalId": uuid_from(ref + "principal"), "clientId": uuid_from(ref + "client")}
        for ref in identity["userAssignedIdentities"]
    }
    return {"identity": {**identity, "userAssignedIdentities": assigned}}


def _merged(inputs: Outputs, key: str, computed: Outputs) -> Outputs:
    """An object output: what the program set under `key` plus what Azure adds to it."""
    current = inputs.get(key)
    return {key: {**(current if isinstance(current, dict) else {}), **computed}}


def _public_ip(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {"ipAddress": f"198.51.100.{int(short_hash(own, 4), 16) % 254 + 1}"}


def _identity(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {
        "principalId": uuid_from(own + "principal"),
        "clientId": uuid_from(own + "client"),
        "tenantId": TENANT_ID,
    }


def _vault(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return _merged(inputs, "properties", {"vaultUri": f"https://{own}.vault.azure.net/"})


def _key(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{own}"
    return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{short_hash(uri, 32)}"}


def _storage(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    services = ("blob", "file", "queue", "table", "dfs", "web")
    return {
        "primaryEndpoints": {s: f"https://{own}.{s}.core.windows.net/" for s in services},
        "primaryLocation": ctx.azure_location,
        "provisioningState": "Succeeded",
    }


def _log_analytics(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {"customerId": uuid_from(own)}


def _app_insights(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    key = uuid_from(own + "ikey")
    return {
        "appId": uuid_from(own + "app"),
        "instrumentationKey": key,
        "connectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{ctx.azure_location}.in.applicationinsights.azure.com/",
    }


def _registry(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {"loginServer": f"{own}.azurecr.io"}


def _ml_workspace(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {
        "workspaceId": uuid_from(own),
        "discoveryUrl": f"https://{ctx.azure_location}.api.azureml.ms/discovery",
        "mlFlowTrackingUri": f"azureml://{ctx.azure_location}.api.azureml.ms/mlflow/v1.0",
        **_merged(inputs, "identity", {"principalId": uuid_from(own + "principal"), "tenantId": TENANT_ID}),
    }


def _ml_compute(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """A compute with a system-assigned identity gets its principal, as the workspace does."""
    if not isinstance(inputs.get("identity"), dict):
        return {}
    return _merged(inputs, "identity", {"principalId": uuid_from(own + "principal"), "tenantId": TENANT_ID})


def _managed_cluster(own: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    host = f"{own}-{short_hash(own, 8)}"
    kubelet = f"{own}-agentpool"
    node_group = (
        inputs.get("nodeResourceGroup") or f"MC_{inputs.get('resourceGroupName')}_{own}_{ctx.azure_location}"
    )
    return {
        "fqdn": f"{host}.hcp.{ctx.azure_location}.azmk8s.io",
        "privateFQDN": f"{host}.{short_hash(own, 36)}.privatelink.{ctx.azure_location}.azmk8s.io",
        "azurePortalFQDN": f"{host}.portal.hcp.{ctx.azure_location}.azmk8s.io",
        "currentKubernetesVersion": f"{inputs.get('kubernetesVersion', '1.35')}.2",
        "nodeResourceGroup": node_group,
        "provisioningState": "Succeeded",
        "identityProfile": {
            "kubeletidentity": {
                "resourceId": f"/subscriptions/{ctx.azure_subscription}/resourceGroups/{node_group}"
                f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{kubelet}",
                "clientId": uuid_from(kubelet + "client"),
                "objectId": uuid_from(kubelet + "object"),
            }
        },
        **_merged(
            inputs,
            "oidcIssuerProfile",
            {
                "issuerURL": f"https://{ctx.azure_location}.oic.prod-aks.azure.com/{TENANT_ID}/{uuid_from(own)}/"
            },
        ),
    }


def _generic(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """A resource created through the generic ARM API; GitHub.Network/networkSettings answers with the
    GitHubId tag GitHub's network configuration asks for (GitHub private networking docs)."""
    namespace, kind = (
        inputs.get("resourceProviderNamespace", "Microsoft.Resources"),
        inputs.get("resourceType"),
    )
    own = physical(name, inputs, "resourceName")
    out: Outputs = {"id": f"{group_id(ctx, inputs)}/providers/{namespace}/{kind}/{own}", "name": own}
    if namespace == "GitHub.Network":
        out["tags"] = {**(inputs.get("tags") or {}), "GitHubId": short_hash(name, 64).upper()}
    return out


OUTPUTS: dict[str, OutputFn] = {
    "azure-native:resources:Resource": _generic,
    "azure-native:resources:ResourceGroup": lambda name, inputs, ctx: {
        "id": f"/subscriptions/{ctx.azure_subscription}/resourceGroups/{physical(name, inputs, 'resourceGroupName')}",
        "name": physical(name, inputs, "resourceGroupName"),
    },
    "azure-native:network:VirtualNetwork": arm(
        "Microsoft.Network/virtualNetworks",
        "virtualNetworkName",
        extra=lambda own, inputs, ctx: {"resourceGuid": uuid_from(own)},
    ),
    "azure-native:network:Subnet": arm(
        "Microsoft.Network/subnets", "subnetName", parents=(("virtualNetworks", "virtualNetworkName"),)
    ),
    "azure-native:network:NetworkSecurityGroup": arm(
        "Microsoft.Network/networkSecurityGroups", "networkSecurityGroupName"
    ),
    "azure-native:network:NatGateway": arm("Microsoft.Network/natGateways", "natGatewayName"),
    "azure-native:network:PublicIPAddress": arm(
        "Microsoft.Network/publicIPAddresses", "publicIpAddressName", extra=_public_ip
    ),
    "azure-native:network:PrivateEndpoint": arm("Microsoft.Network/privateEndpoints", "privateEndpointName"),
    "azure-native:network:PrivateDnsZoneGroup": arm(
        "Microsoft.Network/privateDnsZoneGroups",
        "privateDnsZoneGroupName",
        parents=(("privateEndpoints", "privateEndpointName"),),
    ),
    "azure-native:privatedns:PrivateZone": arm("Microsoft.Network/privateDnsZones", "privateZoneName"),
    "azure-native:privatedns:VirtualNetworkLink": arm(
        "Microsoft.Network/virtualNetworkLinks",
        "virtualNetworkLinkName",
        parents=(("privateDnsZones", "privateZoneName"),),
    ),
    "azure-native:keyvault:Vault": arm("Microsoft.KeyVault/vaults", "vaultName", extra=_vault),
    "azure-native:keyvault:Key": arm(
        "Microsoft.KeyVault/keys", "keyName", parents=(("vaults", "vaultName"),), extra=_key
    ),
    "azure-native:storage:StorageAccount": arm(
        "Microsoft.Storage/storageAccounts", "accountName", extra=_storage
    ),
    "azure-native:storage:BlobServiceProperties": arm(
        "Microsoft.Storage/blobServices", "blobServicesName", parents=(("storageAccounts", "accountName"),)
    ),
    "azure-native:managedidentity:UserAssignedIdentity": arm(
        "Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName", extra=_identity
    ),
    "azure-native:authorization:RoleAssignment": scoped(
        "Microsoft.Authorization/roleAssignments", "scope", "roleAssignmentName"
    ),
    "azure-native:authorization:ManagementLockByScope": scoped(
        "Microsoft.Authorization/locks", "scope", "lockName"
    ),
    "azure-native:operationalinsights:Workspace": arm(
        "Microsoft.OperationalInsights/workspaces", "workspaceName", extra=_log_analytics
    ),
    "azure-native:applicationinsights:Component": arm(
        "Microsoft.Insights/components", "resourceName", extra=_app_insights
    ),
    "azure-native:containerregistry:Registry": arm(
        "Microsoft.ContainerRegistry/registries", "registryName", extra=_registry
    ),
    "azure-native:machinelearningservices:Workspace": arm(
        "Microsoft.MachineLearningServices/workspaces", "workspaceName", extra=_ml_workspace
    ),
    "azure-native:machinelearningservices:Compute": arm(
        "Microsoft.MachineLearningServices/computes",
        "computeName",
        parents=(("workspaces", "workspaceName"),),
        extra=_ml_compute,
    ),
    "azure-native:containerservice:ManagedCluster": arm(
        "Microsoft.ContainerService/managedClusters", "resourceName", extra=_managed_cluster
    ),
    "azure-native:containerservice:AgentPool": arm(
        "Microsoft.ContainerService/agentPools",
        "agentPoolName",
        parents=(("managedClusters", "resourceName"),),
    ),
    "azure-native:consumption:Budget": scoped("Microsoft.Consumption/budgets", "scope", "budgetName"),
    "azure-native:monitor:DiagnosticSetting": scoped(
        "Microsoft.Insights/diagnosticSettings", "resourceUri", "name"
    ),
}


def fallback(token: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """Any other Azure resource: an ARM id in its provider namespace."""
    module = token.split(":")[1]
    return {"id": f"{group_id(ctx, inputs)}/providers/Microsoft.{module}/{name}", "name": name}


def _client_config(_args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    default = ctx.caller == MockContext.caller
    return {
        "clientId": uuid_from(f"{ctx.caller}-client"),
        "objectId": CLIENT_OBJECT_ID if default else uuid_from(f"{ctx.caller}-object"),
        "subscriptionId": ctx.azure_subscription,
        "tenantId": TENANT_ID,
    }


def kubeconfig(cluster: str, resource_group: str, ctx: MockContext) -> str:
    """A user kubeconfig as AKS returns it for `format=exec` with Entra ID: kubelogin in its default
    device-code mode, with the AKS server application and the Azure CLI's public client
    (https://learn.microsoft.com/azure/aks/kubelogin-authentication; what `az aks get-credentials` writes)."""
    server = f"https://{cluster}-{short_hash(cluster, 8)}.hcp.{ctx.azure_location}.azmk8s.io:443"
    ca = base64.b64encode(FAKE_CLUSTER_CA_PEM.encode()).decode()
    user = f"clusterUser_{resource_group}_{cluster}"
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        f"clusters:\n- name: {cluster}\n  cluster:\n    server: {server}\n"
        f"    certificate-authority-data: {ca}\n"
        f"contexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: {user}\n"
        f"current-context: {cluster}\n"
        f"users:\n- name: {user}\n  user:\n    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: kubelogin\n"
        "      args:\n      - get-token\n      - --environment\n      - AzurePublicCloud\n"
        f"      - --server-id\n      - {AKS_AAD_SERVER_APP}\n"
        f"      - --client-id\n      - {AZURE_CLI_CLIENT_APP}\n"
        f"      - --tenant-id\n      - {TENANT_ID}\n"
        "      - --login\n      - devicecode\n"
        "      env: null\n"
        "      installHint: |2\n\n        kubelogin is not installed which is required to connect to AAD enabled cluster.\n"
        "      provideClusterInfo: false\n"
    )


def _user_credentials(args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    config = kubeconfig(args.get("resourceName", "cluster"), args.get("resourceGroupName", "rg"), ctx)
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}]}


CALLS: dict[str, CallFn] = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _user_credentials,
}
