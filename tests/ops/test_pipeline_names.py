"""The pipeline's job table: the names the workflows, the program and the bootstraps share."""

from __future__ import annotations

import pytest

from mlplat.ops.pipeline import check_environment, check_repo, gcp_service_account_email, jobs


def test_each_environment_has_a_previewer_a_deployer_and_a_cluster_deployer_per_cloud() -> None:
    table = {
        cloud: [(j.kind, j.github_environment, j.identity) for j in jobs("prod", cloud)]
        for cloud in ("aws", "gcp", "azure")
    }

    assert table["aws"] == [
        ("previewer", "preview-prod", "mlplat-prod-previewer"),
        ("deployer", "prod", "mlplat-prod-deployer"),
        ("cluster-deployer", "prod-eks", "mlplat-prod-eks-deployer"),
    ]
    assert table["gcp"][2] == ("cluster-deployer", "prod-gke", "mlplat-prod-gke-deployer")
    assert table["azure"][2] == ("cluster-deployer", "prod-aks", "mlplat-prod-aks-deployer")


def test_a_job_is_trusted_for_its_github_environment_subject_only() -> None:
    previewer, _, cluster = jobs("dev", "gcp")

    assert previewer.subject("acme/mlplat") == "repo:acme/mlplat:environment:preview-dev"
    assert cluster.subject("acme/mlplat") == "repo:acme/mlplat:environment:dev-gke"
    assert cluster.stacks == ("mlplat-clusters/dev-gke",)


def test_the_longest_gcp_service_account_id_fits_its_30_character_limit() -> None:
    *_, cluster = jobs("a" * 10, "gcp")

    assert len(cluster.identity) <= 30  # IAM: accountId must be 6-30 characters
    assert gcp_service_account_email("acme-ml-dev", cluster).endswith("@acme-ml-dev.iam.gserviceaccount.com")


@pytest.mark.parametrize("env", ["Dev", "a" * 11, "dev-1", ""])
def test_an_environment_name_that_would_break_a_name_is_refused(env: str) -> None:
    with pytest.raises(ValueError, match="environment"):
        check_environment(env)


@pytest.mark.parametrize(
    "repo", ["acme", "acme/mlplat/x", "acme/ml plat", "acme/..", "https://github.com/a/b"]
)
def test_a_repository_that_is_not_owner_name_is_refused(repo: str) -> None:
    with pytest.raises(ValueError, match="not owner/name"):
        check_repo(repo)
