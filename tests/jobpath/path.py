"""The job path on one cluster: submit a pod to a team namespace and follow it through admission, Kueue,
scale-up and placement; and the cluster-wide conditions that path relies on (GPU daemons on every GPU
node, a node for every add-on controller, a default encrypted StorageClass, members' access)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from tests.jobpath import kube
from tests.jobpath.facts import (
    CHARTS,
    GPU,
    Workload,
    chart_key,
    limits_critical_priority,
    tolerations_the_cloud_adds,
    value_at,
)
from tests.jobpath.plan import Cluster, Pool

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


# --- admission -------------------------------------------------------------------------------------------


def admit(cluster: Cluster, pod: kube.Pod) -> tuple[kube.Pod, list[str]]:
    """API defaulting, then LimitRanger, validation, Priority and ResourceQuota, in the API server's order
    (kubernetes.io/docs/reference/access-authn-authz/admission-controllers/)."""
    ns = pod["namespace"]
    problems = []
    if (
        ns not in {"kube-system", "default"}
        and cluster.named("Namespace", ns) is None
        and not _release_namespace(cluster, ns)
    ):
        problems.append(f"namespace {ns} does not exist")
    pod = kube.api_defaults(pod)
    pod, found = kube.limit_ranger(pod, [o.get("spec") or {} for o in cluster.in_namespace("LimitRange", ns)])
    problems += found
    problems += kube.validate_resources(pod)
    classes = [(o.get("metadata") or {}).get("name", "") for o in cluster.objects("PriorityClass")]
    problems += kube.priority(pod, classes)
    quotas = [o.get("spec") or {} for o in cluster.in_namespace("ResourceQuota", ns)]
    problems += kube.resource_quota(pod, quotas, limited_critical=limits_critical_priority(cluster.cloud))
    return pod, problems


def _release_namespace(cluster: Cluster, ns: str) -> bool:
    return any(r.get("namespace") == ns and r.get("createNamespace") for r in cluster.objects("Release"))


def _selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector; an empty one selects everything, a missing one nothing (Kueue's namespaceSelector)."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return kube._term_matches({"matchExpressions": selector.get("matchExpressions") or []}, labels)


def kueue(cluster: Cluster, pod: kube.Pod) -> tuple[kube.Pod, list[str]]:
    """Kueue admission of a queued workload: its LocalQueue, that queue's ClusterQueue (which must select the
    namespace and cover every requested resource), the first flavor that fits (node labels compatible with
    the pod's nodeSelector, node taints tolerated, request within nominal quota plus what it may borrow); on admission Kueue adds
    the flavor's nodeLabels and tolerations to the pod (kueue.sigs.k8s.io/docs/concepts/local_queue/,
    /cluster_queue/#flavors-and-resources, /resource_flavor/)."""
    ns, name = pod["namespace"], pod["labels"][QUEUE_LABEL]
    local = next((q for q in cluster.in_namespace("LocalQueue", ns) if q["metadata"]["name"] == name), None)
    if local is None:
        return pod, [f"LocalQueue {ns}/{name} does not exist"]
    cq = cluster.named("ClusterQueue", local["spec"]["clusterQueue"])
    if cq is None:
        return pod, [f"ClusterQueue {local['spec']['clusterQueue']} does not exist"]
    namespace = cluster.named("Namespace", ns) or {}
    if not _selector_matches(
        cq["spec"].get("namespaceSelector"), (namespace.get("metadata") or {}).get("labels") or {}
    ):
        return pod, [f"ClusterQueue {cq['metadata']['name']} does not select namespace {ns}"]
    requests = {k: v for k, v in kube.pod_requests(pod).items() if v > 0}
    groups = cq["spec"].get("resourceGroups") or []
    covered = {r for g in groups for r in g.get("coveredResources") or []}
    missing = sorted(set(requests) - covered)
    if missing:
        return pod, [f"ClusterQueue covers no {', '.join(missing)}"]
    all_flavor_keys = {
        k
        for g in groups
        for f in g.get("flavors") or []
        for k in (
            ((cluster.named("ResourceFlavor", f["name"]) or {}).get("spec") or {}).get("nodeLabels") or {}
        )
    }
    pod = copy.deepcopy(pod)
    for group in groups:
        wanted = {r: q for r, q in requests.items() if r in (group.get("coveredResources") or [])}
        if not wanted:
            continue
        reasons = []
        for flavor in group.get("flavors") or []:
            rf = cluster.named("ResourceFlavor", flavor["name"])
            if rf is None:
                reasons.append(f"{flavor['name']}: ResourceFlavor does not exist")
                continue
            spec = rf.get("spec") or {}
            labels = spec.get("nodeLabels") or {}
            selector = {k: v for k, v in (pod.get("nodeSelector") or {}).items() if k in all_flavor_keys}
            why = [f"nodeSelector {k}={v}" for k, v in selector.items() if labels.get(k) != v]
            why += kube.untolerated(pod.get("tolerations") or [], spec.get("nodeTaints") or [])
            quota = {
                r["name"]: kube.quantity(r["nominalQuota"]) + _borrowable(cluster, cq, flavor["name"], r)
                for r in flavor.get("resources") or []
            }
            why += [
                f"{r} {q} over quota {quota.get(r, 0)}"
                for r, q in wanted.items()
                if q > quota.get(r, Decimal(0))
            ]
            if not why:
                pod["nodeSelector"] = {**(pod.get("nodeSelector") or {}), **labels}
                pod["tolerations"] = [*(pod.get("tolerations") or []), *(spec.get("tolerations") or [])]
                break
            reasons.append(f"{flavor['name']}: {', '.join(why)}")
        else:
            return pod, [f"no flavor of ClusterQueue {cq['metadata']['name']} fits: {'; '.join(reasons)}"]
    return pod, []


def _borrowable(cluster: Cluster, cq: dict[str, Any], flavor: str, resource: dict[str, Any]) -> Decimal:
    """What a ClusterQueue may borrow of a flavor's resource from the others in its cohort, all idle: none
    outside a cohort, else up to its borrowingLimit (null: no limit) of their nominal quota less their
    lendingLimit (kueue v0.17.0 apis/kueue/v1beta1/clusterqueue_types.go)."""
    cohort = cq["spec"].get("cohort")
    if not cohort:
        return Decimal(0)
    lent = Decimal(0)
    for other in cluster.objects("ClusterQueue"):
        if other is cq or other["spec"].get("cohort") != cohort:
            continue
        for group in other["spec"].get("resourceGroups") or []:
            for f in (f for f in group.get("flavors") or [] if f["name"] == flavor):
                for r in (r for r in f.get("resources") or [] if r["name"] == resource["name"]):
                    lent += kube.quantity(r.get("lendingLimit", r["nominalQuota"]))
    limit = resource.get("borrowingLimit")
    return lent if limit is None else min(lent, kube.quantity(limit))


# --- placement -------------------------------------------------------------------------------------------


def names_gpu(pod: kube.Pod) -> bool:
    """ExtendedResourceToleration adds its toleration when any container's requests name `nvidia.com/gpu`, at
    any quantity: a LimitRange default of 0 is enough (plugin/pkg/admission/extendedresourcetoleration/admission.go
    in kubernetes v1.35.4; seen on the e2e control plane, tests/e2e)."""
    return any(GPU in ((c.get("resources") or {}).get("requests") or {}) for _, c in kube.containers(pod))


def fits(cluster: Cluster, pool: Pool, pod: kube.Pod) -> list[str]:
    """Why one of the pool's nodes would not take the pod: labels, taints (the pool's and the cloud's),
    capacity, GPUs that are advertised, a way to get a node when the pool is at zero."""
    requests = kube.pod_requests(pod)
    tolerations = [
        *(pod.get("tolerations") or []),
        *tolerations_the_cloud_adds(cluster.cloud, names_gpu(pod)),
    ]
    why = kube.selects(pod, pool.labels) + [f"taint {t}" for t in kube.untolerated(tolerations, pool.taints)]
    if requests.get(GPU, Decimal(0)) > pool.gpus:
        why.append(f"{requests[GPU]} GPUs on a node with {pool.gpus}")
    if requests.get("cpu", Decimal(0)) > Decimal(str(pool.shape.vcpus)):
        why.append(f"{requests['cpu']} CPUs on a node with {pool.shape.vcpus}")
    if requests.get("memory", Decimal(0)) > Decimal(str(pool.shape.memory_gib)) * 1024**3:
        why.append(f"memory {requests['memory']} on a node with {pool.shape.memory_gib}Gi")
    if why:
        return why
    if requests.get(GPU, Decimal(0)) > 0:
        why += gpu_enabled(cluster, pool)
    if pool.max_nodes < 1:
        why.append("the pool never has a node")
    elif pool.min_nodes == 0:
        why += scale_up_path(cluster, pool, pod)
    return why


def place(cluster: Cluster, pod: kube.Pod) -> list[str]:
    """The scheduler (or, at zero, the autoscaler) finds a pool whose nodes take the pod
    (kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/)."""
    reasons = []
    for pool in cluster.pools:
        why = fits(cluster, pool, pod)
        if not why:
            return []
        reasons.append(f"{pool.name}: {', '.join(why)}")
    return [f"stays Pending, no pool takes it ({'; '.join(reasons)})"]


def submit(cluster: Cluster, pod: kube.Pod) -> list[str]:
    """Everything between `kubectl apply` and a running container, for a pod of a team."""
    pod, problems = admit(cluster, pod)
    if problems:
        return problems
    if QUEUE_LABEL in pod.get("labels", {}):
        pod, problems = kueue(cluster, pod)
        if problems:
            return problems
    return place(cluster, pod)


# --- what the GPU nodes need -----------------------------------------------------------------------------


def workloads(cluster: Cluster) -> list[tuple[dict[str, Any], Workload, dict[str, Any]]]:
    """Every pod template the cluster's Helm releases render: (release, chart facts, pod scheduling)."""
    found = []
    for release in cluster.objects("Release"):
        values = release.get("values") or {}
        for w in CHARTS.get(chart_key(release.get("chart", "")), []):
            if w.enabled and value_at(values, w.enabled) is False:
                continue
            tolerations = value_at(values, w.tolerations)
            priority = value_at(values, w.priority) if w.priority else None
            pod: dict[str, Any] = {
                "namespace": release.get("namespace", "default"),
                "tolerations": w.default_tolerations if tolerations is None else tolerations,
                "priorityClassName": priority if priority is not None else w.default_priority,
                "nodeSelector": (value_at(values, w.node_selector) if w.node_selector else None) or {},
                "containers": [{"name": w.name}],
            }
            affinity = value_at(values, w.affinity) if w.affinity else None
            if affinity:
                pod["affinity"] = affinity
            elif w.default_affinity_labels:
                terms = [
                    {
                        "matchExpressions": [
                            {"key": k, "operator": "In", "values": [v]} for k, v in labels.items()
                        ]
                    }
                    for labels in w.default_affinity_labels
                ]
                pod["affinity"] = {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
                    }
                }
            found.append((release, w, pod))
    return found


