"""The two states a `wait-for-event` (or `wait-for-form`) node compiles to: a
`.waitForTaskToken` task that waits, and the task after it that settles the node from what
ended the wait.

The node's task token is kept by the waiting task's function with its execution and node
(lambdas.lifecycle.event_wait); an event delivered through the API (or `stepthunk run --event`)
sends it back to Step Functions (SendTaskSuccess), a rejection fails the wait
(SendTaskFailure with EVENT_REJECTED), and the task's TimeoutSeconds (always set) ends it with
`States.Timeout`. All three are caught into the settling task's input (`$.event`), and so is
NODE_NOT_WAITING, the waiting task's failure when its node will not wait (a skipped node).
"""

from __future__ import annotations

from typing import Any

from statemachine import state_names as names
from statemachine.asl import State, task
from statemachine.error_names import (
    ALL_ERRORS,
    EVENT_REJECTED,
    LAMBDA_SERVICE_ERRORS,
    NODE_NOT_WAITING,
    TRANSIENT_ERROR,
)
from statemachine.event_waits import STATES_TIMEOUT, WAIT_FOR_TOKEN_RESOURCE, wait_seconds
from statemachine.limits import INDIVIDUAL_TIMEOUT_SECONDS
from statemachine.model import Node
from statemachine.path_keys import escape_keys

# Where the waiting task puts what ended the wait, for the settling task.
EVENT_PATH = "$.event"


def waits_for_token(state: State) -> bool:
    """Whether `state` is a waiting task, which its settling task must follow."""
    return state.get("Resource") == WAIT_FOR_TOKEN_RESOURCE


def event_wait_states(
    node: Node,
    run_node: str,
    waiting: dict[str, Any],
    settling: dict[str, Any],
    state_names: tuple[str, str],
) -> tuple[tuple[str, State], tuple[str, State]]:
    """The waiting task of `node` (its function `run_node` given `waiting` and the task
    token) and the settling task (given `settling` and what ended the wait), named
    `state_names` (names.wait_for_event and names.resume_after_event, claimed).

    The waiting task's TimeoutSeconds is the node's (statemachine.event_waits.wait_seconds);
    a delivered event is its result, a rejection or the timeout its error, each put at
    EVENT_PATH for the settling task. Any other failure goes to Finalize, as every task's
    does."""
    wait_name, settle_name = state_names
    payload = {"state.$": "$", **escape_keys(waiting), "taskToken.$": "$$.Task.Token"}
    waiting_state: State = {
        "Type": "Task",
        "Resource": WAIT_FOR_TOKEN_RESOURCE,
        "Parameters": {"FunctionName": run_node, "Payload": payload},
        "TimeoutSeconds": wait_seconds(node),
        "ResultPath": EVENT_PATH,
        "Retry": [
            {
                "ErrorEquals": [*LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR],
                "IntervalSeconds": 1,
                "MaxAttempts": 3,
                "BackoffRate": 2.0,
            }
        ],
        "Catch": [
            {
                "ErrorEquals": [STATES_TIMEOUT, EVENT_REJECTED, NODE_NOT_WAITING],
                "ResultPath": EVENT_PATH,
                "Next": settle_name,
            },
            {"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE},
        ],
    }
    settle = task(run_node, settling, INDIVIDUAL_TIMEOUT_SECONDS)
    settle["Parameters"]["event.$"] = EVENT_PATH  # a path: added past task's escaping
    return (wait_name, waiting_state), (settle_name, settle)
