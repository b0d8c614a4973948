"""`mlplat promote`: versions move from dev to prod with comments intact, once, and never into a failing prod."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, mlplat, set_path, stack_document, write_stack


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose stack files are scratch copies; the code is the repository's."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    return tmp_path


def bump_dev_kueue(project: Path, version: str = "0.14.2") -> None:
    dev = project / "Pulumi.dev.yaml"
    text = dev.read_text()
    assert "      kueue: 0.13.4\n" in text
    dev.write_text(text.replace("      kueue: 0.13.4\n", f"      kueue: {version}  # tested in dev\n"))


def test_promote_without_write_shows_the_change_and_writes_nothing(project: Path) -> None:
    bump_dev_kueue(project)
    before = (project / "Pulumi.prod.yaml").read_text()
    proc = mlplat("promote", "dev", "prod", "--cwd", str(project))
    assert proc.returncode == 0, proc.stderr
    assert "-      kueue: 0.13.4" in proc.stdout and "+      kueue: 0.14.2" in proc.stdout
    assert (project / "Pulumi.prod.yaml").read_text() == before
    assert "--write" in proc.stderr


def test_promote_write_changes_only_the_versions_and_keeps_every_comment(project: Path) -> None:
    bump_dev_kueue(project)
    before = (project / "Pulumi.prod.yaml").read_text()
    proc = mlplat("promote", "dev", "prod", "--write", "--cwd", str(project))
    assert proc.returncode == 0, proc.stderr
    after = (project / "Pulumi.prod.yaml").read_text()
    changed = [
        (old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new
    ]
    assert changed == [("      kueue: 0.13.4", "      kueue: 0.14.2  # tested in dev")]
    for line in before.splitlines():
        if line.lstrip().startswith("#"):
            assert line in after


def test_promote_twice_changes_nothing_the_second_time(project: Path) -> None:
    bump_dev_kueue(project)
    assert mlplat("promote", "dev", "prod", "--write", "--cwd", str(project)).returncode == 0
    written = (project / "Pulumi.prod.yaml").read_text()
    again = mlplat("promote", "dev", "prod", "--write", "--cwd", str(project))
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert (project / "Pulumi.prod.yaml").read_text() == written


def test_promote_refuses_when_prod_would_violate_a_mandatory_rule(project: Path) -> None:
    bump_dev_kueue(project)
    prod = set_path(stack_document("prod"), "mlplat:aws.network.flowLogs", False)
    write_stack(project, "prod", prod)
    before = (project / "Pulumi.prod.yaml").read_text()
    proc = mlplat("promote", "dev", "prod", "--write", "--cwd", str(project))
    assert proc.returncode == 1
    assert "refusing to promote dev to prod" in proc.stderr
    assert "vpc-flow-logs-enabled" in proc.stderr
    assert (project / "Pulumi.prod.yaml").read_text() == before


def test_promote_refuses_invalid_versions_with_the_key_path(project: Path) -> None:
    bump_dev_kueue(project, "latest")
    proc = mlplat("promote", "dev", "prod", "--cwd", str(project))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: Pulumi.prod.yaml: mlplat:versions.charts.kueue:")
