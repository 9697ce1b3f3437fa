"""Sub-workflows: a run-workflow node runs another workflow of the organization as an
execution of its own (a child, with its own record naming its caller) and gives the values
of its output nodes; a child's error, a missing workflow, inputs that do not fit and calls
nested too deep fail the node, each with a message naming the problem."""

from __future__ import annotations

from typing import Any

from lambdas.runtime.output_limits import OutputLimits
from statemachine.calls import MAX_CALL_DEPTH
from tests.conformance.conftest import Engine
from tests.support.workflows import edge, node, workflow


def halver() -> dict[str, Any]:
    """`halver`: n / 2 shown by `half`; n = 10 unless a run says otherwise."""
    return workflow(
        node("n", "number-input", value=10),
        node("two", "number-input", value=2),
        node("div", "division"),
        node("half", "output-number"),
        edges=[
            edge("n.value", "div.a"),
            edge("two.value", "div.b"),
            edge("div.result", "half.value"),
        ],
        workflow_id="halver",
        name="Halver",
    )


def caller(workflow_id: Any = "halver", inputs: Any = None) -> dict[str, Any]:
    """Calls `workflow_id` (with per-run `inputs`) and shows what its output `half` gave."""
    literals: dict[str, Any] = {"workflowId": workflow_id}
    if inputs is not None:
        literals["inputs"] = inputs
    return workflow(
        node("call", "run-workflow", **literals),
        node("pick", "json-extract-number", path="$.half"),
        node("shown", "output-number"),
        edges=[edge("call.outputs", "pick.json"), edge("pick.value", "shown.value")],
        workflow_id="caller",
        name="Caller",
    )


def test_a_called_workflow_runs_as_a_child_whose_outputs_the_node_gives(engine: Engine) -> None:
    result = engine.run(caller(inputs={"n": {"value": 42}}), workflows=[halver()])

    assert result.status == "completed"
    called = result.node("call")
    assert called["outputs"]["outputs"] == {"half": 21}
    assert result.output("shown", "displayValue") == 21
    child = result.execution(called["outputs"]["executionId"])
    assert child.status == "completed"
    assert child.record["workflowId"] == "halver"
    assert child.record["parentExecutionId"] == result.record["id"]
    assert child.record["parentNodeId"] == "call"
    assert child.output("div") == 21
    # each execution is charged for its own nodes: the call costs nothing in the parent
    assert called["usage"] == 0
    assert (result.record["usage"], child.record["usage"]) == (2, 4)
    assert "parentExecutionId" not in result.record


def test_a_child_that_fails_fails_the_node_with_the_childs_error(engine: Engine) -> None:
    result = engine.run(caller(inputs={"two": {"value": 0}}), workflows=[halver()])

    assert result.status == "error"
    message = result.error("call")
    assert message.startswith("Workflow 'halver' ended error (execution ")
    assert message.endswith("): Node 'div' failed: Division by zero is not allowed")
    assert result.node("shown")["skipReason"] == "upstream_failure"


def test_a_missing_workflow_is_a_node_error_naming_it(engine: Engine) -> None:
    result = engine.run(caller("nowhere"))

    assert result.status == "error"
    assert result.error("call") == (
        "Workflow 'nowhere' not found: no deployed workflow has that id"
    )


def test_inputs_that_do_not_fit_the_called_workflow_fail_the_node(engine: Engine) -> None:
    result = engine.run(caller(inputs={"ghost": {"value": 1}}), workflows=[halver()])

    message = result.error("call")
    assert message.startswith("Inputs for workflow 'halver' do not fit it: ")
    assert "ghost" in message


def test_the_called_workflow_may_come_from_an_edge(engine: Engine) -> None:
    called = caller(workflow_id=None)
    called["nodes"][0]["inputs"] = []
    called["nodes"].append(node("which", "text-input", value="halver"))
    called["edges"].append(edge("which.value", "call.workflowId"))

    result = engine.run(called, workflows=[halver()])

    assert result.output("shown", "displayValue") == 5


def test_calls_nest_and_each_child_names_its_caller(engine: Engine) -> None:
    middle = caller(inputs={"n": {"value": 8}})
    middle.update(id="middle", name="Middle")
    top = workflow(node("call", "run-workflow", workflowId="middle"), workflow_id="top")

    result = engine.run(top, workflows=[halver(), middle])

    assert result.status == "completed"
    assert result.output("call", "outputs") == {"shown": 4}
    middle_run = result.execution(result.output("call", "executionId"))
    innermost = result.execution(middle_run.output("call", "executionId"))
    assert innermost.record["parentExecutionId"] == middle_run.record["id"]
    assert innermost.output("half", "displayValue") == 4


def test_calls_nested_past_the_limit_fail_the_innermost_call(engine: Engine) -> None:
    # A workflow calling itself through an edge: no deploy can see the cycle.
    looping = workflow(
        node("which", "text-input", value="looping"),
        node("call", "run-workflow"),
        edges=[edge("which.value", "call.workflowId")],
        workflow_id="looping",
    )

    result = engine.run(looping, workflows=[looping])

    assert result.status == "error"
    depth = 1
    while (message := result.error("call")).startswith("Workflow 'looping' ended error"):
        child_id = message.split("(execution ", 1)[1].split(")", 1)[0]
        result = result.execution(child_id)
        depth += 1
    assert depth == MAX_CALL_DEPTH + 1
    assert message == (
        f"Calling workflow 'looping' would nest calls {MAX_CALL_DEPTH + 1} deep, past the "
        f"{MAX_CALL_DEPTH} allowed: do the workflows call each other in a cycle?"
    )


def test_the_estimate_counts_one_run_of_each_called_workflow(engine: Engine) -> None:
    # the caller's own nodes are estimated at 2, the halver's at 4
    result = engine.run(caller(), workflows=[halver()], credits=5)

    assert result.status == "exhausted"
    assert result.node("call")["status"] == "idle"


def test_a_child_checks_its_own_credits(engine: Engine) -> None:
    result = engine.run(caller(), workflows=[halver()], credits=6)

    assert result.status == "completed"
    assert result.execution(result.output("call", "executionId")).status == "completed"


def test_what_a_call_gives_is_held_to_the_limit_per_node_output(engine: Engine) -> None:
    text = "x" * 990  # 992 bytes of JSON: within 1,000 in the child, not once wrapped
    child = workflow(
        node("t", "text-input", value=text),
        node("shown", "output-text"),
        edges=[edge("t.value", "shown.value")],
        workflow_id="texter",
    )
    limits = OutputLimits(per_output=1000)

    result = engine.run(caller("texter"), workflows=[child], limits=limits)

    assert result.error("call") == (
        "Output 'outputs' is 1,002 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
