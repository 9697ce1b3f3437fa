"""A wait-for-event node: its timeout required and bounded, no retry, refused in a
short-lived workflow, and compiled to a `.waitForTaskToken` task (TimeoutSeconds always set)
whose ends are caught into the task that settles the node."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.compiler import compile_machines, compile_workflow
from statemachine.errors import WorkflowValidationError
from statemachine.event_waits import MAX_EVENT_WAIT_SECONDS
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def waiting(**fields: Any) -> dict[str, Any]:
    return {**node("ev", "wait-for-event"), **fields}


def problems_of(raw: dict[str, Any]) -> list[ValidationProblem]:
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(raw, CATALOG)
    return raised.value.problems


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({}, "timeoutSeconds is missing"),
        ({"timeoutSeconds": 0}, "timeoutSeconds is 0"),
        ({"timeoutSeconds": MAX_EVENT_WAIT_SECONDS + 1}, "timeoutSeconds is 31536001"),
    ],
)
def test_a_wait_for_event_node_needs_a_timeout_within_a_year(
    fields: dict[str, Any], said: str
) -> None:
    [problem] = problems_of(workflow(waiting(**fields)))

    assert problem.code == ProblemCode.INVALID_TIMEOUT
    assert (problem.node_id, problem.path) == ("ev", "nodes[0].timeoutSeconds")
    assert said in problem.message
    assert "from 1 to 31,536,000 (a year)" in problem.message


def test_a_wait_longer_than_a_node_s_task_may_run_is_accepted() -> None:
    validate_workflow(workflow(waiting(timeoutSeconds=MAX_EVENT_WAIT_SECONDS)), CATALOG)


def test_a_wait_for_event_node_takes_no_retry_policy() -> None:
    [problem] = problems_of(workflow(waiting(timeoutSeconds=60, retry={"maxAttempts": 2})))

    assert problem.code == ProblemCode.INVALID_RETRY_POLICY
    assert problem.path == "nodes[0].retry"


def test_a_short_lived_workflow_cannot_wait_for_an_event() -> None:
    raw = {**workflow(node("a", "number-input"), waiting(timeoutSeconds=60)), "shortLived": True}

    [problem] = problems_of(raw)

    assert problem.code == ProblemCode.EXPRESS_UNSUPPORTED
    assert (problem.node_id, problem.path) == ("ev", "nodes[1].type")
    assert "drop `shortLived`" in problem.message


def flow() -> dict[str, Any]:
    return workflow(
        node("r", "random-number"),
        waiting(timeoutSeconds=600),
        node("w", "wait", seconds=5),
        node("out", "output-any"),
        edges=[edge("r.value", "ev.value"), edge("ev.payload", "w.value")],
    )


def states_of(definition: dict[str, Any]) -> dict[str, Any]:
    states: dict[str, Any] = definition["States"]
    return states


@pytest.mark.parametrize("parallel", [None, True])
def test_the_node_waits_in_a_task_token_task_whose_ends_are_caught_into_its_settling_task(
    parallel: bool | None,
) -> None:
    valid = validate_workflow(flow(), CATALOG)
    states = states_of(compile_workflow(valid, CATALOG, FUNCTIONS, parallel=parallel))

    waits = states["Wait for event ev"]
    assert waits["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert waits["TimeoutSeconds"] == 600
    assert waits["Parameters"]["FunctionName"] == FUNCTIONS.run_node
    assert waits["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
    assert waits["ResultPath"] == "$.event"
    assert waits["Next"] == "Resume after event ev"
    caught, rest = waits["Catch"]
    assert caught["ErrorEquals"] == ["States.Timeout", "EventRejected", "NodeNotWaiting"]
    assert (caught["ResultPath"], caught["Next"]) == ("$.event", "Resume after event ev")
    assert (rest["ErrorEquals"], rest["Next"]) == (["States.ALL"], "Finalize")
    settles = states["Resume after event ev"]
    assert settles["Resource"] == FUNCTIONS.run_node
    assert settles["Parameters"]["event.$"] == "$.event"
    # the task after the wait resolves the Wait state that follows it
    assert len(settles["Parameters"]["waitUnits"]) == 1
    assert settles["Next"] == "Wait w"
    assert not any(state["Type"] == "Parallel" for state in states.values())


def test_a_split_workflow_keeps_the_wait_and_its_settling_task_in_one_part() -> None:
    nodes = [node(f"n{i:03}", "random-number") for i in range(60)]
    raw = workflow(*nodes[:30], waiting(timeoutSeconds=60), *nodes[30:])
    valid = validate_workflow(raw, CATALOG)

    compiled = compile_machines(
        valid, CATALOG, FUNCTIONS, part_arn=lambda n: f"arn:part:{n}", max_definition_bytes=12_000
    )

    assert len(compiled.parts) > 1
    [part] = [p for p in compiled.parts if "Wait for event ev" in p["States"]]
    waits = part["States"]["Wait for event ev"]
    assert "Resume after event ev" in part["States"]
    assert waits["Catch"][0]["Next"] == "Resume after event ev"
    assert waits["Catch"][1]["Next"] != "Finalize"  # a part ends; its parent finalizes
