"""Stack files a user could write: hypothesis strategies for valid ones, and single mistakes.

`stack_files()` draws a whole `Pulumi.<stack>.yaml` document (any non-empty set of clouds, GPU
pools of any shape the catalog offers, users, buckets, teams, budgets, tags, either profile) that
the settings model must accept. `mistakes()` draws one change to such a document that it must
refuse, with the key path the refusal has to name.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from components.catalog import Cloud, accelerators
from tests.conftest import DELETE, set_path, stack_document

CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "azure")
SECURE = {"secure": "v1:bWxwbGF0LXRlc3Q=:c2VjcmV0"}  # a `pulumi config set --secret` value in the file

# (stack name, profile key or None); the stack name is also the environment.
STACKS = (("dev", None), ("prod", None), ("sandbox", "dev"), ("staging", "prod"), ("prod", "prod"))

_AWS_REGION = "us-east-1"
_GCP_REGION = "us-central1"

dns_labels = st.from_regex(r"\A[a-z]([a-z0-9-]{0,18}[a-z0-9])?\Z")
emails = st.builds(
    lambda user, domain: f"{user}@{domain}.example.com",
    st.from_regex(r"\A[a-z][a-z0-9.+_-]{0,10}[a-z0-9]\Z").filter(lambda u: ".." not in u),
    st.from_regex(r"\A[a-z]{1,10}\Z"),
)
# What every cloud accepts in a tag key and value (AWS, Azure, and GCP labels after normalising).
tag_keys = st.from_regex(r"\A[A-Za-z][A-Za-z0-9 _.:=+@-]{0,30}\Z").filter(
    lambda k: not k.lower().startswith(("aws", "azure", "microsoft", "windows"))
)
tag_values = st.text(alphabet=string.ascii_letters + string.digits + " _.:=+@-", min_size=1, max_size=40)
label_keys = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9-]{0,10}[a-z0-9]\Z"),
    st.from_regex(r"\A[a-z][a-z0-9]{0,8}\.example\.com/[a-z][a-z0-9_.-]{0,10}[a-z0-9]\Z"),
)
label_values = st.from_regex(r"\A([A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?)?\Z")


def _base_section(cloud: str, profile: str) -> dict[str, Any]:
    """The repository's section for `cloud` under the same profile: valid networks and ids to start from."""
    section = copy.deepcopy(stack_document(profile)["config"][f"mlplat:{cloud}"])
    section.pop("gpuPools", None)
    return section


