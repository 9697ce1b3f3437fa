"""For-each nodes: a workflow run once per item of a list, each run a child execution; the
node's ports and bounds (statemachine.for_each_states compiles the states that run its items).

The node's task prepares a child per item (lambdas.lifecycle.for_each); a Map state starts
each with `states:startExecution.sync:2` and waits for it, MaxConcurrency at a time, each
failure caught in its own iteration; a task after the Map completes the node from the
children's records. Up to INLINE_ITEMS items the Map is inline (the items ride in the state,
the iterations are events of the execution's history); past it, a Distributed Map reads
them from S3 (`ItemReader`) and runs each iteration as a child workflow execution of its
map run, outside the execution's history. The in-process engine runs the same preparation
and the children itself.
"""

from __future__ import annotations

from statemachine.calls import FOR_EACH_TYPE, WORKFLOW_ID_INPUT
from statemachine.limits import MAX_MAP_ITERATIONS
from statemachine.model import Node

__all__ = ["FOR_EACH_TYPE", "WORKFLOW_ID_INPUT"]

ITEMS_INPUT = "items"
ITEM_INPUT = "itemInput"
MAX_CONCURRENCY_INPUT = "maxConcurrency"
TOLERATED_FAILURES_INPUT = "toleratedFailures"
# The most items an inline Map state runs: its iterations' events (about 9 an item) are part
# of the execution's history (Step Functions' limit: 25,000). Past it (or past what a
# deployment sets lower, STEPTHUNK_FOR_EACH_INLINE_ITEMS) the items run in a Distributed Map.
INLINE_ITEMS = MAX_MAP_ITERATIONS
# The most items one for-each node runs: each is a child execution, all prepared (their
# records stored) by the node's task within its 300 s.
MAX_ITEMS = 10_000
# What reads a Distributed Map's items: a JSON array the node's task stored in S3.
ITEMS_READER = "arn:aws:states:::s3:getObject"
# The label of a for-each's map run (its child executions are named after it).
MAP_RUN_LABEL = "items"
# How many items run at once: an inline Map state runs at most 40 iterations at a time.
MAX_CONCURRENCY = 40
DEFAULT_MAX_CONCURRENCY = 10


def is_for_each(node: Node) -> bool:
    """Whether `node` runs a workflow for each item of a list."""
    return node.type == FOR_EACH_TYPE
