"""For-each: a for-each node runs a workflow of the organization once per item, each run an
execution of its own (a child naming its caller), and gives their output node values in item
order; a failed item never stops the others, and fails the node only past the failures it
tolerates; a list it cannot run fails the node with a message naming the problem."""

from __future__ import annotations

from typing import Any

from lambdas.runtime.output_limits import OutputLimits
from statemachine.for_each import MAX_ITEMS
from tests.conformance.conftest import Engine, Result
from tests.support.workflows import edge, node, workflow


def halver() -> dict[str, Any]:
    """`halver`: n / divisor shown by `half`; n = 10 and divisor = 2 unless a run says
    otherwise (a divisor of 0 fails it)."""
    return workflow(
        node("n", "number-input", value=10),
        node("divisor", "number-input", value=2),
        node("div", "division"),
        node("half", "output-number"),
        edges=[
            edge("n.value", "div.a"),
            edge("divisor.value", "div.b"),
            edge("div.result", "half.value"),
        ],
        workflow_id="halver",
        name="Halver",
    )


def sleeper() -> dict[str, Any]:
    """`sleeper`: waits `n` seconds, then shows n."""
    return workflow(
        node("n", "number-input", value=0),
        node("pause", "wait"),
        node("shown", "output-number"),
        edges=[
            edge("n.value", "pause.seconds"),
            edge("n.value", "pause.value"),
            edge("pause.value", "shown.value"),
        ],
        workflow_id="sleeper",
        name="Sleeper",
    )


def looping(items: Any, workflow_id: str = "halver", **literals: Any) -> dict[str, Any]:
    """Runs `workflow_id` for each of `items` (given to `n.value` unless `itemInput` says
    otherwise) and shows the results."""
    literals = {"workflowId": workflow_id, "itemInput": "n.value", **literals}
    return workflow(
        node("list", "json-input", json=items),
        node("loop", "for-each", **literals),
        node("shown", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "shown.value")],
        workflow_id="looping",
        name="Looping",
    )


def children(result: Result) -> list[Result]:
    return [result.execution(child) for child in result.output("loop", "executionIds")]


def test_each_item_runs_as_a_child_and_the_results_keep_item_order(engine: Engine) -> None:
    # The first items wait longest: with all at once, they end last.
    items = [2, 1, 0]
    result = engine.run(looping(items, "sleeper", maxConcurrency=4), workflows=[sleeper()])

    assert result.status == "completed", result.record
    assert result.output("loop", "results") == [{"shown": n} for n in items]
    assert result.output("loop", "errors") == []
    assert result.output("shown", "displayValue") == [{"shown": n} for n in items]
    runs = children(result)
    assert [run.status for run in runs] == ["completed"] * 3
    assert {run.record["parentExecutionId"] for run in runs} == {result.record["id"]}
    assert {run.record["parentNodeId"] for run in runs} == {"loop"}
    assert [run.output("n", "value") for run in runs] == items
    # each execution is charged for its own nodes: the loop costs nothing in the parent
    assert result.node("loop")["usage"] == 0
    assert [run.record["usage"] for run in runs] == [3] * 3


def test_a_failed_item_within_the_tolerance_leaves_the_node_completed(engine: Engine) -> None:
    result = engine.run(
        looping([2, 0, 4], itemInput="divisor.value", toleratedFailures=1, maxConcurrency=1),
        workflows=[halver()],
    )

    assert result.status == "completed", result.record
    assert result.output("loop", "results") == [{"half": 5}, None, {"half": 2.5}]
    [error] = result.output("loop", "errors")
    failed = result.output("loop", "executionIds")[1]
    assert error == {
        "index": 1,
        "executionId": failed,
        "error": f"Workflow 'halver' ended error (execution {failed}): "
        "Node 'div' failed: Division by zero is not allowed",
    }
    assert [run.status for run in children(result)] == ["completed", "error", "completed"]


def test_failures_past_the_tolerance_fail_the_node_after_every_item_ran(engine: Engine) -> None:
    # One at a time: the items after the failed one still run, and end.
    result = engine.run(
        looping([2, 0, 0, 5], itemInput="divisor.value", toleratedFailures=1, maxConcurrency=1),
        workflows=[halver()],
    )

    assert result.status == "error"
    message = result.error("loop")
    assert message.startswith(
        "2 of 4 items failed, more than the 1 tolerated (toleratedFailures); "
        "item 1: Workflow 'halver' ended error (execution "
    )
    assert message.endswith("): Node 'div' failed: Division by zero is not allowed")
    assert result.node("shown")["skipReason"] == "upstream_failure"


