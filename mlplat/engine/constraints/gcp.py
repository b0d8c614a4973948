"""What the Google Cloud APIs refuse: names, labels, permanent KMS names, CMEK service agents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlplat.engine.constraints.common import PlanView, Res, Rule, dig, known, mapping_rule, name_rule

KEY_RING = "gcp:kms/keyRing:KeyRing"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"

LABELLED = (
    "gcp:artifactregistry/repository:Repository",
    "gcp:container/cluster:Cluster",
    CRYPTO_KEY,
    "gcp:pubsub/topic:Topic",
    "gcp:storage/bucket:Bucket",
    "gcp:vertex/aiMetadataStore:AiMetadataStore",
    "gcp:vertex/aiTensorboard:AiTensorboard",
    "gcp:workbench/instance:Instance",
)

_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_RFC1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"


def _label(key: str, value: Any) -> str | None:
    if not _LABEL_KEY.fullmatch(key):
        return f"label key {key!r}: lowercase letter first, then lowercase, digits, _ and -, 63 at most"
    if not _LABEL_VALUE.fullmatch(str(value)):
        return f"label {key!r}: value {value!r} must be lowercase, digits, _ and -, 63 at most"
    return None


def _permanent_name(res: Res, plan: PlanView) -> Iterator[str]:
    name = res.value("name")
    if known(name):
        yield (
            f"name {name!r} is fixed: Cloud KMS never deletes key rings and keys, so after a destroy the "
            "next deploy fails on the same name; leave the name to autonaming (a fresh suffix per create)"
        )


# Which service agent (by its account domain) encrypts each CMEK field, per resource type.
CMEK_AGENTS: dict[str, tuple[tuple[tuple[Any, ...], tuple[str, ...]], ...]] = {
    "gcp:workbench/instance:Instance": (
        (("gceSetup", "bootDisk", "kmsKey"), ("gcp-sa-notebooks", "compute-system")),
        (("gceSetup", "dataDisks", "kmsKey"), ("gcp-sa-notebooks", "compute-system")),
    ),
    "gcp:container/cluster:Cluster": ((("databaseEncryption", "keyName"), ("container-engine-robot",)),),
    "gcp:container/nodePool:NodePool": ((("nodeConfig", "bootDiskKmsKey"), ("compute-system",)),),
    "gcp:storage/bucket:Bucket": ((("encryption", "defaultKmsKeyName"), ("gs-project-accounts",)),),
    "gcp:pubsub/topic:Topic": ((("kmsKeyName",), ("gcp-sa-pubsub",)),),
    "gcp:artifactregistry/repository:Repository": ((("kmsKeyName",), ("gcp-sa-artifactregistry",)),),
    "gcp:vertex/aiTensorboard:AiTensorboard": ((("encryptionSpec", "kmsKeyName"), ("gcp-sa-aiplatform",)),),
    "gcp:vertex/aiMetadataStore:AiMetadataStore": (
        (("encryptionSpec", "kmsKeyName"), ("gcp-sa-aiplatform",)),
    ),
}


def _cmek_agents(res: Res, plan: PlanView) -> Iterator[str]:
    waits = plan.waits_for(res)
    for path, agents in CMEK_AGENTS.get(res.type, ()):
        key = res.value(*path)
        if not known(key):
            continue
        grants = [
            g
            for g in plan.of_type(KEY_GRANT)
            if g.value("cryptoKeyId") == key and g.value("role") == ENCRYPTER
        ]
        if not all(known(g.value("member")) for g in grants):
            continue
        for agent in agents:
            granted = [g for g in grants if f"@{agent}.iam.gserviceaccount.com" in str(g.value("member"))]
            if not granted:
                yield f"{'.'.join(map(str, path))} uses {key}, but the {agent} service agent holds no {ENCRYPTER} on it"
            elif not any(g.urn in waits for g in granted):
                yield f"{'.'.join(map(str, path))}: created without waiting for the {agent} agent's key grant"


def _generated_agent_exists(res: Res, plan: PlanView) -> Iterator[str]:
    member = res.value("member")
    if not known(member) or "@gcp-sa-" not in str(member):
        return
    identities = [
        i
        for i in plan.of_type("gcp:projects/serviceIdentity:ServiceIdentity")
        if i.physical("member") == member
    ]
    waits = plan.waits_for(res)
    if not any(i.urn in waits for i in identities):
        yield (
            f"grants {member}, a service agent that exists only once asked for; this plan does not create it "
            "(projects.ServiceIdentity) before the grant, so IAM refuses the member"
        )


def _rotation(res: Res, plan: PlanView) -> Iterator[str]:
    period = res.value("rotationPeriod")
    if known(period) and float(str(period).rstrip("s")) < 86400:
        yield f"rotationPeriod {period} is shorter than the one day Cloud KMS accepts"


def _node_pool_zones(res: Res, plan: PlanView) -> Iterator[str]:
    accelerators = dig(res.inputs, "nodeConfig", "guestAccelerators") or []
    location = str(res.value("location") or "")
    zonal = re.fullmatch(r"[a-z]+-[a-z]+\d+-[a-z]", location) is not None  # us-central1-a, not us-central1
    if accelerators and not zonal and not res.value("nodeLocations"):
        yield (
            "a GPU pool without nodeLocations runs in the cluster's default zones, which GKE picks "
            "without regard to where the accelerator is offered"
        )


def _budget_name(res: Res, plan: PlanView) -> Iterator[str]:
    name = res.value("displayName")
    if known(name) and len(str(name)) > 60:
        yield f"displayName {name!r} is longer than 60 characters"


RULES: tuple[Rule, ...] = (
    mapping_rule(
        "gcp-labels",
        LABELLED,
        "labels",
        refuses="more than 64 labels; keys or values outside lowercase letters, digits, _ and -",
        source="Google Cloud docs, Labels: requirements (64 labels, 63 characters, lowercase)",
        max_entries=64,
        entry=_label,
    ),
    *(
        name_rule(
            f"gcp-{kind}-name",
            (token,),
            key,
            pattern,
            what=what,
            source=source,
            min_length=low,
            max_length=high,
            forbidden_prefixes=prefixes,
        )
        for kind, token, key, pattern, what, low, high, prefixes, source in (
            (
                "kms-key-ring",
                KEY_RING,
                "name",
                r"[a-zA-Z0-9_-]+",
                "letters, digits, _ and -",
                1,
                63,
                (),
                "Cloud KMS API reference, keyRings.create keyRingId: [a-zA-Z0-9_-]{1,63}",
            ),
            (
                "kms-crypto-key",
                CRYPTO_KEY,
                "name",
                r"[a-zA-Z0-9_-]+",
                "letters, digits, _ and -",
                1,
                63,
                (),
                "Cloud KMS API reference, cryptoKeys.create cryptoKeyId: [a-zA-Z0-9_-]{1,63}",
            ),
            (
                "storage-bucket",
                "gcp:storage/bucket:Bucket",
                "name",
                r"[a-z0-9][a-z0-9._-]*[a-z0-9]",
                "lowercase letters, digits, -, _ and ., starting and ending with a letter or digit",
                3,
                63,
                ("goog",),
                "Cloud Storage docs, Bucket naming requirements",
            ),
            (
                "service-account",
                "gcp:serviceaccount/account:Account",
                "accountId",
                r"[a-z]([-a-z0-9]*[a-z0-9])",
                "lowercase letter first, lowercase, digits and -",
                6,
                30,
                (),
                "pulumi_gcp.serviceaccount.Account docstring, account_id: 6-30 characters, [a-z]([-a-z0-9]*[a-z0-9])",
            ),
            (
                "gke-cluster",
                "gcp:container/cluster:Cluster",
                "name",
                _RFC1035,
                "lowercase letter first, lowercase, digits and -",
                1,
                40,
                (),
                "GKE API reference, Cluster.name: 1-40 characters, lowercase letter first",
            ),
            (
                "gke-node-pool",
                "gcp:container/nodePool:NodePool",
                "name",
                _RFC1035,
                "lowercase letter first, lowercase, digits and -",
                1,
                40,
                (),
                "GKE docs, node pool names: 1-40 characters, RFC 1035",
            ),
            *(
                (
                    f"compute-{kind}",
                    f"gcp:compute/{token}",
                    "name",
                    _RFC1035,
                    "RFC 1035: lowercase letter first, lowercase, digits and -",
                    1,
                    63,
                    (),
                    "Compute Engine docs, resource naming convention: RFC 1035, 1-63 characters",
                )
                for kind, token in (
                    ("network", "network:Network"),
                    ("subnetwork", "subnetwork:Subnetwork"),
                    ("router", "router:Router"),
                    ("router-nat", "routerNat:RouterNat"),
                    ("firewall", "firewall:Firewall"),
                )
            ),
            (
                "artifact-registry",
                "gcp:artifactregistry/repository:Repository",
                "repositoryId",
                _RFC1035,
                "lowercase letter first, lowercase, digits and -",
                1,
                63,
                (),
                "Artifact Registry docs, repository names: lowercase letters, numbers, hyphens; 63 characters",
            ),
            (
                "pubsub-topic",
                "gcp:pubsub/topic:Topic",
                "name",
                r"[A-Za-z][A-Za-z0-9._~+%-]*",
                "a letter first, then letters, digits and -_.~+%",
                3,
                255,
                ("goog",),
                "Pub/Sub docs, resource names: 3-255 characters, starts with a letter, not goog",
            ),
            (
                "workbench-instance",
                "gcp:workbench/instance:Instance",
                "name",
                _RFC1035,
                "lowercase letter first, lowercase, digits and -",
                1,
                63,
                (),
                "Vertex AI Workbench API reference, instances.create instanceId: RFC 1035",
            ),
            (
                "tensorboard",
                "gcp:vertex/aiTensorboard:AiTensorboard",
                "displayName",
                r".+",
                "any UTF-8",
                1,
                128,
                (),
                "Vertex AI API reference, Tensorboard.displayName: up to 128 characters",
            ),
        )
    ),
    Rule(
        "gcp-kms-names-permanent",
        (KEY_RING, CRYPTO_KEY),
        "a key ring or key name reused after destroy (they can never be deleted: ALREADY_EXISTS)",
        "Cloud KMS docs, Object hierarchy / lifecycle: key rings and keys cannot be deleted",
        _permanent_name,
    ),
    Rule(
        "gcp-service-agent-exists",
        (KEY_GRANT,),
        "a grant to a gcp-sa-* service agent that has not been created yet (the member does not exist)",
        "Google Cloud IAM docs, service agents: some are created only on first use or by "
        "`services identity create` (pulumi_gcp.projects.ServiceIdentity)",
        _generated_agent_exists,
    ),
    Rule(
        "gcp-kms-rotation-period",
        (CRYPTO_KEY,),
        "a rotation period under one day",
        "Cloud KMS API reference, CryptoKey.rotationPeriod: at least 24 hours",
        _rotation,
    ),
    Rule(
        "gcp-cmek-service-agents",
        tuple(CMEK_AGENTS),
        "a CMEK resource whose service agent cannot use the key (create fails with a permission error)",
        "Google Cloud CMEK docs per service (Workbench: Notebooks and Compute Engine service agents need "
        "cryptoKeyEncrypterDecrypter)",
        _cmek_agents,
    ),
    Rule(
        "gcp-gpu-pool-zones",
        ("gcp:container/nodePool:NodePool",),
        "(capacity) a GPU pool of a regional cluster left to zones GKE picks, not those offering its GPU",
        "GKE docs, GPUs: availability by region and zone; set node_locations to zones that offer it",
        _node_pool_zones,
    ),
    Rule(
        "gcp-budget-display-name",
        ("gcp:billing/budget:Budget",),
        "a display name over 60 characters",
        "Cloud Billing Budget API reference, Budget.displayName: at most 60 characters",
        _budget_name,
    ),
)

UNCONSTRAINED: dict[str, str] = {
    "pulumi:providers:gcp": "the engine's default provider: its inputs are the stack file's `gcp:project` and `gcp:region`, checked with the settings",
    "gcp:projects/service:Service": "API names from the platform's fixed list",
    "gcp:projects/iAMMember:IAMMember": "predefined roles and members the plan creates",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "a service name and the documented log types DATA_READ and DATA_WRITE",
    "gcp:projects/serviceIdentity:ServiceIdentity": "creates the agent the CMEK rule relies on",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "references only",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "references only",
    "gcp:serviceaccount/iAMMember:IAMMember": "references only",
    "gcp:pubsub/topicIAMMember:TopicIAMMember": "references only",
    "gcp:monitoring/notificationChannel:NotificationChannel": "an email address and a display name",
}
