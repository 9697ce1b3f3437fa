"""What a for-each node asks of its host: to run a workflow of the organization once per
item of a list, each run a child execution (lambdas.lifecycle.for_each does it on every
host), and the node's outputs from how the children ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ForEachRequest:
    """Run workflow `workflow_id` for each of `items`, the item given to input
    `target_input` of its node `target_node`, `max_concurrency` at a time; the node fails
    when more than `tolerated_failures` items fail."""

    node_id: str
    workflow_id: str
    items: list[Any]
    target_node: str
    target_input: str
    max_concurrency: int
    tolerated_failures: int