def test_by_default_one_failed_item_fails_the_node(engine: Engine) -> None:
    result = engine.run(looping([0], itemInput="divisor.value"), workflows=[halver()])

    assert result.status == "error"
    assert result.error("loop").startswith("1 of 1 items failed, more than the 0 tolerated")


def test_no_items_complete_the_node_with_no_results(engine: Engine) -> None:
    result = engine.run(looping([]), workflows=[halver()])

    assert result.status == "completed", result.record
    assert result.node("loop")["outputs"] == {"results": [], "errors": [], "executionIds": []}


def test_items_that_are_not_an_array_fail_the_node(engine: Engine) -> None:
    result = engine.run(looping({"a": 1}), workflows=[halver()])

    assert result.status == "error"
    assert result.error("loop") == "Input 'items' must be a JSON array, not an object"


def test_more_items_than_a_for_each_runs_fail_the_node_naming_the_limit(engine: Engine) -> None:
    result = engine.run(looping(list(range(MAX_ITEMS + 1))), workflows=[halver()])

    assert result.error("loop") == (
        f"Input 'items' has {MAX_ITEMS + 1:,} items, more than the {MAX_ITEMS:,} a for-each "
        "runs (each a child execution its task prepares); split the list"
    )


def test_an_item_of_the_wrong_type_is_a_failed_item(engine: Engine) -> None:
    result = engine.run(looping([4, "four"], toleratedFailures=1), workflows=[halver()])

    assert result.status == "completed", result.record
    assert result.output("loop", "results") == [{"half": 2}, None]
    [error] = result.output("loop", "errors")
    assert error["index"] == 1
    assert error["error"].endswith(
        "): Node 'n' failed: Value must be a number (and 1 more failed node)"
    )


def test_an_item_input_the_workflow_lacks_fails_the_node_before_any_item_runs(
    engine: Engine,
) -> None:
    result = engine.run(looping([4, 5], itemInput="ghost.value"), workflows=[halver()])

    message = result.error("loop")
    assert message.startswith("Item 0: Inputs for workflow 'halver' do not fit it: ")
    assert "ghost" in message


def test_the_item_input_must_name_a_node_and_an_input(engine: Engine) -> None:
    result = engine.run(looping([1], itemInput="n"), workflows=[halver()])

    assert result.error("loop") == (
        "Input 'itemInput' must name the input each item is given to as 'nodeId.inputName', not 'n'"
    )


def test_max_concurrency_is_bounded(engine: Engine) -> None:
    result = engine.run(looping([1], maxConcurrency=41), workflows=[halver()])

    message = result.error("loop")
    assert message == "Input 'maxConcurrency' must be a whole number from 1 to 40, not 41"


def test_a_missing_workflow_fails_the_node_naming_it(engine: Engine) -> None:
    result = engine.run(looping([1], "nowhere"))

    assert result.error("loop") == "Workflow 'nowhere' not found: no deployed workflow has that id"


def test_the_estimate_counts_one_run_of_the_workflow_and_each_item_its_own(
    engine: Engine,
) -> None:
    # the caller's own nodes are estimated at 2, one run of the halver at 4
    refused = engine.run(looping([1, 2]), workflows=[halver()], credits=5)
    assert refused.status == "exhausted"
    assert refused.node("loop")["status"] == "idle"

    # one at a time: the first child is charged before the second checks
    result = engine.run(
        looping([1, 2], maxConcurrency=1, toleratedFailures=1), workflows=[halver()], credits=6
    )
    assert result.status == "completed", result.record
    assert [run.status for run in children(result)] == ["completed", "exhausted"]
    assert result.output("loop", "results") == [{"half": 0.5}, None]


def test_the_results_are_held_to_the_limit_per_node_output(engine: Engine) -> None:
    # the list and each child's output within 1,000 bytes; the results of all together not
    child = workflow(
        node("t", "text-input", value=""),
        node("shown", "output-text"),
        edges=[edge("t.value", "shown.value")],
        workflow_id="texter",
    )
    limits = OutputLimits(per_output=1000)
    texts = [f"text {i:05}" for i in range(50)]

    result = engine.run(
        looping(texts, "texter", itemInput="t.value"), workflows=[child], limits=limits
    )

    assert result.error("loop") == (
        "Output 'results' is 1,151 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