def _runs_on(cluster: Cluster, pool: Pool, pod: kube.Pod) -> list[str]:
    return kube.selects(pod, pool.labels) + [
        f"taint {t}" for t in kube.untolerated(pod["tolerations"], pool.taints)
    ]


def _operator(cluster: Cluster) -> dict[str, Any] | None:
    return next(
        (r for r in cluster.objects("Release") if chart_key(r.get("chart", "")) == "gpu-operator"), None
    )


# The GPU operator's driver container runs on these node images only
# (docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/platform-support.html).
_OPERATOR_DRIVER_OS = ("UBUNTU", "Ubuntu")


def gpu_enabled(cluster: Cluster, pool: Pool) -> list[str]:
    """A GPU node advertises `nvidia.com/gpu` only with exactly one driver and a device plugin that runs on it."""
    why = []
    operator = _operator(cluster)
    values = (operator or {}).get("values") or {}
    operator_driver = operator is not None and value_at(values, "driver.enabled") is not False
    drivers = [pool.driver] if pool.driver != "none" else []
    if operator_driver:
        drivers.append("gpu-operator")
        if not any(pool.os.startswith(os) for os in _OPERATOR_DRIVER_OS):
            why.append(f"the GPU operator's driver does not support the {pool.os} node image")
    if not drivers:
        why.append(
            "no NVIDIA driver: the image ships none, the cloud installs none, the GPU operator installs none"
        )
    elif len(drivers) > 1:
        why.append(f"two NVIDIA drivers ({' and '.join(drivers)})")
    plugins = []
    # GKE runs its own device plugin where it installs the driver, unless the pool opts out
    # (cloud.google.com/kubernetes-engine/docs/how-to/gpu-operator).
    if (
        cluster.cloud == "gcp"
        and pool.driver == "cloud"
        and pool.labels.get("gke-no-default-nvidia-gpu-device-plugin") != "true"
    ):
        plugins.append("GKE's device plugin")
    for release, w, pod in workloads(cluster):
        if w.name in ("device-plugin", "operands") and not _runs_on(cluster, pool, pod):
            plugins.append(release.get("name", w.name))
    if not plugins:
        why.append("no device plugin runs on its nodes, so no node advertises nvidia.com/gpu")
    elif len(plugins) > 1:
        why.append(f"two device plugins ({', '.join(plugins)})")
    return why


