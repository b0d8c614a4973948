"""GCP: ids, self links, emails and endpoints as the Google provider computes them."""

from __future__ import annotations

import base64
from ipaddress import IPv4Network
from typing import Any

from mlplat.engine.fakes import FAKE_CLUSTER_CA_PEM, CallFn, MockContext, OutputFn, Outputs, short_hash

_COMPUTE = "https://www.googleapis.com/compute/v1"
# Service agents created on demand (`gcp.projects.ServiceIdentity`), by API.
_AGENT_DOMAINS = {
    "aiplatform.googleapis.com": "gcp-sa-aiplatform",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry",
    "pubsub.googleapis.com": "gcp-sa-pubsub",
    "container.googleapis.com": "container-engine-robot",
    "compute.googleapis.com": "compute-system",
    "notebooks.googleapis.com": "gcp-sa-notebooks",
}


def project_number(project: str) -> str:
    """A stable 12-digit project number for a project id."""
    return str(100000000000 + int(short_hash(project, 12), 16) % 900000000000)


def _project(inputs: Outputs, ctx: MockContext) -> str:
    return inputs.get("project") or ctx.gcp_project


def _name(name: str, inputs: Outputs) -> str:
    """The provider's autoname when the program gave none: the logical name plus a short suffix."""
    return inputs.get("name") or f"{name}-{short_hash(name, 7)}"


def _ip(seed: str, base: str) -> str:
    network = IPv4Network(base)
    return str(network[2 + int(short_hash(seed, 4), 16) % (network.num_addresses - 4)])


