"""Workflows too large for one state machine: parts, run one after another by the machine
executions start (StartExecution.sync), each within a share of the size limit."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from statemachine import limits, quotas
from statemachine import state_names as names
from statemachine.asl import State, path_counts, state_size, unique
from statemachine.calls import START_CHILD_RESOURCE, continues_call
from statemachine.error_names import ALL_ERRORS
from statemachine.event_wait_states import waits_for_token
from statemachine.model import Workflow

# A part of a workflow too large for one machine runs as its own state machine.
START_PART_RESOURCE = START_CHILD_RESOURCE
STEP_FUNCTIONS_SERVICE_ERRORS = (
    "StepFunctions.AWSStepFunctionsException",
    "StepFunctions.SdkClientException",
    "StepFunctions.ExecutionLimitExceededException",
)

# A part's definition at most, as a share of the most a machine may take: room for names.
PART_SHARE = 0.85

# Where a part's state machine is: its ARN from its number (1, 2, ...).
PartArn = Callable[[int], str]
MAX_MACHINE_NAME_LENGTH = quotas.NAME_CHARACTERS


def part_machine_name(name: str, number: int) -> str:
    """The name of part `number` of the state machine `name` (cut to fit, its end kept)."""
    suffix = f"-part-{number}"
    return f"{name[: MAX_MACHINE_NAME_LENGTH - len(suffix)]}{suffix}"


def split(states: list[tuple[str, State]], budget: int) -> list[list[tuple[str, State]]]:
    """The unit states in consecutive parts of at most `budget` bytes of definition and of
    a history within budget; a task and the Wait states it resolves stay together, as do
    a run-workflow node's task and the states that run its child, and a wait-for-event
    node's waiting task and the task that settles it."""
    segments: list[list[tuple[str, State]]] = []
    for name, state in states:
        follows = state["Type"] == "Wait" or continues_call(state)
        if segments and (follows or waits_for_token(segments[-1][-1][1])):
            segments[-1].append((name, state))
        else:
            segments.append([(name, state)])
    parts: list[list[tuple[str, State]]] = []
    size = tasks = others = 0
    for segment in segments:
        added = sum(state_size(name, state) for name, state in segment)
        counts = path_counts(segment)
        events = limits.history_events(
            tasks=tasks + counts["tasks"], other_states=others + counts["other_states"]
        )
        if not parts or size + added > budget or events > limits.HISTORY_EVENT_BUDGET:
            parts.append([])
            size = tasks = others = 0
        parts[-1].extend(segment)
        size += added
        tasks += counts["tasks"]
        others += counts["other_states"]
    return parts


def part_definition(
    workflow: Workflow, number: int, count: int, states: list[tuple[str, State]]
) -> dict[str, Any]:
    """Part `number` of `count`: its units one after another. A failure that outlasts its
    retries ends the part (successfully, the failure in the state), and the machine that
    started it goes on to Finalize."""
    chained = [(name, dict(state)) for name, state in states]
    for (_, state), (following, _) in itertools.pairwise(chained):
        if state["Type"] == "Choice":
            state["Default"] = following
        else:  # a state that names its next itself (a for-each's inline Map) keeps it
            state.setdefault("Next", following)
    chained[-1][1].pop("Next", None)
    chained[-1][1]["End"] = True
    for _, state in chained:
        if "Catch" in state:  # a failure caught into Finalize ends the part instead
            state["Catch"] = [
                {**catch, "Next": names.STOPPED} if catch["Next"] == names.FINALIZE else catch
                for catch in state["Catch"]
            ]
    return {
        "Comment": f"stepthunk workflow {workflow.id}: {workflow.name}, part {number} of {count}",
        "StartAt": chained[0][0],
        "States": unique([*chained, (names.STOPPED, {"Type": "Succeed"})]),
    }


def part_tasks(part_arn: PartArn, count: int) -> list[tuple[str, State]]:
    """For each part, the task that runs it to its end (StartExecution.sync, its output the
    state), then, but after the last, a Choice going to Finalize if the part failed."""
    states: list[tuple[str, State]] = []
    for number in range(1, count + 1):
        task: State = {
            "Type": "Task",
            "Resource": START_PART_RESOURCE,
            "Parameters": {
                "StateMachineArn": part_arn(number),
                "Input.$": "$",
                "Name.$": "$.execution.id",
            },
            "OutputPath": "$.Output",
            "Retry": [
                {
                    "ErrorEquals": list(STEP_FUNCTIONS_SERVICE_ERRORS),
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2.0,
                }
            ],
            "Catch": [
                {"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}
            ],
        }
        states.append((names.run_part(number, count), task))
        if number < count:
            stopped = {"Variable": "$.failure", "IsPresent": True, "Next": names.FINALIZE}
            states.append(
                (names.after_part(number, count), {"Type": "Choice", "Choices": [stopped]})
            )
    return states
