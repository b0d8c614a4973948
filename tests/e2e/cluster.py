"""A real control plane on 127.0.0.1, per cloud: etcd, kube-apiserver (with that cloud's admission plugins),
kube-scheduler, kube-controller-manager (only the controllers the job path needs) and Kueue's controller
manager with its CRDs and webhooks. Every process runs in its own process group and is stopped by it.

What is left out, and why:
- No kubelet: Node objects are created through the API with status Ready and their allocatable resources
  (tests/e2e/nodes.py); the scheduler binds pods to them, nothing runs the pods.
- No node lifecycle controller (kube-controller-manager runs without `node-lifecycle-controller`), so the
  nodes need no heartbeat: nothing marks them NotReady or taints them unreachable.
- Kueue's visibility API (an aggregated API server reached through a Service) is turned off
  (feature gate VisibilityOnDemand=false): the API server here has no Service network to reach it.
- Kueue runs as cluster-admin (client certificate in system:masters), not with the chart's RBAC.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.e2e import binaries
from tests.e2e.api import Client, wait
from tests.e2e.pki import Authority, Pair, service_account_keys

SERVICE_RANGE = "10.96.0.0/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"

# Admission plugins each cloud's API server runs (besides those on by default in kube-apiserver 1.35).
# - EKS: every platform version of 1.30 and later enables NodeRestriction, ExtendedResourceToleration,
#   NamespaceLifecycle, LimitRanger, ServiceAccount, TaintNodesByCondition, PodSecurity, Priority,
#   DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection, PersistentVolumeClaimResize,
#   RuntimeClass, CertificateApproval, CertificateSigning, CertificateSubjectRestriction, DefaultIngressClass,
#   MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota
#   (docs.aws.amazon.com/eks/latest/userguide/platform-versions.html).
# - GKE publishes no full list; it runs ExtendedResourceToleration for GPU pools
#   (cloud.google.com/kubernetes-engine/docs/how-to/gpus) and limits the critical priority classes to
#   namespaces with a quota scoped to them (the ResourceQuota configuration below,
#   kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default).
# - AKS: the FAQ's list (learn.microsoft.com/azure/aks/faq, "What Kubernetes admission controllers does AKS
#   support?"): NamespaceLifecycle, LimitRanger, ServiceAccount, DefaultIngressClass, DefaultStorageClass,
#   DefaultTolerationSeconds, MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota,
#   PodNodeSelector, PodTolerationRestriction, Priority, NodeRestriction; no ExtendedResourceToleration
#   (github.com/Azure/AKS/issues/1449).
_BASE = [
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "DefaultStorageClass",
    "DefaultTolerationSeconds",
    "ResourceQuota",
    "Priority",
    "NodeRestriction",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook",
]
ADMISSION_PLUGINS: dict[str, list[str]] = {
    "aws": [
        *_BASE,
        "ExtendedResourceToleration",
        "TaintNodesByCondition",
        "PodSecurity",
        "StorageObjectInUseProtection",
        "PersistentVolumeClaimResize",
        "RuntimeClass",
        "CertificateApproval",
        "CertificateSigning",
        "CertificateSubjectRestriction",
        "DefaultIngressClass",
    ],
    "gcp": [*_BASE, "ExtendedResourceToleration", "PodSecurity"],
    "azure": [*_BASE, "DefaultIngressClass", "PodNodeSelector", "PodTolerationRestriction"],
}
CRITICAL_QUOTA = {
    "apiVersion": "apiserver.config.k8s.io/v1",
    "kind": "AdmissionConfiguration",
    "plugins": [
        {
            "name": "ResourceQuota",
            "configuration": {
                "apiVersion": "apiserver.config.k8s.io/v1",
                "kind": "ResourceQuotaConfiguration",
                "limitedResources": [
                    {
                        "resource": "pods",
                        "matchScopes": [
                            {
                                "scopeName": "PriorityClass",
                                "operator": "In",
                                "values": ["system-node-critical", "system-cluster-critical"],
                            }
                        ],
                    }
                ],
            },
        }
    ],
}

# kube-controller-manager: the job path's controllers only. `job` creates the Job's pods once Kueue unsuspends
# it; `serviceaccount` creates each namespace's `default` account (the ServiceAccount admission plugin refuses
# pods without it); `resourcequota` fills in quota usage (ResourceQuota admission refuses pods while a quota's
# status is unknown); `garbage-collector` deletes a Job's pods and Workload with it; `namespace` finalizes.
CONTROLLERS = [
    "job-controller",
    "serviceaccount-controller",
    "resourcequota-controller",
    "garbage-collector-controller",
    "namespace-controller",
]

# Kueue CRDs converted between v1beta1 and v1beta2 by Kueue's webhook (config/components/crd/kustomization.yaml).
CONVERTED = ("localqueues", "clusterqueues", "cohorts", "workloads", "multikueueclusters")
# Integrations whose webhooks intercept core kinds: the chart keeps them out of kube-system and kueue-system
# (charts/kueue/templates/webhook/manifests.yaml).
_CORE_WEBHOOKS = ("/mutate--v1-pod", "/validate--v1-pod", "-apps-v1-deployment", "-apps-v1-statefulset")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _yaml_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(path.read_text()) if d]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])


@dataclass
class ControlPlane:
    cloud: str
    workdir: Path
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca = Authority(self.workdir / "pki")
        self.admin = self.ca.issue("admin", common="mlplat-e2e-admin", organization="system:masters")
        self.port = free_port()
        self.server = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = self.workdir / "kubeconfig"
        self._write_kubeconfig(self.kubeconfig, self.admin)
        self.client = Client(self.server, self.ca.cert, self.admin.cert, self.admin.key)
        self.webhook_port = free_port()

    # --- processes ------------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:  # the child keeps its own descriptor
            popen = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, killed as one
                env={**os.environ, **(env or {})},
                cwd=self.workdir,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _alive(self, process: Process) -> None:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                try:
                    os.killpg(process.popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=5)
        self.processes.clear()

    # --- start ----------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._etcd()
            self._apiserver()
            self._controller_manager()
            self._scheduler()
            self._kueue()
        except BaseException:
            self.stop()
            raise

    def _etcd(self) -> None:
        etcd = binaries.find("etcd")
        assert etcd, "etcd is not built"
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        process = self._spawn(
            "etcd",
            [
                str(etcd),
                "--name=e2e",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=e2e=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",  # a throwaway store: durability is not under test
                "--log-level=warn",
            ],
        )
        import requests

        def healthy() -> bool:
            self._alive(process)
            try:
                return requests.get(f"{self.etcd_url}/health", timeout=2).ok
            except requests.RequestException:
                return False

        wait("etcd health", healthy, timeout=60)

    def _apiserver(self) -> None:
        apiserver = binaries.find("kube-apiserver", binaries.KUBERNETES)
        assert apiserver, "kube-apiserver is not built"
        serving = self.ca.issue(
            "apiserver",
            common="kube-apiserver",
            server=True,
            hosts=("127.0.0.1", "localhost", "kubernetes", "kubernetes.default.svc", "10.96.0.1"),
        )
        sa = service_account_keys(self.workdir / "pki")
        admission = self.workdir / "admission.json"
        admission.write_text(json.dumps(CRITICAL_QUOTA))
        argv = [
            str(apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--tls-cert-file={serving.cert}",
            f"--tls-private-key-file={serving.key}",
            f"--client-ca-file={self.ca.cert}",
            f"--service-account-key-file={sa.cert}",
            f"--service-account-signing-key-file={sa.key}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-cluster-ip-range={SERVICE_RANGE}",
            "--authorization-mode=Node,RBAC",
            f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS[self.cloud])}",
            "--allow-privileged=true",
            "--profiling=false",
            "--endpoint-reconciler-type=none",
        ]
        if self.cloud == "gcp":
            argv.append(f"--admission-control-config-file={admission}")
        process = self._spawn("kube-apiserver", argv)

        def ready() -> bool:
            self._alive(process)
            return self.client.ready()

        wait("kube-apiserver /readyz", ready, timeout=120)

    def _component_kubeconfig(self, name: str) -> Path:
        path = self.workdir / f"{name}.kubeconfig"
        self._write_kubeconfig(path, self.admin)
        return path

    def _controller_manager(self) -> None:
        kcm = binaries.find("kube-controller-manager", binaries.KUBERNETES)
        assert kcm, "kube-controller-manager is not built"
        kubeconfig = self._component_kubeconfig("kube-controller-manager")
        self._spawn(
            "kube-controller-manager",
            [
                str(kcm),
                f"--kubeconfig={kubeconfig}",
                f"--controllers={','.join(CONTROLLERS)}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--use-service-account-credentials=false",
                f"--service-cluster-ip-range={SERVICE_RANGE}",
            ],
        )

    def _scheduler(self) -> None:
        scheduler = binaries.find("kube-scheduler", binaries.KUBERNETES)
        assert scheduler, "kube-scheduler is not built"
        kubeconfig = self._component_kubeconfig("kube-scheduler")
        self._spawn(
            "kube-scheduler",
            [
                str(scheduler),
                f"--kubeconfig={kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
            ],
        )

    # --- Kueue ----------------------------------------------------------------------------------------

    def _webhook_url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.webhook_port}{path}"

    def _kueue(self) -> None:
        manager = binaries.kueue_manager()
        module = binaries.kueue_module()
        assert manager and module, "Kueue's manager or module source is missing"
        ca_bundle = base64.b64encode(self.ca.pem).decode()
        for path in binaries.kueue_crds():
            for crd in _yaml_all(path):
                if crd["spec"]["names"]["plural"] in CONVERTED:
                    crd["spec"]["conversion"] = {
                        "strategy": "Webhook",
                        "webhook": {
                            "clientConfig": {"url": self._webhook_url("/convert"), "caBundle": ca_bundle},
                            "conversionReviewVersions": ["v1"],
                        },
                    }
                self.client.apply(crd)
        for path in binaries.kueue_crds():
            for crd in _yaml_all(path):
                name = crd["metadata"]["name"]
                wait(
                    f"CRD {name} established",
                    lambda name=name: any(
                        c["type"] == "Established" and c["status"] == "True"
                        for c in self.client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
                        .get("status", {})
                        .get("conditions", [])
                    ),
                )
        self.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kueue-system"}})
        for config in _yaml_all(module / "config/components/webhook/manifests.yaml"):
            config["metadata"]["name"] = "kueue-" + config["metadata"]["name"]
            for hook in config["webhooks"]:
                path = hook["clientConfig"]["service"]["path"]
                hook["clientConfig"] = {"url": self._webhook_url(path), "caBundle": ca_bundle}
                if any(marker in path for marker in _CORE_WEBHOOKS):
                    hook["namespaceSelector"] = {
                        "matchExpressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                "values": ["kube-system", "kueue-system"],
                            }
                        ]
                    }
            self.client.apply(config)

        certs = self.workdir / "kueue-certs"
        certs.mkdir(exist_ok=True)
        serving = self.ca.issue("kueue-webhook", common="kueue-webhook", server=True, hosts=("127.0.0.1",))
        (certs / "tls.crt").write_bytes(serving.cert.read_bytes())
        (certs / "tls.key").write_bytes(serving.key.read_bytes())
        # With its internal cert management off, Kueue v0.17 loads a metrics certificate from a fixed path even when
        # metrics are off (cmd/kueue/main.go "Initializing metrics certificate watcher"): one is put there if none is.
        metrics = Path("/etc/kueue/metrics/certs")
        if not (metrics / "tls.crt").exists():
            metrics.mkdir(parents=True, exist_ok=True)
            unused = self.ca.issue("kueue-metrics", common="kueue-metrics", server=True, hosts=("127.0.0.1",))
            (metrics / "tls.crt").write_bytes(unused.cert.read_bytes())
            (metrics / "tls.key").write_bytes(unused.key.read_bytes())
        health = free_port()
        config_path = self.workdir / "kueue-config.json"
        config_path.write_text(json.dumps(self.kueue_configuration(certs, health, module)))
        kubeconfig = self._component_kubeconfig("kueue")
        process = self._spawn(
            "kueue",
            [str(manager), f"--config={config_path}"],
            env={"KUBECONFIG": str(kubeconfig)},
        )
        import requests

        def healthy() -> bool:
            self._alive(process)
            try:
                return requests.get(f"http://127.0.0.1:{health}/readyz", timeout=2).ok
            except requests.RequestException:
                return False

        wait("Kueue /readyz", healthy, timeout=120)

    def kueue_configuration(self, certs: Path, health: int, module: Path) -> dict[str, Any]:
        """The chart's default configuration (charts/kueue/values.yaml managerConfig), with this host's ports,
        our own webhook certificate instead of Kueue's internal cert management (which issues for the
        in-cluster Service name), no leader election, and no visibility API."""
        values = YAML(typ="safe").load((module / "charts/kueue/values.yaml").read_text())
        config = YAML(typ="safe").load(values["managerConfig"]["controllerManagerConfigYaml"])
        config.update(
            {
                "namespace": "kueue-system",
                "health": {"healthProbeBindAddress": f"127.0.0.1:{health}"},
                "metrics": {"bindAddress": "0"},
                "webhook": {"port": self.webhook_port, "host": "127.0.0.1", "certDir": str(certs)},
                "leaderElection": {"leaderElect": False},
                "internalCertManagement": {"enable": False},
                "featureGates": {**(config.get("featureGates") or {}), "VisibilityOnDemand": False},
            }
        )
        return config

    # --- kubeconfig -----------------------------------------------------------------------------------

    def _write_kubeconfig(self, path: Path, identity: Pair) -> None:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "e2e",
                            "cluster": {"server": self.server, "certificate-authority": str(self.ca.cert)},
                        }
                    ],
                    "users": [
                        {
                            "name": "admin",
                            "user": {
                                "client-certificate": str(identity.cert),
                                "client-key": str(identity.key),
                            },
                        }
                    ],
                    "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "admin"}}],
                    "current-context": "e2e",
                }
            )
        )

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes)