def _service(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {"id": f"{_project(inputs, ctx)}/{inputs.get('service')}"}


def _service_identity(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    project = _project(inputs, ctx)
    domain = _AGENT_DOMAINS.get(str(inputs.get("service")), "gcp-sa-unknown")
    email = f"service-{project_number(project)}@{domain}.iam.gserviceaccount.com"
    return {
        "id": f"projects/{project}/services/{inputs.get('service')}",
        "email": email,
        "member": f"serviceAccount:{email}",
    }


def _global(kind: str) -> OutputFn:
    def build(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
        path = f"projects/{_project(inputs, ctx)}/global/{kind}/{_name(name, inputs)}"
        return {"id": path, "name": _name(name, inputs), "selfLink": f"{_COMPUTE}/{path}"}

    return build


def _regional(kind: str) -> OutputFn:
    def build(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
        region = inputs.get("region") or ctx.gcp_region
        path = f"projects/{_project(inputs, ctx)}/regions/{region}/{kind}/{_name(name, inputs)}"
        return {"id": path, "name": _name(name, inputs), "selfLink": f"{_COMPUTE}/{path}", "region": region}

    return build


def _network(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {**_global("networks")(name, inputs, ctx), "networkId": str(int(short_hash(name, 15), 16))}


def _subnetwork(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    cidr = inputs.get("ipCidrRange") or "10.0.0.0/20"
    return {**_regional("subnetworks")(name, inputs, ctx), "gatewayAddress": str(IPv4Network(cidr)[1])}


def _router_nat(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    region = inputs.get("region") or ctx.gcp_region
    return {
        "id": f"{_project(inputs, ctx)}/{region}/{inputs.get('router')}/{_name(name, inputs)}",
        "name": _name(name, inputs),
    }


def _key_ring(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    ring = _name(name, inputs)
    return {
        "id": f"projects/{_project(inputs, ctx)}/locations/{inputs.get('location')}/keyRings/{ring}",
        "name": ring,
    }


def _crypto_key(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    key = _name(name, inputs)
    ring = inputs.get("keyRing") or f"projects/{ctx.gcp_project}/locations/{ctx.gcp_region}/keyRings/ring"
    return {"id": f"{ring}/cryptoKeys/{key}", "name": key}


def _iam_member(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {"etag": f"BwY{short_hash(name, 9)}="}


def _bucket(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    bucket = _name(name, inputs)
    return {
        "id": bucket,
        "name": bucket,
        "url": f"gs://{bucket}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
        "projectNumber": float(project_number(_project(inputs, ctx))),
    }


def _service_account(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    project = _project(inputs, ctx)
    email = f"{inputs.get('accountId') or name}@{project}.iam.gserviceaccount.com"
    return {
        "id": f"projects/{project}/serviceAccounts/{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "email": email,
        "member": f"serviceAccount:{email}",
        "uniqueId": str(int(short_hash(name, 20), 16))[:21],
    }


def _metadata_store(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    region = inputs.get("region") or ctx.gcp_region
    store = _name(name, inputs)
    return {
        "id": f"projects/{_project(inputs, ctx)}/locations/{region}/metadataStores/{store}",
        "name": store,
    }


def _tensorboard(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    project = _project(inputs, ctx)
    region = inputs.get("region") or ctx.gcp_region
    path = (
        f"projects/{project_number(project)}/locations/{region}/tensorboards/{int(short_hash(name, 15), 16)}"
    )
    return {"id": path, "name": path, "blobStoragePathPrefix": f"cloud-ai-platform-{short_hash(name, 8)}"}


def _repository(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    project = _project(inputs, ctx)
    location = inputs.get("location") or ctx.gcp_region
    repo = inputs.get("repositoryId") or _name(name, inputs)
    return {
        "id": f"projects/{project}/locations/{location}/repositories/{repo}",
        "name": repo,
        "registryUri": f"{location}-docker.pkg.dev/{project}/{repo}",
    }


def _workbench(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    instance = _name(name, inputs)
    return {
        "id": f"projects/{_project(inputs, ctx)}/locations/{inputs.get('location')}/instances/{instance}",
        "name": instance,
        "proxyUri": f"{short_hash(name, 16)}-dot-{ctx.gcp_region}.notebooks.googleusercontent.com",
        "state": "ACTIVE",
    }


def _cluster(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    cluster = _name(name, inputs)
    location = inputs.get("location") or ctx.gcp_region
    private = inputs.get("privateClusterConfig") or {}
    master = private.get("masterIpv4CidrBlock") or "172.16.0.0/28"
    private_ip = str(IPv4Network(master)[2])
    public_ip = _ip(name, "34.64.0.0/10")
    endpoints = inputs.get("controlPlaneEndpointsConfig") or {}
    ca = base64.b64encode(FAKE_CLUSTER_CA_PEM.encode()).decode()
    return {
        "id": f"projects/{_project(inputs, ctx)}/locations/{location}/clusters/{cluster}",
        "name": cluster,
        "location": location,
        "endpoint": private_ip if private.get("enablePrivateEndpoint") else public_ip,
        "masterAuth": {**(inputs.get("masterAuth") or {}), "clusterCaCertificate": ca},
        "privateClusterConfig": {**private, "privateEndpoint": private_ip, "publicEndpoint": public_ip},
        # The DNS-based endpoint GKE assigns every cluster: gke-<hash>-<project number>.<location>.gke.goog.
        "controlPlaneEndpointsConfig": {
            **endpoints,
            "dnsEndpointConfig": {
                **(endpoints.get("dnsEndpointConfig") or {}),
                "endpoint": f"gke-{short_hash(name, 32)}-{int(short_hash(_project(inputs, ctx), 11), 16)}"
                f".{location}.gke.goog",
            },
        },
        "selfLink": f"https://container.googleapis.com/v1/projects/{_project(inputs, ctx)}/locations/{location}/clusters/{cluster}",
        "masterVersion": f"{inputs.get('minMasterVersion') or '1.35'}.5-gke.1080000",
    }


def _node_pool(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    pool = _name(name, inputs)
    return {
        "id": f"{inputs.get('cluster')}/nodePools/{pool}",
        "name": pool,
        "instanceGroupUrls": [],
        "managedInstanceGroupUrls": [],
        "version": "1.35.5-gke.1080000",
    }


def _topic(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    topic = _name(name, inputs)
    return {"id": f"projects/{_project(inputs, ctx)}/topics/{topic}", "name": topic}


def _notification_channel(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    path = f"projects/{_project(inputs, ctx)}/notificationChannels/{int(short_hash(name, 15), 16)}"
    return {"id": path, "name": path, "verificationStatus": "VERIFIED"}


def _budget(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    h = short_hash(name, 32)
    path = f"billingAccounts/{inputs.get('billingAccount')}/budgets/{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"id": path, "name": path}


OUTPUTS: dict[str, OutputFn] = {
    "gcp:projects/service:Service": _service,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
    "gcp:projects/iAMMember:IAMMember": _iam_member,
    "gcp:compute/network:Network": _network,
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:compute/router:Router": _regional("routers"),
    "gcp:compute/routerNat:RouterNat": _router_nat,
    "gcp:compute/firewall:Firewall": _global("firewalls"),
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _iam_member,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _iam_member,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:serviceaccount/iAMMember:IAMMember": _iam_member,
    "gcp:vertex/aiMetadataStore:AiMetadataStore": _metadata_store,
    "gcp:vertex/aiTensorboard:AiTensorboard": _tensorboard,
    "gcp:artifactregistry/repository:Repository": _repository,
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": _iam_member,
    "gcp:workbench/instance:Instance": _workbench,
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:container/nodePool:NodePool": _node_pool,
    "gcp:pubsub/topic:Topic": _topic,
    "gcp:pubsub/topicIAMMember:TopicIAMMember": _iam_member,
    "gcp:monitoring/notificationChannel:NotificationChannel": _notification_channel,
    "gcp:billing/budget:Budget": _budget,
}


def fallback(token: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """Any other GCP resource gets a project-scoped id."""
    return {"id": f"projects/{_project(inputs, ctx)}/{token.split(':')[-1].lower()}s/{_name(name, inputs)}"}


def _get_project(args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    project = args.get("projectId") or ctx.gcp_project
    return {
        "id": f"projects/{project}",
        "projectId": project,
        "number": project_number(project),
        "name": project,
        "labels": {},
        "effectiveLabels": {},
        "pulumiLabels": {},
        "autoCreateNetwork": False,
        "deletionPolicy": "PREVENT",
        "tags": {},
    }


def _storage_agent(args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    project = args.get("project") or ctx.gcp_project
    email = f"service-{project_number(project)}@gs-project-accounts.iam.gserviceaccount.com"
    return {"id": email, "emailAddress": email, "member": f"serviceAccount:{email}", "project": project}


CALLS: dict[str, CallFn] = {
    "gcp:organizations/getProject:getProject": _get_project,
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _storage_agent,
}
