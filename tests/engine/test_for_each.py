"""A for-each node on Step Functions: its items run in a Map state, one iteration each, every
iteration a `startExecution.sync:2` task starting the item's child, a real execution of its
workflow's state machine; and both engines record the caller and the children alike."""

from __future__ import annotations

import sys
from typing import Any

from lambdas.runtime.record import ExecutionRecord
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.validation import validated
from tests.support.runs import new_organization, run
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

# What differs between two runs of one workflow: ids and times.
UNCOMPARED = ("id", "startedAt", "endedAt", "parentExecutionId")


def reciprocal() -> dict[str, Any]:
    """`reciprocal`: 1 / n (n = 0 fails it)."""
    return workflow(
        node("n", "number-input", value=1),
        node("div", "division", a=1),
        node("shown", "output-number"),
        edges=[edge("n.value", "div.b"), edge("div.result", "shown.value")],
        workflow_id="reciprocal",
    )


def looping() -> dict[str, Any]:
    """Runs the reciprocal of 4, 0 and 2, two at a time, one failure tolerated."""
    return workflow(
        node("list", "json-input", json=[4, 0, 2]),
        node(
            "loop",
            "for-each",
            workflowId="reciprocal",
            itemInput="n.value",
            maxConcurrency=2,
            toleratedFailures=1,
        ),
        node("out", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "out.value")],
        workflow_id="looping",
    )


def shown(record: ExecutionRecord) -> dict[str, Any]:
    """The record without what differs between runs; the children's ids neither."""
    data = {k: v for k, v in record.to_json().items() if k not in UNCOMPARED}
    for execution in data["nodeExecutions"]:
        outputs = execution.get("outputs", {})
        outputs.pop("executionIds", None)
        for error in outputs.get("errors", []):
            error.pop("executionId")
            error["error"] = error["error"].split(" (execution ")[0]
    return data


def test_the_items_run_in_a_map_state_each_a_child_execution(engine: EmbeddedEngine) -> None:
    organization = new_organization()
    engine.deploy(validated(reciprocal(), engine.registry.catalog), organization)

    finished = run(engine, looping(), organization_id=organization)

    assert finished.record.status == "completed", finished.record
    assert finished.record.node("out").outputs == {
        "displayValue": [{"shown": 0.25}, None, {"shown": 0.5}]
    }
    events = finished.history
    [started] = [e for e in events if e["type"] == "MapStateStarted"]
    assert started["mapStateStartedEventDetails"] == {"length": 3}
    assert sum(e["type"] == "MapIterationSucceeded" for e in events) == 3
    items = [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]
    assert items[items.index("Run node loop") :][:2] == ["Run node loop", "Runs items? loop"]
    assert items.count("Run item of loop") == 3
    assert items.count("Item failed of loop") == 1
    assert "Finish node loop" in items
    outputs = finished.record.node("loop").outputs
    assert outputs is not None
    ended = ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    for child_id, status in zip(outputs["executionIds"], ended, strict=True):
        handle = engine.executions.handle(child_id)
        assert handle is not None
        assert handle.execution_arn is not None
        assert engine.cloud.wait_for_execution(handle.execution_arn) == status


def test_both_engines_record_the_caller_and_the_children_alike(engine: EmbeddedEngine) -> None:
    organization = new_organization()
    engine.deploy(validated(reciprocal(), engine.registry.catalog), organization)
    on_step_functions = run(engine, looping(), organization_id=organization).record
    in_process = InProcessEngine(organization_id=organization, time_scale=TEST_TIME_SCALE)
    in_process.deploy(reciprocal())
    in_this_process = in_process.run(looping())

    assert shown(on_step_functions) == shown(in_this_process)
    children = [
        [shown(runner.record(str(child))) for child in record.node("loop").outputs["executionIds"]]  # type: ignore[index]
        for runner, record in ((engine, on_step_functions), (in_process, in_this_process))
    ]
    assert children[0] == children[1]
    assert [child["status"] for child in children[0]] == ["completed", "error", "completed"]


def test_items_past_what_the_state_takes_reach_their_children_by_reference(
    engine: EmbeddedEngine,
) -> None:
    # 100 items of 3 KB: 300 KB, more than a state may hold (256 KiB)
    organization = new_organization()
    echo = workflow(
        node("doc", "json-input", json={}),
        node("out", "output-json"),
        edges=[edge("doc.json", "out.value")],
        workflow_id="echo",
    )
    engine.deploy(validated(echo, engine.registry.catalog), organization)
    items = [{"i": i, "text": "x" * 3000} for i in range(100)]
    looped = workflow(
        node("list", "json-input", json=items),
        node("loop", "for-each", workflowId="echo", itemInput="doc.json", maxConcurrency=40),
        node("out", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "out.value")],
        workflow_id="looping",
    )

    finished = run(engine, looped, organization_id=organization)

    assert finished.record.status == "completed", finished.record.node("loop")
    assert finished.record.node("out").outputs == {
        "displayValue": [{"out": item} for item in items]
    }


def test_one_item_at_a_time_runs_more_items_than_the_stack_has_frames(
    engine: EmbeddedEngine,
) -> None:
    # moto's Map worker called itself once per item it ran: with maxConcurrency 1, the
    # items past Python's recursion limit failed the execution without its final record
    organization = new_organization()
    engine.deploy(validated(reciprocal(), engine.registry.catalog), organization)
    items = list(range(1, 201))
    one_at_a_time = workflow(
        node("list", "json-input", json=items),
        node("loop", "for-each", workflowId="reciprocal", itemInput="n.value", maxConcurrency=1),
        node("out", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "out.value")],
        workflow_id="looping",
    )
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)  # fewer frames than items; an item's own run needs fewer than 100
    try:
        finished = run(engine, one_at_a_time, organization_id=organization)
    finally:
        sys.setrecursionlimit(limit)

    assert finished.record.status == "completed", finished.record.node("loop")
    assert finished.record.node("out").outputs == {
        "displayValue": [{"shown": 1 / n} for n in items]
    }
