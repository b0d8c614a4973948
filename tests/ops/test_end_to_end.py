"""From an empty account to a preflighted stack, through the real command line, against a moto server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.ops.conftest import FAKE_CREDENTIALS, REAL_AWS_SETTINGS, REGION, write_project


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m moto.server` on 127.0.0.1 only, stopped however the tests end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not _serving(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moto server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _environment(tmp_path: Path) -> dict[str, str]:
    """The standard credential chain, isolated: fake keys in the environment, no profile or config files."""
    env = {k: v for k, v in os.environ.items() if k not in REAL_AWS_SETTINGS}
    env |= FAKE_CREDENTIALS
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-such-file")
    return env


def mlplat(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlplat", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_new_account_gets_a_state_backend_and_a_preflight_through_the_command_line(
    moto_server: str, tmp_path: Path
) -> None:
    project = write_project(tmp_path, [{"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}])
    env = _environment(tmp_path)
    bootstrap = (
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        REGION,
    )

    first = mlplat(*bootstrap, "--endpoint-url", moto_server, cwd=project, env=env)
    assert first.returncode == 0, first.stderr
    assert (
        "16 change(s) made." in first.stdout
    )  # the backend, the Auto Scaling role, the trust and identities
    assert "pulumi login 's3://acme-pulumi-state?region=us-east-1&awssdk=v2'" in first.stdout
    assert "pulumi stack init dev --secrets-provider 'awskms://alias/mlplat-dev-state?region=us-east-1'" in (
        first.stdout
    )

    again = mlplat(*bootstrap, cwd=project, env=env | {"AWS_ENDPOINT_URL": moto_server})
    assert again.returncode == 0, again.stderr
    assert "Nothing to change." in again.stdout

    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert s3.get_bucket_versioning(Bucket="acme-pulumi-state")["Status"] == "Enabled"

    # moto cannot answer EC2 vCPU quotas: the quota check is unknown, and unknown does not fail the deploy.
    preflight = mlplat("preflight", "dev", "--json", cwd=project, env=env | {"AWS_ENDPOINT_URL": moto_server})
    assert preflight.returncode == 0, preflight.stderr
    report = json.loads(preflight.stdout)
    # moto answers zone ids, addresses and VPCs; quotas stay unknown (no EC2 service quotas in moto).
    assert [(f["check"], f["status"]) for f in report["findings"]][:4] == [
        ("offering", "ok"),
        ("quota", "unknown"),
        ("budget", "ok"),
        ("zone", "ok"),
    ]
    assert {f["status"] for f in report["findings"]} <= {"ok", "unknown"}
    assert "service quotas unavailable" in report["findings"][1]["message"]