@st.composite
def gpu_pools(
    draw: st.DrawFn, cloud: Cloud, region_zones: list[str], zones_required: bool = False
) -> dict[str, Any]:
    offered = sorted(name for name, acc in accelerators().items() if acc.shapes(cloud))
    accelerator = draw(st.sampled_from(offered))
    gpus = draw(st.sampled_from([s.gpus for s in accelerators()[accelerator].shapes(cloud)]))
    max_nodes = draw(st.integers(1, 8))
    pool: dict[str, Any] = {
        "name": draw(dns_labels),
        "accelerator": accelerator,
        "maxNodes": max_nodes,
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "gpusPerNode": st.just(gpus),
        "minNodes": st.just(0),  # within the guardrails: GPU pools scale to zero
        "spot": st.booleans(),
        "diskSizeGb": st.integers(50, 2000),
        "labels": st.dictionaries(label_keys, label_values, max_size=3),
        "zones": st.lists(st.sampled_from(region_zones), min_size=1, max_size=3, unique=True),
        "driverStrategy": st.sampled_from(["cloud-managed", "gpu-operator"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()) or (key == "zones" and zones_required):
            pool[key] = draw(strategy)
    if gpus != 1:
        pool["gpusPerNode"] = gpus
    return pool


@st.composite
def users(draw: st.DrawFn, with_object_id: bool) -> list[dict[str, Any]]:
    names = draw(st.lists(st.from_regex(r"\A[a-z]([a-z0-9-]{0,30}[a-z0-9])?\Z"), max_size=3, unique=True))
    out = []
    for name in names:
        user: dict[str, Any] = {"name": name, "email": draw(emails)}
        if with_object_id:
            user["objectId"] = str(draw(st.uuids(version=4)))
        out.append(user)
    return out


@st.composite
def cloud_section(draw: st.DrawFn, cloud: Cloud, profile: str, az_count: int) -> dict[str, Any]:
    section = _base_section(cloud, profile)
    zones = {
        "aws": [f"{_AWS_REGION}{z}" for z in "abc"[:az_count]],
        "gcp": [f"{_GCP_REGION}-{z}" for z in "abcf"],
        "azure": ["1", "2", "3"],
    }[cloud]
    # A regional GKE cluster's GPU pools name their zones (the program cannot ask where a GPU is offered).
    regional_gke = cloud == "gcp" and profile == "prod"
    pools = draw(st.lists(gpu_pools(cloud, zones, regional_gke), max_size=3, unique_by=lambda p: p["name"]))
    # One driver strategy per cluster (a mix is refused): the first pool's, stated or not, for all.
    strategy = pools[0].get("driverStrategy") if pools else None
    for pool in pools:
        pool.pop("driverStrategy", None)
        if strategy is not None:
            pool["driverStrategy"] = strategy
    if pools:
        section["gpuPools"] = pools
    elif draw(st.booleans()):
        section.setdefault("kubernetes", {})["enabled"] = False
    workspace = section.setdefault("workspace", {})
    workspace["users"] = draw(users(with_object_id=cloud == "azure"))
    if draw(st.integers(0, 4)) == 0:
        workspace["enabled"] = False
    if cloud in ("aws", "gcp"):
        section["buckets"] = draw(st.lists(dns_labels, min_size=1, max_size=3, unique=True))
    if cloud == "azure" and draw(st.booleans()):
        workspace["computeMaxNodes"] = draw(st.integers(1, 16))
    if cloud in ("aws", "gcp") and draw(st.booleans()):
        workspace["rootAccess"] = draw(st.booleans())
    if cloud == "aws" and draw(st.booleans()):
        workspace["dockerAccess"] = False
    return section


@st.composite
def guardrail_exceptions(draw: st.DrawFn, config: dict[str, Any], cloud: Cloud) -> None:
    """Settings only a relaxed policy config allows: a warm GPU pool, no flow logs, Docker in Studio, a
    public API endpoint (allow-listed) where the profile makes it private."""
    section = config[f"mlplat:{cloud}"]
    kube = section.setdefault("kubernetes", {})
    if kube.get("enabled", True) and not kube.get("publicAccessCidrs") and draw(st.booleans()):
        kube.update(privateEndpoint=False, publicAccessCidrs=["203.0.113.0/24"])
    pools = section.get("gpuPools", [])
    if pools and draw(st.booleans()):
        pools[draw(st.integers(0, len(pools) - 1))]["minNodes"] = 1
    if cloud in ("aws", "gcp") and draw(st.booleans()):
        section.setdefault("network", {})["flowLogs"] = False
    if cloud == "aws" and draw(st.booleans()):
        section["workspace"]["dockerAccess"] = True


@dataclass(frozen=True)
class StackFile:
    stack: str
    profile: str  # the profile the stack resolves to
    document: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        return self.document["config"]


# Overrides that change the profile without weakening what it protects.
_SAFE_OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "azCount": st.sampled_from([2, 3]),
    "logRetentionDays": st.sampled_from([365, 400, 731]),
    "idleShutdownMinutes": st.integers(60, 1440),
    "accessLogging": st.just(True),
}


@st.composite
def stack_files(
    draw: st.DrawFn,
    profiles: tuple[str, ...] = ("dev", "prod"),
    clouds: tuple[Cloud, ...] | None = None,
    exceptions: bool = False,
) -> StackFile:
    """A valid stack file; with `exceptions`, some settings the guardrails block unless relaxed."""
    stack, profile_key = draw(st.sampled_from([s for s in STACKS if (s[1] or s[0]) in profiles]))
    profile = profile_key or stack
    base = stack_document(profile)["config"]
    config: dict[str, Any] = {
        "mlplat:environment": stack,
        "mlplat:owner": draw(st.sampled_from(["ml-platform", "Data Science", "team.ml@acme"])),
        "mlplat:costCenter": draw(st.sampled_from(["cc-ml-1234", "CC 42", "research"])),
        "mlplat:versions": copy.deepcopy(base["mlplat:versions"]),
    }
    if profile_key:
        config["mlplat:profile"] = profile_key
    overrides = draw(st.dictionaries(st.sampled_from(sorted(_SAFE_OVERRIDES)), st.none(), max_size=2))
    if overrides:
        config["mlplat:profileOverrides"] = {k: draw(_SAFE_OVERRIDES[k]) for k in overrides}
    az_count = config.get("mlplat:profileOverrides", {}).get("azCount", 3 if profile == "prod" else 2)

    if clouds is None:
        clouds = tuple(draw(st.sets(st.sampled_from(CLOUDS), min_size=1).map(sorted)))
    for cloud in clouds:
        config[f"mlplat:{cloud}"] = draw(cloud_section(cloud, profile, az_count))
        if exceptions:
            draw(guardrail_exceptions(config, cloud))
        for key in ("aws:region", "gcp:project", "gcp:region", "azure-native:location"):
            if key.split(":")[0].split("-")[0] == cloud:
                config[key] = base[key]

    capacity = [
        sum(p["maxNodes"] * p.get("gpusPerNode", 1) for p in config[f"mlplat:{c}"].get("gpuPools", []))
        for c in clouds
    ]
    smallest = min((c for c in capacity if c), default=64)
    teams = draw(st.lists(dns_labels, max_size=4, unique=True))
    if teams:
        config["mlplat:teams"] = [
            {
                "name": t,
                "gpuQuota": draw(st.integers(0, smallest)),
                "members": [
                    {
                        "email": email,
                        "awsPrincipalArn": f"arn:aws:iam::123456789012:role/{draw(dns_labels)}",
                        "azureObjectId": str(draw(st.uuids(version=4))),
                    }
                    # Each member once per team: the clouds refuse a second grant to one principal.
                    for email in draw(st.lists(emails, max_size=2, unique_by=str.lower))
                ],
            }
            for t in teams
        ]

    monthly = draw(st.integers(200, 500_000))
    budget: dict[str, Any] = {
        "monthlyUsd": monthly,
        "alertEmails": draw(st.lists(emails, min_size=1, max_size=5, unique=True)),
    }
    if draw(st.booleans()):
        budget["thresholds"] = draw(st.lists(st.integers(1, 1000), min_size=1, max_size=4, unique=True))
    shared = draw(st.lists(st.sampled_from(clouds), unique=True))
    if shared:
        budget["perCloud"] = {c: monthly // (len(shared) + 1) for c in shared}
    config["mlplat:budget"] = budget
    if draw(st.booleans()):
        config["mlplat:tags"] = draw(st.dictionaries(tag_keys, tag_values, max_size=4))
    if draw(st.booleans()):
        config["mlplat:alertWebhookUrl"] = dict(SECURE)
    return StackFile(stack=stack, profile=profile, document={"config": config})


# --- one mistake away from valid ------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    kind: str
    path: str  # the key path the refusal must name, e.g. "mlplat:aws.gpuPools[0].maxNodes"
    document: dict[str, Any]


Path = tuple[str | int, ...]
_FREE_FORM = {"tags", "labels", "images", "perCloud"}  # maps whose keys are the user's own


def _nodes(config: dict[str, Any]) -> list[tuple[Path, Any]]:
    """Every value under an `mlplat:` key with its path, secrets and free-form map entries left out."""
    found: list[tuple[Path, Any]] = []

    def walk(path: Path, value: Any) -> None:
        if value == SECURE:
            return
        found.append((path, value))
        if isinstance(value, dict) and path[-1] not in _FREE_FORM:
            for k, v in value.items():
                walk((*path, k), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk((*path, i), v)

    for key, value in config.items():
        if key.startswith("mlplat:"):
            walk((key,), value)
    return found


def render(path: Path) -> str:
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _set(document: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A changed copy (`set_path` with the path's parts dotted; no walked key contains a dot)."""
    return set_path(document, ".".join(map(str, path)), value)


def _delete(document: dict[str, Any], path: Path) -> dict[str, Any]:
    return _set(document, path, DELETE)


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return "lots"
    if isinstance(value, dict):
        return ["not", "a", "mapping"]
    if isinstance(value, list):
        return {"not": "a list"}
    return {"not": "a string"}


# (path pattern, too-small value, too-big value): numeric limits of the model, None where there is none.
_RANGES: dict[str, tuple[int | None, int | None]] = {
    "gpusPerNode": (0, 17),
    "minNodes": (-1, 1001),
    "maxNodes": (0, 1001),
    "diskSizeGb": (49, 16385),
    "gpuQuota": (-1, 10001),
    "computeMaxNodes": (0, 101),
    "monthlyUsd": (0, None),
    "idleShutdownMinutes": (14, 1441),
}

_REQUIRED: dict[Path, tuple[str, ...]] = {
    ("mlplat:environment",): (),
    ("mlplat:owner",): (),
    ("mlplat:costCenter",): (),
    ("mlplat:budget",): ("monthlyUsd", "alertEmails"),
    ("mlplat:versions",): ("kubernetes", "charts"),
    ("mlplat:gcp",): ("billingAccount",),
    ("mlplat:azure",): ("tenantId",),
}


@st.composite
def mistakes(draw: st.DrawFn) -> tuple[StackFile, Mistake]:
    """A valid stack file and one change to it that the settings must refuse."""
    file = draw(stack_files())
    kinds: dict[str, Callable[[], Mistake | None]] = {
        "unknown key": lambda: _unknown_key(draw, file),
        "wrong type": lambda: _wrong_type_mistake(draw, file),
        "out of range": lambda: _out_of_range(draw, file),
        "missing key": lambda: _missing(draw, file),
        "contradiction": lambda: _contradiction(draw, file),
    }
    kind = draw(st.sampled_from(sorted(kinds)))
    mistake = kinds[kind]()
    if mistake is None:  # nothing of that kind in this file: fall back to a typo, always possible
        mistake = _unknown_key(draw, file)
    return file, mistake


def _unknown_key(draw: st.DrawFn, file: StackFile) -> Mistake:
    """A key the model does not have: added beside the known ones, or a known one misspelt (renamed)."""
    places = [
        (p, v)
        for p, v in _nodes(file.config)
        if isinstance(v, dict) and str(p[-1]).removeprefix("mlplat:") not in _FREE_FORM
    ]
    path, node = draw(st.sampled_from(places))
    known = str(draw(st.sampled_from(sorted(node)))) if node else "name"
    key = draw(st.sampled_from([f"{known}s", f"{known}_", f"x{known.capitalize()}"]))
    if key in node:
        key = f"unknown{key}"
    if node and draw(st.booleans()):
        renamed = {(key if k == known else k): v for k, v in node.items()}
        return Mistake("misspelt key", render((*path, key)), _set(file.document, path, renamed))
    return Mistake("unknown key", render((*path, key)), _set(file.document, (*path, key), 1))


def _wrong_type_mistake(draw: st.DrawFn, file: StackFile) -> Mistake:
    nodes = [(p, v) for p, v in _nodes(file.config) if p[-1] not in ("images",)]
    path, value = draw(st.sampled_from(nodes))
    return Mistake("wrong type", render(path), _set(file.document, path, _wrong_type(value)))


def _out_of_range(draw: st.DrawFn, file: StackFile) -> Mistake | None:
    numeric = [(p, v) for p, v in _nodes(file.config) if isinstance(p[-1], str) and p[-1] in _RANGES]
    if not numeric:
        return None
    path, _ = draw(st.sampled_from(numeric))
    low, high = _RANGES[str(path[-1])]
    value = draw(st.sampled_from([v for v in (low, high) if v is not None]))
    return Mistake("out of range", render(path), _set(file.document, path, value))


def _missing(draw: st.DrawFn, file: StackFile) -> Mistake | None:
    config = file.config
    candidates: list[Path] = []
    for parent, keys in _REQUIRED.items():
        if parent[0] not in config:
            continue
        candidates += [(*parent, k) for k in keys] if keys else [parent]
    for cloud in CLOUDS:
        for i, _ in enumerate(config.get(f"mlplat:{cloud}", {}).get("gpuPools", [])):
            candidates += [(f"mlplat:{cloud}", "gpuPools", i, k) for k in ("name", "accelerator", "maxNodes")]
    for i, _ in enumerate(config.get("mlplat:teams", [])):
        candidates += [("mlplat:teams", i, "name"), ("mlplat:teams", i, "gpuQuota")]
    path = draw(st.sampled_from(candidates))
    return Mistake("missing key", render(path), _delete(file.document, path))


def _contradiction(draw: st.DrawFn, file: StackFile) -> Mistake | None:
    """A change every field of which is fine alone but that contradicts another field."""
    config = file.config
    options: list[Mistake] = []
    for cloud in CLOUDS:
        section = config.get(f"mlplat:{cloud}")
        if section is None:
            continue
        pools = section.get("gpuPools", [])
        if pools:
            at = (f"mlplat:{cloud}", "gpuPools", 0)
            first = pools[0]
            options.append(
                Mistake(
                    "min above max",
                    render((*at, "maxNodes")),
                    _set(file.document, (*at, "minNodes"), first["maxNodes"] + 1),
                )
            )
            copied = _set(file.document, (f"mlplat:{cloud}", "gpuPools"), [*pools, dict(first)])
            options.append(
                Mistake("duplicate pool", render((f"mlplat:{cloud}", "gpuPools", len(pools), "name")), copied)
            )
            kube = {**section.get("kubernetes", {}), "enabled": False}
            options.append(
                Mistake(
                    "pools without a cluster",
                    f"mlplat:{cloud}.kubernetes.enabled",
                    _set(file.document, (f"mlplat:{cloud}", "kubernetes"), kube),
                )
            )
            unoffered = sorted(n for n, a in accelerators().items() if not a.shapes(cloud))
            if unoffered:
                options.append(
                    Mistake(
                        "accelerator not offered",
                        render((*at, "accelerator")),
                        _set(file.document, (*at, "accelerator"), unoffered[0]),
                    )
                )
            offered = {s.gpus for s in accelerators()[first["accelerator"]].shapes(cloud)}
            missing = next(n for n in range(16, 0, -1) if n not in offered)  # more GPUs: no quota falls short
            options.append(
                Mistake(
                    "GPU count not offered",
                    render((*at, "gpusPerNode")),
                    _set(file.document, (*at, "gpusPerNode"), missing),
                )
            )
            if config.get("mlplat:teams"):
                capacity = sum(p["maxNodes"] * p.get("gpusPerNode", 1) for p in pools)
                options.append(
                    Mistake(
                        "quota beyond capacity",
                        "mlplat:teams[0].gpuQuota",
                        _set(file.document, ("mlplat:teams", 0, "gpuQuota"), capacity + 1),
                    )
                )
        listed = [("workspace", "users")] + ([("buckets",)] if "buckets" in section else [])
        for where in listed:
            items = section
            for part in where:
                items = items[part]
            if items:
                path = (f"mlplat:{cloud}", *where)
                at = (*path, len(items)) + (("name",) if isinstance(items[0], dict) else ())
                # The same name for another person: only the name repeats (a repeated identity is its own mistake).
                again = items[0]
                if isinstance(again, dict):
                    again = {**again, "name": again["name"]}
                    if "objectId" in again:
                        again["objectId"] = "0f0e0d0c-0b0a-4908-8706-050403020100"
                    if "email" in again:
                        again["email"] = "someone.else@example.com"
                options.append(
                    Mistake(f"duplicate {where[-1]}", render(at), _set(file.document, path, [*items, again]))
                )
        if section.get("kubernetes", {}).get("enabled", True):
            kube = {k: v for k, v in section.get("kubernetes", {}).items() if k != "publicAccessCidrs"}
            options.append(
                Mistake(
                    "public endpoint without allow-list",
                    f"mlplat:{cloud}.kubernetes.publicAccessCidrs",
                    _set(
                        file.document, (f"mlplat:{cloud}", "kubernetes"), {**kube, "privateEndpoint": False}
                    ),
                )
            )
    if "mlplat:aws" in config and "mlplat:gcp" in config:
        cidr = config["mlplat:aws"]["network"]["cidr"]
        options.append(
            Mistake(
                "overlapping networks",
                "mlplat:gcp.network.subnetCidr",
                _set(file.document, ("mlplat:gcp", "network", "subnetCidr"), cidr),
            )
        )
    monthly = config["mlplat:budget"]["monthlyUsd"]
    first_cloud = next(c for c in CLOUDS if f"mlplat:{c}" in config)
    options.append(
        Mistake(
            "per-cloud budgets above the total",
            "mlplat:budget.perCloud",
            _set(file.document, ("mlplat:budget", "perCloud"), {first_cloud: monthly + 1}),
        )
    )
    thresholds = config["mlplat:budget"].get("thresholds", [50, 80, 100])
    repeated = [*thresholds[:3], thresholds[0]]  # at most 4: an Azure budget's limit besides the forecast
    options.append(
        Mistake(
            "duplicate threshold",
            f"mlplat:budget.thresholds[{len(repeated) - 1}]",
            _set(file.document, ("mlplat:budget", "thresholds"), repeated),
        )
    )
    options.append(
        Mistake(
            "budget start mid-month",
            "mlplat:budget.startDate",
            _set(file.document, ("mlplat:budget", "startDate"), "2026-12-15"),
        )
    )
    return draw(st.sampled_from(options))
