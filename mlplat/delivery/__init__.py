"""Delivery: compare plans between revisions, promote pinned versions between stacks."""
