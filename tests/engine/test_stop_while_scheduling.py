"""An execution stopped while one of its tasks is being scheduled keeps a readable history
(moto recorded the task's input as its timeout, and every later GetExecutionHistory of the
execution failed: a cancel through the API answered 500)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.adapters.state_machines import StepFunctionsMachines
from local.embedded import EmbeddedEngine
from statemachine.validation import validate_workflow
from tests.support.runs import new_organization
from tests.support.workflows import edge, node, workflow

PATIENCE = 60.0


@pytest.fixture
def held_scheduling() -> Iterator[tuple[threading.Event, threading.Event]]:
    """While inside: the first task with a timeout (one that runs nodes) to be scheduled
    signals `scheduling` once its input is evaluated, then waits for `go` before it evaluates
    its timeout and records the event."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    scheduling, go = threading.Event(), threading.Event()
    original = StateTaskLambda._eval_parameters

    def held(task: Any, env: Any) -> Any:
        parameters = original(task, env)
        if not scheduling.is_set() and not task.timeout.is_default_value():
            scheduling.set()
            go.wait(PATIENCE)
        return parameters

    StateTaskLambda._eval_parameters = held  # type: ignore[method-assign,assignment]
    try:
        yield scheduling, go
    finally:
        StateTaskLambda._eval_parameters = original  # type: ignore[method-assign]
        go.set()


def test_a_stop_while_a_task_is_scheduled_leaves_a_readable_history(
    engine: EmbeddedEngine, held_scheduling: tuple[threading.Event, threading.Event]
) -> None:
    scheduling, go = held_scheduling
    flow = workflow(
        node("first", "number-input", value=1),
        node("after", "addition", b=1),
        edges=[edge("first.value", "after.a")],
    )
    valid = validate_workflow(flow, engine.registry.catalog)
    arn = engine.start(valid, {}, new_organization(), str(uuid.uuid4()))
    assert scheduling.wait(PATIENCE), "no task was scheduled"
    machines = StepFunctionsMachines(engine.cloud.client("stepfunctions"))
    assert machines.stop(arn, "stopped while a task is scheduled")
    go.set()
    engine.cloud.wait_for_execution(arn, PATIENCE)

    history = engine.cloud.client("stepfunctions").get_execution_history(executionArn=arn)
    scheduled = [
        event["lambdaFunctionScheduledEventDetails"]
        for event in history["events"]
        if event["type"] == "LambdaFunctionScheduled"
    ]
    assert scheduled, "the held task was not recorded"
    assert all(isinstance(details.get("timeoutInSeconds", 0), int) for details in scheduled)
    machines.last_state(arn)  # what a cancel reads
