"""A run-workflow node on Step Functions: the child is a real execution of its own workflow's
state machine, started and followed by the caller's `startExecution.sync:2` task, and both
engines record the caller and the child alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambdas.runtime.errors import TransientError
from lambdas.runtime.record import ExecutionRecord
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.validation import validated
from tests.support.runs import Faults, new_organization, run
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

# What differs between two runs of one workflow: ids and times.
UNCOMPARED = ("id", "startedAt", "endedAt", "parentExecutionId")


def doubler() -> dict[str, Any]:
    return workflow(
        node("n", "number-input", value=1),
        node("twice", "multiplication", b=2),
        node("shown", "output-number"),
        edges=[edge("n.value", "twice.a"), edge("twice.result", "shown.value")],
        workflow_id="doubler",
    )


def caller() -> dict[str, Any]:
    """Calls the doubler with n = 21, then waits on what it gave."""
    return workflow(
        node("call", "run-workflow", workflowId="doubler", inputs={"n": {"value": 21}}),
        node("pause", "wait", seconds=1),
        node("out", "output-json"),
        edges=[edge("call.outputs", "pause.value"), edge("pause.value", "out.value")],
        workflow_id="caller",
    )


def shown(record: ExecutionRecord) -> dict[str, Any]:
    """The record without what differs between runs; a call's child id neither."""
    data = {k: v for k, v in record.to_json().items() if k not in UNCOMPARED}
    for execution in data["nodeExecutions"]:
        execution.get("outputs", {}).pop("executionId", None)
    return data


def test_the_child_is_an_execution_of_its_workflows_state_machine(engine: EmbeddedEngine) -> None:
    organization = new_organization()
    engine.deploy(validated(doubler(), engine.registry.catalog), organization)

    finished = run(engine, caller(), organization_id=organization)

    assert finished.record.status == "completed", finished.record
    assert finished.record.node("out").outputs == {"displayValue": {"shown": 42}}
    child_id = finished.record.node("call").outputs["executionId"]  # type: ignore[index]
    handle = engine.executions.handle(child_id)
    assert handle is not None
    assert handle.execution_arn is not None
    assert engine.cloud.wait_for_execution(handle.execution_arn) == "SUCCEEDED"
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in finished.history
        if event["type"] == "TaskStateEntered"
    ]
    assert entered[entered.index("Run node call") :][:3] == [
        "Run node call",
        "Run workflow of call",
        "Finish node call",
    ]


def test_both_engines_record_the_caller_and_the_child_alike(engine: EmbeddedEngine) -> None:
    organization = new_organization()
    engine.deploy(validated(doubler(), engine.registry.catalog), organization)
    on_step_functions = run(engine, caller(), organization_id=organization).record
    in_process = InProcessEngine(organization_id=organization, time_scale=TEST_TIME_SCALE)
    in_process.deploy(doubler())
    in_this_process = in_process.run(caller())

    assert shown(on_step_functions) == shown(in_this_process)
    children = [
        shown(runner.record(str(record.node("call").outputs["executionId"])))  # type: ignore[index]
        for runner, record in ((engine, on_step_functions), (in_process, in_this_process))
    ]
    assert children[0] == children[1]
    assert children[0]["parentNodeId"] == "call"


def test_a_child_whose_machine_refuses_the_start_fails_the_node_and_ends(
    engine: EmbeddedEngine,
) -> None:
    organization = new_organization()
    engine.deploy(validated(doubler(), engine.registry.catalog), organization)
    stored = engine.ports.workflows.get(organization, "doubler")
    assert stored is not None
    engine.cloud.client("stepfunctions").delete_state_machine(
        stateMachineArn=stored.state_machine_arn
    )

    finished = run(engine, caller(), organization_id=organization)

    call = finished.record.node("call")
    assert call.status == "error"
    assert call.error is not None
    assert "did not end: " in call.error
    child_id = call.error.split("(execution ", 1)[1].split(")", 1)[0]
    child = engine.record(child_id)
    assert child.status == "error"
    assert child.ended_at is not None
    assert finished.record.node("out").skip_reason == "upstream_failure"


class LostOnce:
    """The run-workflow node's task and the task finishing it each do their work, then
    lose their response once (TransientError, retried by Step Functions)."""

    def __init__(self) -> None:
        self.lost: list[str] = []

    def __call__(
        self,
        real: Callable[[dict[str, Any], float], dict[str, Any]],
        event: dict[str, Any],
        deadline: float,
    ) -> dict[str, Any]:
        result = real(event, deadline)
        kind = "finish" if event.get("finishCall") else "prepare"
        if "call" in {n["id"] for n in event.get("nodes", [])} and kind not in self.lost:
            self.lost.append(kind)
            raise TransientError("the response was lost")
        return result


def test_tasks_of_a_call_that_run_again_start_one_child(
    engine: EmbeddedEngine, faults: Faults
) -> None:
    organization = new_organization()
    engine.deploy(validated(doubler(), engine.registry.catalog), organization)
    fault_free = run(engine, caller(), organization_id=organization).record
    lost = LostOnce()
    faults.inject(engine, "run_node", lost)  # type: ignore[arg-type]

    again = run(engine, caller(), organization_id=organization).record

    assert lost.lost == ["prepare", "finish"]
    assert shown(again) == shown(fault_free)
    stored = engine.ports.workflows.get(organization, "doubler")
    assert stored is not None
    machine = stored.state_machine_arn.rsplit(":", 1)[-1]
    started = [e.name for e in engine.cloud.executions(machine)]
    children = [str(r.node("call").outputs["executionId"]) for r in (fault_free, again)]  # type: ignore[index]
    assert sorted(started) == sorted(children)  # one child each, the second started once
