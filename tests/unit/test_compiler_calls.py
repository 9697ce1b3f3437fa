"""The states a run-workflow node compiles to: its task, a Choice past the child when there is
none, the startExecution.sync:2 task running the child, the task finishing the node; kept
together in one part of a split workflow."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.calls import START_CHILD_RESOURCE
from statemachine.compiler import compile_workflow
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow
from tests.unit.test_compiler_parts import split

CATALOG = default_registry().catalog


def calling(*, calls: int = 1, workflow_id: str = "caller", **options: Any) -> Workflow:
    """n0 -> call1 -> ... each call's outputs feeding the next call's inputs."""
    nodes = [node("n0", "json-input", json={})]
    edges = []
    for i in range(1, calls + 1):
        nodes.append(node(f"call{i}", "run-workflow", workflowId=f"callee{i}", **options))
        source = "n0.json" if i == 1 else f"call{i - 1}.outputs"
        edges.append(edge(source, f"call{i}.inputs"))
    return validate_workflow(workflow(*nodes, edges=edges, workflow_id=workflow_id), CATALOG)


def test_a_call_runs_its_child_between_its_task_and_the_task_finishing_it() -> None:
    states = compile_workflow(calling(), CATALOG, FUNCTIONS)["States"]

    run, choice = states["Run node call1"], states["Runs a workflow? call1"]
    child, finish = states["Run workflow of call1"], states["Finish node call1"]
    assert run["Next"] == "Runs a workflow? call1"
    assert choice["Choices"] == [
        {"Variable": "$.call", "IsPresent": False, "Next": "Finish node call1"}
    ]
    assert choice["Default"] == "Run workflow of call1"
    assert child["Resource"] == START_CHILD_RESOURCE
    assert child["Parameters"] == {
        "StateMachineArn.$": "$.call.stateMachineArn",
        "Input.$": "$.call.input",
        "Name.$": "$.call.executionId",
    }
    assert child["ResultPath"] is None
    assert child["Catch"][0]["Next"] == "Finish node call1"
    assert child["Next"] == "Finish node call1"
    assert finish["Parameters"]["finishCall"] is True
    assert finish["Resource"] == run["Resource"] == FUNCTIONS.run_node
    assert states["Check credits"]["Parameters"]["calls"] == ["callee1"]


def test_a_workflow_without_calls_names_none_to_check_credits() -> None:
    valid = validate_workflow(workflow(node("n", "number-input", value=1)), CATALOG)
    assert (
        "calls"
        not in compile_workflow(valid, CATALOG, FUNCTIONS)["States"]["Check credits"]["Parameters"]
    )


def test_a_calls_states_stay_together_in_one_part_of_a_split_workflow() -> None:
    compiled = split(calling(calls=40))

    assert len(compiled.parts) > 1
    for part in compiled.parts:
        states = part["States"]
        for name, state in states.items():
            if state["Type"] == "Choice":
                assert state["Default"] in states
                assert state["Choices"][0]["Next"] in states
            if state.get("Resource") == START_CHILD_RESOURCE:
                assert state["Catch"][0]["Next"] == name.replace("Run workflow of", "Finish node")
                assert state["Next"] in states


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("retry", {"maxAttempts": 2}, "INVALID_RETRY_POLICY"),
        ("timeoutSeconds", 10, "INVALID_TIMEOUT"),
    ],
)
def test_a_call_takes_no_retry_policy_nor_timeout(field: str, value: Any, code: str) -> None:
    call = node("call", "run-workflow", workflowId="other")
    call[field] = value

    with pytest.raises(WorkflowValidationError) as refused:
        validate_workflow(workflow(call), CATALOG)

    [problem] = refused.value.problems
    assert (problem.code, problem.path) == (code, f"nodes[0].{field}")


def test_a_workflow_calling_itself_is_refused() -> None:
    with pytest.raises(WorkflowValidationError) as refused:
        validate_workflow(
            workflow(node("call", "run-workflow", workflowId="me"), workflow_id="me"), CATALOG
        )

    [problem] = refused.value.problems
    assert problem.code == "CALL_CYCLE"
    assert problem.message == (
        "Node 'call' calls workflow 'me', the workflow itself: its calls would never end"
    )
