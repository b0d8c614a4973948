"""The mlplat-clusters program: the in-cluster layer of the cluster this stack is named after.

The stack `<platform>-eks|gke|aks` follows the platform stack `<platform>` (root `Pulumi.<platform>.yaml`);
see infra/clusters.py and README "Where each deploy runs".
"""

from pathlib import Path

from infra.clusters import run_cluster_program

# The project root holds the platform's stack files; not resolved, so a linked copy reads its own.
run_cluster_program(Path(__file__).absolute().parent.parent)