def daemons_on_gpu_pools(cluster: Cluster) -> list[str]:
    """Every DaemonSet that serves GPU nodes schedules onto every GPU pool: it tolerates every taint those
    nodes carry (kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations)."""
    problems = []
    for release, w, pod in workloads(cluster):
        if not w.daemon:
            continue
        for pool in cluster.gpu_pools:
            why = _runs_on(cluster, pool, pod)
            if why:
                problems.append(
                    f"{release.get('name')} {w.name} skips GPU pool {pool.name}: {', '.join(why)}"
                )
    return problems


def pods_admitted(cluster: Cluster) -> list[str]:
    """Every add-on pod passes admission in its namespace (priority class, quota scopes)."""
    problems = []
    for release, w, pod in workloads(cluster):
        _, why = admit(cluster, pod)
        problems += [f"{release.get('name')} {w.name}: {p}" for p in why]
    return problems


def controllers_have_a_pool(cluster: Cluster) -> list[str]:
    """Every add-on controller (a Deployment) has a pool with nodes whose taints it tolerates and whose
    labels it selects; an atomic Helm release waits for it and fails the update otherwise."""
    problems = []
    for release, w, pod in workloads(cluster):
        if w.daemon:
            continue
        homes = [p for p in cluster.pools if not _runs_on(cluster, p, pod) and p.max_nodes >= 1]
        if not homes:
            reasons = "; ".join(
                f"{p.name}: {', '.join(_runs_on(cluster, p, pod)) or 'no nodes'}" for p in cluster.pools
            )
            problems.append(f"{release.get('name')} {w.name} has no pool to run on ({reasons})")
    return problems


