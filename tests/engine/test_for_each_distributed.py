"""A for-each past the items an inline Map runs, on Step Functions: its items are stored in S3
and run in a Distributed Map (`ItemReader`), each iteration a child workflow execution of its
map run starting the item's child, none of it in the caller's history; a failed item is
tolerated or fails the node as inline; both engines record it alike. The deployment here
lowers the inline items to 100 so that 200 items take that path."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from lambdas.lifecycle.cancel import cancel_execution
from lambdas.lifecycle.for_each import item_id
from lambdas.runtime.state import ExecutionContext
from local import interpreter
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.validation import validated
from tests.engine.test_for_each import reciprocal, shown
from tests.support.runs import new_organization, run
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

INLINE_ITEMS = 100


@pytest.fixture(scope="module")
def lowered(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, for_each_inline_items=INLINE_ITEMS)


def looping(items: list[Any], **literals: Any) -> dict[str, Any]:
    return workflow(
        node("list", "json-input", json=items),
        node("loop", "for-each", workflowId="reciprocal", itemInput="n.value", **literals),
        node("out", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "out.value")],
        workflow_id="looping",
    )


def test_past_the_inline_items_they_run_in_a_distributed_map(lowered: EmbeddedEngine) -> None:
    organization = new_organization()
    lowered.deploy(validated(reciprocal(), lowered.registry.catalog), organization)
    items = list(range(1, 201))

    finished = run(lowered, looping(items, maxConcurrency=40), organization_id=organization)

    assert finished.record.status == "completed", finished.record.node("loop")
    results = finished.record.node("out").outputs
    assert results == {"displayValue": [{"shown": 1 / n} for n in items]}
    kinds = [event["type"] for event in finished.history]
    assert "MapRunStarted" in kinds
    assert "MapRunSucceeded" in kinds
    assert "MapIterationStarted" not in kinds  # the iterations run in the map run
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in finished.history
        if event["type"].endswith("StateEntered")
    ]
    assert "Run items of loop in a map run" in entered
    assert "Run items of loop" not in entered
    assert len(finished.history) < 60  # the items' events are not the caller's
    outputs = finished.record.node("loop").outputs
    assert outputs is not None
    assert len(outputs["executionIds"]) == 200
    child = lowered.executions.handle(outputs["executionIds"][199])
    assert child is not None
    assert child.execution_arn is not None
    assert lowered.cloud.wait_for_execution(child.execution_arn) == "SUCCEEDED"


def test_a_map_runs_iterations_each_have_a_history_of_their_own(
    lowered: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each iteration is a child workflow execution on AWS: its events count towards its own
    # history's limit, not one history of the whole map run (met at about 4,000 items).
    organization = new_organization()
    lowered.deploy(validated(reciprocal(), lowered.registry.catalog), organization)
    monkeypatch.setattr(interpreter, "HISTORY_EVENT_LIMIT", 300)
    items = list(range(1, 121))

    finished = run(lowered, looping(items, maxConcurrency=40), organization_id=organization)

    assert finished.record.status == "completed", finished.record.node("loop").error
    shown = [{"shown": 1 / n} for n in items]
    assert finished.record.node("out").outputs == {"displayValue": shown}


def test_a_failed_item_of_a_distributed_map_never_stops_the_others(
    lowered: EmbeddedEngine,
) -> None:
    organization = new_organization()
    lowered.deploy(validated(reciprocal(), lowered.registry.catalog), organization)
    items = [0 if n % 50 == 0 else n for n in range(150)]  # items 0, 50 and 100 fail

    tolerated = run(
        lowered, looping(items, toleratedFailures=3), organization_id=organization
    ).record
    refused = run(lowered, looping(items, toleratedFailures=2), organization_id=organization).record

    assert tolerated.status == "completed", tolerated.node("loop")
    outputs = tolerated.node("loop").outputs
    assert outputs is not None
    assert [error["index"] for error in outputs["errors"]] == [0, 50, 100]
    assert outputs["results"][1] == {"shown": 1.0}
    assert [n for n, result in enumerate(outputs["results"]) if result is None] == [0, 50, 100]
    error = refused.node("loop").error
    assert error is not None
    assert error.startswith("3 of 150 items failed, more than the 2 tolerated")


def test_both_engines_record_a_distributed_for_each_alike(lowered: EmbeddedEngine) -> None:
    organization = new_organization()
    lowered.deploy(validated(reciprocal(), lowered.registry.catalog), organization)
    items = [0 if n == 7 else n for n in range(1, 121)]
    looped = looping(items, toleratedFailures=1)

    on_step_functions = run(lowered, looped, organization_id=organization).record
    in_process = InProcessEngine(organization_id=organization, time_scale=TEST_TIME_SCALE)
    in_process.deploy(reciprocal())
    in_this_process = in_process.run(looped)

    assert on_step_functions.status == "completed"
    assert shown(on_step_functions) == shown(in_this_process)


def test_a_cancel_stops_a_distributed_for_eachs_items(lowered: EmbeddedEngine) -> None:
    organization = new_organization()
    slow = workflow(
        node("first", "number-input", value=1),
        node("pause", "wait", seconds=1000),  # 10 s at the tests' time scale
        edges=[edge("first.value", "pause.value")],
        workflow_id="slow",
    )
    lowered.deploy(validated(slow, lowered.registry.catalog), organization)
    looped = workflow(
        node("list", "json-input", json=list(range(120))),
        node("loop", "for-each", workflowId="slow", itemInput="first.value", maxConcurrency=4),
        edges=[edge("list.json", "loop.items")],
        workflow_id="slow-loop",
    )
    parent_id = str(uuid.uuid4())
    valid = validated(looped, lowered.registry.catalog)
    lowered.start(valid, {}, organization, parent_id)
    parent = ExecutionContext(
        id=parent_id, workflow_id="slow-loop", workflow_name="", organization_id=organization
    )
    children = [item_id(parent, "loop", index) for index in range(120)]
    give_up = time.monotonic() + 30
    while not all(_status(lowered, child) == "executing" for child in children[:4]):
        assert time.monotonic() < give_up
        time.sleep(0.05)

    cancelled = cancel_execution(lowered.ports, organization, parent_id)

    assert cancelled.status == "cancelled"
    assert cancelled.node("loop").status == "idle"
    time.sleep(0.5)  # what a map run still running would start meanwhile
    assert {_status(lowered, child) for child in children} == {"cancelled"}
    started = [
        child
        for child in children
        if (handle := lowered.executions.handle(child)) is not None
        and handle.execution_arn is not None
        and _ran(lowered, handle.execution_arn)
    ]
    assert len(started) == 4  # the running four, stopped; none started after the cancel


def _status(engine: EmbeddedEngine, execution_id: str) -> str | None:
    handle = engine.executions.handle(execution_id)
    return None if handle is None else str(handle.status)


def _ran(engine: EmbeddedEngine, execution_arn: str) -> bool:
    try:
        status = engine.cloud.wait_for_execution(execution_arn, timeout=5)
    except LookupError:
        return False
    assert status == "ABORTED"
    return True
