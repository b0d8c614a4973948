"""components/aws/README.md's example runs: a snippet in a README is a test case."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.plans import record

README = ROOT / "components" / "aws" / "README.md"


def example() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    return block


def test_readme_example_builds_a_budget_whose_topic_uses_the_budgets_key() -> None:
    plan = record(lambda: exec(example(), {}))  # our own README, executed on purpose
    budget = plan.one("aws:budgets/budget:Budget")
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:environment$dev"]}]
    topic = plan.one("aws:sns/topic:Topic")
    key = plan.one("aws:kms/key:Key")
    assert key.urn in topic.property_dependencies["kmsMasterKeyId"]
    assert "budgets.amazonaws.com" in key.inputs["policy"]