# --- scale-up from zero ----------------------------------------------------------------------------------


def scale_up_path(cluster: Cluster, pool: Pool, pod: kube.Pod) -> list[str]:
    """A pool at zero gets a node only if an autoscaler watches it and can tell the pod would fit a node that
    does not exist yet: GKE's and AKS's own autoscalers for pools with autoscaling on
    (cloud.google.com/kubernetes-engine/docs/concepts/cluster-autoscaler, learn.microsoft.com/azure/aks/cluster-autoscaler);
    on EKS the Kubernetes cluster autoscaler, discovering the group by its tags and reading labels, taints
    and resources from node-template tags, with IAM rights to resize it
    (github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md)."""
    if cluster.cloud != "aws":
        return [] if pool.cloud_autoscaled else ["at zero nodes and not autoscaled"]
    why = []
    autoscaler = next(
        (r for r in cluster.objects("Release") if chart_key(r.get("chart", "")) == "cluster-autoscaler"), None
    )
    if autoscaler is None:
        return ["at zero nodes and no cluster autoscaler runs in the cluster"]
    values = autoscaler.get("values") or {}
    if value_at(values, "autoDiscovery.clusterName") != cluster.name:
        why.append(
            f"the cluster autoscaler discovers groups of cluster {value_at(values, 'autoDiscovery.clusterName')!r}"
        )
    for key in ("k8s.io/cluster-autoscaler/enabled", f"k8s.io/cluster-autoscaler/{cluster.name}"):
        if key not in pool.asg_tags:
            why.append(f"its Auto Scaling group lacks the discovery tag {key}")
    template = "k8s.io/cluster-autoscaler/node-template"
    for k, v in (pod.get("nodeSelector") or {}).items():
        if (
            pool.labels.get(k) == v
            and pool.asg_tags.get(f"{template}/label/{k}") != v
            and not k.startswith("eks.amazonaws.com/")
        ):
            why.append(f"no node-template tag for label {k}")
    gpus = kube.pod_requests(pod).get(GPU, Decimal(0))
    if gpus and pool.asg_tags.get(f"{template}/resources/{GPU}") is None:
        why.append(f"no node-template tag for resource {GPU}")
    why += _autoscaler_identity(cluster, autoscaler)
    return why


def _autoscaler_identity(cluster: Cluster, release: dict[str, Any]) -> list[str]:
    """The autoscaler's service account gets AWS credentials through an EKS Pod Identity association on this
    cluster whose role may resize Auto Scaling groups."""
    values = release.get("values") or {}
    account = value_at(values, "rbac.serviceAccount.name")
    namespace = release.get("namespace")
    associations = [
        a
        for a in cluster.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.get("clusterName") == cluster.name
        and a.get("namespace") == namespace
        and a.get("serviceAccount") == account
    ]
    if not account or not associations:
        return [
            f"the cluster autoscaler's service account {namespace}/{account} has no Pod Identity association"
        ]
    roles = {a["roleArn"] for a in associations}
    allowed = False
    for policy in cluster.of_type("aws:iam/rolePolicy:RolePolicy"):
        role = policy.get("role", "")
        if not any(arn.endswith(f"/{role}") or arn == role for arn in roles):
            continue
        for statement in json.loads(policy["policy"]).get("Statement", []):
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") == "Allow" and "autoscaling:SetDesiredCapacity" in actions:
                allowed = True
    return [] if allowed else ["the cluster autoscaler's role may not set a group's desired capacity"]
