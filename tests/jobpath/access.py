"""Cluster-wide conditions a team relies on besides its pods: a default StorageClass that encrypts with the
platform's key, and each member's way into the team namespace on each cloud."""

from __future__ import annotations

from typing import Any

from tests.jobpath.plan import Cluster

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
# Built-in Azure role GUIDs (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
# EKS access policies that let a member run jobs in a namespace (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
EKS_NAMESPACE_POLICIES = (
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
)


def default_storage_class(cluster: Cluster) -> list[str]:
    """A PVC without a class binds through the one default StorageClass (kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass);
    EKS 1.30+ creates none (docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html), GKE's and AKS's use
    provider-managed keys. The platform's default encrypts with its own key:
    EKS `encrypted`/`kmsKeyId` (github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md),
    GKE `disk-encryption-kms-key` (cloud.google.com/kubernetes-engine/docs/how-to/using-cmek),
    AKS `diskEncryptionSetID` (learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys)."""
    defaults = [
        sc
        for sc in cluster.objects("StorageClass")
        if ((sc.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS) == "true"
    ]
    if len(defaults) != 1:
        return [
            f"{len(defaults)} default StorageClasses from the plan; a PVC without a class needs exactly one"
        ]
    sc = defaults[0]
    params = sc.get("parameters") or {}
    if cluster.cloud == "aws":
        keys = {
            m["ebs"].get("kmsKeyId")
            for lt in cluster.of_type("aws:ec2/launchTemplate:LaunchTemplate")
            for m in lt.get("blockDeviceMappings") or []
        }
        ok = (
            sc.get("provisioner") == "ebs.csi.aws.com"
            and params.get("encrypted") == "true"
            and params.get("kmsKeyId") in keys
        )
    elif cluster.cloud == "gcp":
        keys = {p.inputs["nodeConfig"].get("bootDiskKmsKey") for p in cluster.pools}
        ok = (
            sc.get("provisioner") == "pd.csi.storage.gke.io" and params.get("disk-encryption-kms-key") in keys
        )
    else:
        sets = cluster.of_type("azure-native:compute:DiskEncryptionSet")
        ok = (
            sc.get("provisioner") == "disk.csi.azure.com"
            and bool(sets)
            and bool(params.get("diskEncryptionSetID"))
        )
    return (
        []
        if ok
        else [f"default StorageClass {sc['metadata']['name']} does not encrypt with the platform's key"]
    )


def member_access(cluster: Cluster, team: str, member: dict[str, Any]) -> list[str]:
    """A member can run jobs in `team-<team>` through the cloud's identity:
    EKS access entries with a namespace-scoped access policy (docs.aws.amazon.com/eks/latest/userguide/access-entries.html);
    GKE Google identities bound with Kubernetes RBAC, plus `container.clusters.get` to fetch credentials
    (cloud.google.com/kubernetes-engine/docs/how-to/role-based-access-control);
    AKS Entra ID with Azure RBAC roles scoped to the namespace, plus the cluster user role to fetch a
    kubeconfig (learn.microsoft.com/azure/aks/manage-azure-rbac)."""
    ns = f"team-{team}"
    who = member.get("email")
    if cluster.cloud == "aws":
        arn = member.get("awsPrincipalArn")
        if not arn:
            return [f"{who} has no IAM principal for EKS"]
        entry = any(e.get("principalArn") == arn for e in cluster.of_type("aws:eks/accessEntry:AccessEntry"))
        scoped = any(
            a.get("principalArn") == arn
            and a.get("policyArn") in EKS_NAMESPACE_POLICIES
            and (
                (a.get("accessScope") or {}).get("type") == "cluster"
                or ns in (a.get("accessScope") or {}).get("namespaces", [])
            )
            for a in cluster.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        )
        return (
            [] if entry and scoped else [f"{who} ({arn}) has no EKS access entry with an edit policy on {ns}"]
        )
    if cluster.cloud == "gcp":
        bound = any(
            (rb.get("metadata") or {}).get("namespace") == ns
            and (rb.get("roleRef") or {}).get("name") in ("edit", "admin")
            and any(s.get("kind") == "User" and s.get("name") == who for s in rb.get("subjects") or [])
            for rb in cluster.objects("RoleBinding")
        )
        viewer = any(
            m.get("member") == f"user:{who}"
            and m.get("role") in ("roles/container.clusterViewer", "roles/container.viewer")
            for m in cluster.of_type("gcp:projects/iAMMember:IAMMember")
        )
        return (
            [] if bound and viewer else [f"{who} has no RoleBinding on {ns} and cluster viewer role on GKE"]
        )
    oid = member.get("azureObjectId")
    if not oid:
        return [f"{who} has no Entra ID object id for AKS"]
    grants = [
        a for a in cluster.of_type("azure-native:authorization:RoleAssignment") if a.get("principalId") == oid
    ]
    writer = any(
        str(a.get("scope", "")).endswith(f"/namespaces/{ns}")
        and AKS_RBAC_WRITER in str(a.get("roleDefinitionId"))
        for a in grants
    )
    user = any(AKS_CLUSTER_USER in str(a.get("roleDefinitionId")) for a in grants)
    return (
        []
        if writer and user
        else [f"{who} ({oid}) has no AKS RBAC Writer role on {ns} and cluster user role"]
    )
