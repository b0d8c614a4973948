"""`mlplat diff`: a change between two commits shows up as added, removed and changed resources."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlplat.delivery.diff import changed_keys, diff_reports
from tests.conftest import ROOT, mlplat


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository holding this project; the base commit is the project as it is, the change is uncommitted."""
    repo = tmp_path_factory.mktemp("repo")
    files = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    prod = repo / "Pulumi.prod.yaml"
    text = prod.read_text()
    # The change under review: swap the artifacts bucket for a models bucket, shorten log retention.
    text = text.replace("      - artifacts\n", "      - models\n")
    text = text.replace(
        "  mlplat:owner: ml-platform\n",
        "  mlplat:owner: ml-platform\n  mlplat:profileOverrides:\n    logRetentionDays: 90\n",
    )
    prod.write_text(text)
    return repo


@pytest.fixture(scope="module")
def diff_json(repo: Path) -> dict[str, Any]:
    proc = mlplat("diff", "--base", "main", "prod", "--json", "--cwd", str(repo))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_diff_lists_the_new_bucket_as_added(diff_json: dict[str, Any]) -> None:
    added = {c["name"] for c in diff_json["changes"] if c["kind"] == "add"}
    assert "mlplat-prod-models" in added
    assert "mlplat-prod-models-public-access" in added


def test_diff_lists_the_dropped_bucket_as_removed(diff_json: dict[str, Any]) -> None:
    removed = {c["name"] for c in diff_json["changes"] if c["kind"] == "remove"}
    assert "mlplat-prod-artifacts" in removed


def test_diff_names_the_input_that_changed(diff_json: dict[str, Any]) -> None:
    changed = {c["name"]: c["keys"] for c in diff_json["changes"] if c["kind"] == "change"}
    assert changed["mlplat-prod-net-flow-logs"] == ["retentionInDays"]


def test_diff_counts_add_up_to_both_plans(diff_json: dict[str, Any]) -> None:
    s = diff_json["summary"]
    assert s["add"] == s["remove"] > 0
    assert s["unchanged"] > 0
    assert diff_json["base"].startswith("main (")


def test_diff_leaves_no_worktree_behind(repo: Path, diff_json: dict[str, Any]) -> None:
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_diff_markdown_is_a_table_for_the_pr_comment(repo: Path) -> None:
    proc = mlplat("diff", "--base", "main", "prod", "--markdown", "--cwd", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("#### `mlplat diff` on `prod`: main (")
    assert "| + | `aws:s3:Bucket` | `mlplat-prod-models` |" in proc.stdout


def test_unknown_base_revision_is_a_usage_error(repo: Path) -> None:
    proc = mlplat("diff", "--base", "no-such-branch", "prod", "--cwd", str(repo))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: git rev-parse")


def test_changed_keys_reach_into_nested_inputs_and_lists() -> None:
    before = {"scalingConfig": {"maxSize": 2, "minSize": 0}, "taints": [{"key": "a"}], "same": 1}
    after = {"scalingConfig": {"maxSize": 4, "minSize": 0}, "taints": [{"key": "b"}], "same": 1, "new": True}
    assert changed_keys(before, after) == ["new", "scalingConfig.maxSize", "taints[0].key"]


def test_a_secret_change_is_never_shown_in_clear() -> None:
    report: dict[str, Any] = {
        "resources": [
            {"urn": "u", "type": "t:m:T", "name": "n", "protect": False, "inputs": {"token": "[secret]"}}
        ],
        "policy": {"violations": []},
        "cost": {"idleMonthly": 0.0, "peakMonthly": 0.0},
    }
    d = diff_reports(report, report, stack="dev", base_label="a", head_label="b")
    assert d.changes == [] and d.unchanged == 1


def test_a_change_to_the_program_plans_the_base_with_its_own_code(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """When code differs, the base runs from a worktree in its own interpreter; the result is the same diff."""
    repo = tmp_path_factory.mktemp("code-change")
    for name in git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    program = repo / "infra" / "__main__.py"
    program.write_text(program.read_text() + "\n# a reviewed change to the program\n")
    prod = repo / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("      - artifacts\n", "      - models\n"))

    proc = mlplat("diff", "--base", "main", "prod", "--json", "--cwd", str(repo))

    assert proc.returncode == 0, proc.stderr
    changes = {(c["kind"], c["name"]) for c in json.loads(proc.stdout)["changes"]}
    assert {("add", "mlplat-prod-models"), ("remove", "mlplat-prod-artifacts")} <= changes
    assert len(git(repo, "worktree", "list").splitlines()) == 1
