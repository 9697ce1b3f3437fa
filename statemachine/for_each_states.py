"""The states that run a for-each node's items (statemachine.for_each): after the node's task,
a Choice, an inline Map state and a Distributed Map state, and the task finishing the node."""

from __future__ import annotations

from statemachine import state_names as names
from statemachine.asl import State
from statemachine.calls import START_CHILD_RESOURCE
from statemachine.error_names import ALL_ERRORS
from statemachine.for_each import ITEMS_READER, MAP_RUN_LABEL
from statemachine.model import Node
from statemachine.parts import STEP_FUNCTIONS_SERVICE_ERRORS


def map_state(
    node: Node, named: names.StateNames, finish: str, *, distributed: bool = False
) -> tuple[str, State]:
    """A Map state running the items for-each node `node`'s task prepared (`$.call`, see
    lambdas.lifecycle.for_each): one iteration per item, `$.call.maxConcurrency` at a time,
    each a `startExecution.sync:2` task starting the item's child (its execution from the
    shared part and its own id, its inputs its own) and waiting for its end. A child that
    fails is caught in its iteration, which ends with its error's name: the others go on.

    Inline, the items are `$.call.items` and the iterations' ends (in item order) go to
    `$.call.ended`; `distributed`, the items are the JSON array at `$.call.itemsKey` in
    bucket `$.call.bucket`, each iteration a child workflow execution (Standard: it waits
    for the item's child), and their ends are not kept (the children's records say)."""
    if distributed:
        running = named.claim(names.run_items_in_map_run(node.id))
        item = named.claim(names.map_run_item(node.id))
        failed = named.claim(names.map_run_item_failed(node.id))
    else:
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
    processor: State = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": item}
    state: State = {"Type": "Map"}
    if distributed:
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
        state["ItemReader"] = {
            "Resource": ITEMS_READER,
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.call.bucket", "Key.$": "$.call.itemsKey"},
        }
    else:
        state["ItemsPath"] = "$.call.items"
    state |= {
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "call.$": "$.call.shared"},
        "MaxConcurrencyPath": "$.call.maxConcurrency",
        "ItemProcessor": {**processor, "States": {item: start, failed: ended}},
    }
    if distributed:
        state |= {"Label": MAP_RUN_LABEL, "ResultPath": None}
    else:
        state["ResultPath"] = "$.call.ended"
    # A failure of the Map itself fails the node, not the execution: the next task says
    # why. Either Map goes on to the finishing task, never to the other.
    state["Catch"] = [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.call.failure", "Next": finish}]
    state["Next"] = finish
    return running, state


def for_each_states(
    node: Node, finishing: State, named: names.StateNames
) -> list[tuple[str, State]]:
    """After the task of for-each node `node` (which prepared its items' children,
    `$.call`, or completed or failed the node): a Choice going past the Map states when
    there is nothing to run, to the Distributed Map when the items are in S3 and else to
    the inline Map, each Map going on to `finishing`, the task completing the node from
    the children's records."""
    finish = named.claim(names.finish_call(node.id))
    choice = named.claim(names.if_running_items(node.id))
    inline = map_state(node, named, finish)
    distributed = map_state(node, named, finish, distributed=True)
    none = {"Variable": "$.call", "IsPresent": False, "Next": finish}
    stored = {"Variable": "$.call.itemsKey", "IsPresent": True, "Next": distributed[0]}
    choosing = {"Type": "Choice", "Choices": [none, stored]}
    return [(choice, choosing), inline, distributed, (finish, finishing)]
