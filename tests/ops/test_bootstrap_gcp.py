"""`mlplat bootstrap gcp` against a fresh project as Google's REST APIs answer (tests/ops/gcp_fake.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import Result

import mlplat.commands.bootstrap as command
import mlplat.ops.gcp as gcp
from mlplat.app import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from mlplat.ops.permissions import gcp_permissions
from tests.ops.conftest import invoke, one_line_error
from tests.ops.gcp_fake import BILLING_ACCOUNT, FakeGcp

PROJECT, NUMBER = "acme-ml-dev", "123456789012"
KEY = f"projects/{PROJECT}/locations/us-central1/keyRings/mlplat-dev-state/cryptoKeys/pulumi-state"
POOL = f"projects/{PROJECT}/locations/global/workloadIdentityPools/github"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGcp]:
    project = FakeGcp(PROJECT, NUMBER)
    monkeypatch.setattr(gcp, "POLL_SECONDS", 0)
    monkeypatch.setattr(command, "_gcp_apis", lambda: gcp.GcpApis.connect(http=project))
    yield project


def bootstrap(*extra: str, project: str = PROJECT, repo: str = "acme/mlplat") -> Result:
    return invoke(
        "bootstrap", "gcp", "--project", project, "--env", "dev", "--region", "us-central1",
        "--github-repo", repo, *extra,
    )  # fmt: skip


def members(fake: FakeGcp, resource: str, role: str) -> list[str]:
    return [m for b in fake.policies[resource]["bindings"] if b["role"] == role for m in b["members"]]


def test_a_fresh_project_gets_a_hardened_bucket_encrypted_with_a_rotating_key(fake: FakeGcp) -> None:
    result = bootstrap()

    assert result.exit_code == EXIT_OK, result.output
    bucket = fake.objects[f"b/{PROJECT}-pulumi-state"]
    assert bucket["iamConfiguration"] == {
        "uniformBucketLevelAccess": {"enabled": True},
        "publicAccessPrevention": "enforced",
    }
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["encryption"] == {"defaultKmsKeyName": KEY}
    assert fake.objects[KEY]["rotationPeriod"] == "7776000s"  # 90 days
    assert f"pulumi login 'gs://{PROJECT}-pulumi-state'" in result.stdout
    assert f"pulumi stack init dev --secrets-provider 'gcpkms://{KEY}'" in result.stdout
    assert "(cd clusters && pulumi stack init dev-gke" in result.stdout


def test_apis_are_enabled_before_any_call_that_needs_them(fake: FakeGcp) -> None:
    bootstrap()

    first_kms = next(i for i, (_, url) in enumerate(fake.calls) if url.startswith("cloudkms"))
    enable = next(i for i, (_, url) in enumerate(fake.calls) if url.endswith("services:batchEnable"))
    assert enable < first_kms
    assert {"container.googleapis.com", "aiplatform.googleapis.com", "sts.googleapis.com"} <= fake.enabled


def test_the_github_provider_accepts_this_repository_only(fake: FakeGcp) -> None:
    bootstrap()

    provider = fake.objects[f"{POOL}/providers/github"]
    assert provider["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com"}
    assert provider["attributeCondition"] == "assertion.repository == 'acme/mlplat'"


@pytest.mark.parametrize(
    ("account", "github_environment"),
    [
        ("mlplat-dev-previewer", "preview-dev"),
        ("mlplat-dev-deployer", "dev"),
        ("mlplat-dev-gke-deployer", "dev-gke"),
    ],
)
def test_each_job_identity_is_usable_from_its_github_environment_only(
    fake: FakeGcp, account: str, github_environment: str
) -> None:
    bootstrap()

    resource = f"projects/{PROJECT}/serviceAccounts/{account}@{PROJECT}.iam.gserviceaccount.com"
    assert members(fake, resource, "roles/iam.workloadIdentityUser") == [
        f"principal://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/github/"
        f"subject/repo:acme/mlplat:environment:{github_environment}"
    ]


def test_the_previewer_holds_read_permissions_and_only_decrypts(fake: FakeGcp) -> None:
    bootstrap()

    role = fake.objects[f"projects/{PROJECT}/roles/mlplat_dev_previewer"]
    assert role["includedPermissions"] == gcp_permissions("previewer")
    assert all(p.endswith((".get", ".list", ".getIamPolicy")) for p in role["includedPermissions"])
    previewer = f"serviceAccount:mlplat-dev-previewer@{PROJECT}.iam.gserviceaccount.com"
    assert members(fake, KEY, "roles/cloudkms.cryptoKeyDecrypter") == [previewer]
    assert previewer not in members(fake, KEY, "roles/cloudkms.cryptoKeyEncrypterDecrypter")


def test_the_previewer_writes_only_lock_files_in_the_state_bucket(fake: FakeGcp) -> None:
    bootstrap()

    policy = fake.policies[f"b/{PROJECT}-pulumi-state"]
    (writes,) = [
        b for b in policy["bindings"]
        if b["role"] == "roles/storage.objectUser" and "mlplat-dev-previewer" in b["members"][0]
    ]  # fmt: skip
    assert policy["version"] == 3
    assert writes["condition"]["expression"] == (
        f'resource.name.startsWith("projects/_/buckets/{PROJECT}-pulumi-state/objects/.pulumi/locks/organization/mlplat/dev/")'
    )


def test_the_deployer_may_manage_the_budget_on_the_billing_account(fake: FakeGcp) -> None:
    bootstrap()

    assert members(fake, BILLING_ACCOUNT, "roles/billing.costsManager") == [
        f"serviceAccount:mlplat-dev-deployer@{PROJECT}.iam.gserviceaccount.com"
    ]


def test_a_rerun_changes_nothing_and_says_so(fake: FakeGcp) -> None:
    bootstrap()
    writes = len(fake.writes)

    again = bootstrap()

    assert again.exit_code == EXIT_OK, again.output
    assert "Nothing to change." in again.stdout
    assert len(fake.writes) == writes


def test_dry_run_on_a_fresh_project_lists_the_changes_and_makes_none(fake: FakeGcp) -> None:
    result = bootstrap("--dry-run")

    assert result.exit_code == EXIT_OK, result.output
    assert fake.writes == []
    assert re.search(r"planned +bucket", result.stdout)
    assert "nothing was changed" in result.stdout


def test_a_caller_who_cannot_grant_the_budget_role_is_told_who_must_and_nothing_is_created(
    fake: FakeGcp,
) -> None:
    fake.billing_admin = False

    result = bootstrap()

    assert result.exit_code == EXIT_USAGE
    line = one_line_error(result)
    assert "roles/billing.costsManager" in line and BILLING_ACCOUNT in line
    assert "a billing account administrator must grant it" in line
    assert fake.writes == []


def test_a_project_the_caller_cannot_see_ends_in_one_line_and_nothing_is_created(fake: FakeGcp) -> None:
    result = bootstrap(project="acme-ml-typo")

    assert result.exit_code == EXIT_USAGE
    assert "project acme-ml-typo does not exist or these credentials cannot see it" in one_line_error(result)
    assert fake.writes == []


def test_a_caller_without_owner_rights_is_told_what_is_missing(fake: FakeGcp) -> None:
    fake.caller_lacks = {"iam.workloadIdentityPools.create"}

    result = bootstrap()

    assert "lack iam.workloadIdentityPools.create on project acme-ml-dev" in one_line_error(result)
    assert fake.writes == []


@pytest.mark.parametrize(
    ("repo", "message"), [("acme", "not owner/name"), ("acme/ml'plat", "not owner/name")]
)
def test_a_bad_repository_is_refused_before_any_call(fake: FakeGcp, repo: str, message: str) -> None:
    result = bootstrap(repo=repo)

    assert message in one_line_error(result)
    assert fake.calls == []


def test_a_disabled_api_error_reads_as_one_line() -> None:
    fake = FakeGcp(PROJECT, NUMBER)
    apis = gcp.GcpApis.connect(http=fake)
    with pytest.raises(Exception) as raised:
        apis.kms.projects().locations().keyRings().get(name=KEY.rsplit("/cryptoKeys", 1)[0]).execute()

    assert gcp.describe(raised.value).startswith(
        "403 PERMISSION_DENIED: cloudkms.googleapis.com has not been used"
    )
    assert gcp.describe(raised.value).endswith("(SERVICE_DISABLED)")


def test_an_existing_provider_that_lets_other_repositories_in_is_reported_weaker(fake: FakeGcp) -> None:
    bootstrap()
    fake.objects[f"{POOL}/providers/github"]["attributeCondition"] = "assertion.repository_owner == 'acme'"

    result = bootstrap()

    assert result.exit_code == EXIT_FAILED
    assert re.search(r"weaker +GitHub OIDC provider", result.stdout)
    assert "pulumi login" not in result.stdout
