"""For-each nodes: a workflow run once per item of a list, each run a child execution; the
node's ports and bounds, and the states that run its items (a Map state).

The node's task prepares a child per item (lambdas.lifecycle.for_each), an inline Map state
starts each with `states:startExecution.sync:2` and waits for it, MaxConcurrency at a time,
each failure caught in its own iteration, and a task after the Map completes the node from
the children's records. The in-process engine runs the same preparation and the children
itself.
"""

from __future__ import annotations

from statemachine import state_names as names
from statemachine.asl import State
from statemachine.calls import FOR_EACH_TYPE, START_CHILD_RESOURCE, WORKFLOW_ID_INPUT
from statemachine.error_names import ALL_ERRORS
from statemachine.limits import MAX_MAP_ITERATIONS
from statemachine.model import Node
from statemachine.parts import STEP_FUNCTIONS_SERVICE_ERRORS

__all__ = ["FOR_EACH_TYPE", "WORKFLOW_ID_INPUT"]

ITEMS_INPUT = "items"
ITEM_INPUT = "itemInput"
MAX_CONCURRENCY_INPUT = "maxConcurrency"
TOLERATED_FAILURES_INPUT = "toleratedFailures"
# The most items one for-each node runs: each is an iteration of a Map state, whose events
# (about 9 an item) are part of the execution's history (Step Functions' limit: 25,000).
MAX_ITEMS = MAX_MAP_ITERATIONS
# How many items run at once: an inline Map state runs at most 40 iterations at a time.
MAX_CONCURRENCY = 40
DEFAULT_MAX_CONCURRENCY = 10


def is_for_each(node: Node) -> bool:
    """Whether `node` runs a workflow for each item of a list."""
    return node.type == FOR_EACH_TYPE


def map_state(node: Node, named: names.StateNames, finish: str) -> tuple[str, State]:
    """The Map state running the items for-each node `node`'s task prepared (`$.call`, see
    lambdas.lifecycle.for_each): one iteration per item, `$.call.maxConcurrency` at a time,
    each a `startExecution.sync:2` task starting the item's child (its execution from the
    shared part and its own id, its inputs its own) and waiting for its end. A child that
    fails is caught in its iteration, which ends with its error's name: the others go on.
    The iterations' ends (in item order) go to `$.call.ended`, for `finish`."""
    running = named.claim(names.run_items(node.id))
    item = named.claim(names.run_item(node.id))
    failed = named.claim(names.item_failed(node.id))
    start: State = {
        "Type": "Task",
        "Resource": START_CHILD_RESOURCE,
        "Parameters": {
            "StateMachineArn.$": "$.call.stateMachineArn",
            "Name.$": "$.item.execution.id",
            "Input": {
                "execution.$": "States.JsonMerge($.call.execution, $.item.execution, false)",
                "inputs.$": "$.item.inputs",
            },
        },
        # What the iteration returns: small, as every item's end lands in the state.
        "ResultSelector": {"status.$": "$.Status"},
        "Retry": [
            {
                "ErrorEquals": list(STEP_FUNCTIONS_SERVICE_ERRORS),
                "IntervalSeconds": 1,
                "MaxAttempts": 3,
                "BackoffRate": 2.0,
            }
        ],
        "Catch": [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": failed}],
        "End": True,
    }
    # Only the error's name: its cause (a failed child's whole description) is too large
    # to keep for every item, and the child's record says why it failed.
    ended: State = {"Type": "Pass", "Parameters": {"error.$": "$.failure.Error"}, "End": True}
    state: State = {
        "Type": "Map",
        "ItemsPath": "$.call.items",
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "call.$": "$.call.shared"},
        "MaxConcurrencyPath": "$.call.maxConcurrency",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": item,
            "States": {item: start, failed: ended},
        },
        "ResultPath": "$.call.ended",
        # A failure of the Map itself fails the node, not the execution: the next task
        # says why.
        "Catch": [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.call.failure", "Next": finish}],
    }
    return running, state


def for_each_states(
    node: Node, finishing: State, named: names.StateNames
) -> list[tuple[str, State]]:
    """After the task of for-each node `node` (which prepared its items' children,
    `$.call`, or completed or failed the node): a Choice going past the Map state when
    there is nothing to run, the Map state, and `finishing`, the task completing the node
    from the children's records."""
    finish = named.claim(names.finish_call(node.id))
    choice = named.claim(names.if_running_items(node.id))
    none = {"Variable": "$.call", "IsPresent": False, "Next": finish}
    running = map_state(node, named, finish)
    return [(choice, {"Type": "Choice", "Choices": [none]}), running, (finish, finishing)]
