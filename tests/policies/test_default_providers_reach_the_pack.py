"""A default provider reaches the pack as the engine sends it: a rule may judge what the stack config sets.

Tags set once in the stack file (`aws:defaultTags`) tag every AWS resource the default provider creates;
the engine sends that provider with each resource (AnalyzeRequest.provider), so the required-tags rule
must accept an untagged bucket then, and refuse it when the stack file sets no default tags.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi_aws as aws
import pytest

from mlplat.engine.analyzer import run_policy_pack
from mlplat.engine.program import run_in_mock_engine

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
# The tags DESIGN.md asks of every resource.
TAGS = {
    "environment": "dev",
    "owner": "ml-platform",
    "cost-center": "cc-ml-1234",
    "managed-by": "pulumi",
    "stack": "dev",
}


def _untagged_bucket() -> None:
    aws.s3.Bucket("data", bucket="data")  # a named bucket: a rule judges only a resource it can see


@pytest.mark.parametrize(
    ("config", "flagged"),
    [
        ({"aws:region": "us-east-1", "aws:defaultTags": json.dumps({"tags": TAGS})}, False),
        ({"aws:region": "us-east-1"}, True),
        ({"aws:region": "us-east-1", "aws:defaultTags": json.dumps({"tags": {"owner": "x"}})}, True),
    ],
    ids=["default-tags-cover-it", "no-default-tags", "default-tags-incomplete"],
)
def test_required_tags_judge_the_default_providers_tags(config: dict[str, str], flagged: bool) -> None:
    run = run_in_mock_engine(_untagged_bucket, stack="dev", config=config, preview=True)
    report = run_policy_pack(
        run.resources, pack_dir=PACK_DIR, stack="dev", project="mlplat", config_file=None
    )
    (bucket,) = (r for r in run.resources if r.type == "aws:s3/bucket:Bucket")
    on_bucket = [v for v in report.violations if v.policy == "required-tags" and v.urn == bucket.urn]
    assert bool(on_bucket) is flagged, on_bucket
