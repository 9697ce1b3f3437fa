"""What an execution's record says at each point (lambdas.lifecycle.records): submitted with what
a retry reuses, started or exhausted before any node ran, and as it ended (at Finalize and at a
cancel): what its units kept, what a retried execution reused, unreached nodes idle, and wait
nodes still waiting."""

from __future__ import annotations

from typing import Any

from lambdas.lifecycle import records
from lambdas.lifecycle.records import final as final_record
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import ExecutionStatus, NodeExecution, NodeStatus
from lambdas.runtime.state import ExecutionContext, WorkflowState


class NoValues:
    """A value store that is never needed: every value here is small enough to travel inline."""

    def put_value(self, organization_id: str, data: bytes) -> str:
        raise AssertionError("nothing here is large")

    def put_document(self, key: str, data: bytes) -> None:
        raise AssertionError("nothing here is large")

    def get_value(self, key: str) -> bytes:
        raise AssertionError("nothing here is large")


PAYLOADS = Payloads(NoValues(), "org-1")
CONTEXT = ExecutionContext(
    id="exec-1", workflow_id="wf-1", workflow_name="Flow", organization_id="org-1"
)


def completed(node_id: str, result: int, usage: int = 1) -> dict[str, Any]:
    return NodeExecution(
        node_id=node_id, status=NodeStatus.COMPLETED, outputs={"result": result}, usage=usage
    ).to_json()


def statuses(nodes: list[NodeExecution]) -> dict[str, str]:
    return {e.node_id: e.status.value for e in nodes}


def test_a_retry_cancelled_before_its_results_were_handed_out_keeps_what_it_reused() -> None:
    reused = {"a": completed("a", 1, usage=0), "b": completed("b", 2, usage=0)}
    state = WorkflowState(execution=CONTEXT, reused=PAYLOADS.pack_map(reused))

    record = final_record(state, ["a", "b", "c"], PAYLOADS, cancelled=True)

    assert record.status == ExecutionStatus.CANCELLED
    assert statuses(record.node_executions) == {"a": "completed", "b": "completed", "c": "idle"}
    assert record.node_executions[1].outputs == {"result": 2}
    assert record.usage == 0


def test_what_the_units_kept_makes_the_record_in_workflow_order() -> None:
    state = WorkflowState(execution=CONTEXT)
    kept = [{"b": completed("b", 2)}, {"a": completed("a", 1), "c": completed("c", 3, usage=5)}]

    record = final_record(state, ["a", "b", "c", "d"], PAYLOADS, kept)

    assert [e.node_id for e in record.node_executions] == ["a", "b", "c", "d"]
    assert statuses(record.node_executions)["d"] == "idle"
    assert record.usage == 7


def test_a_wait_node_still_waiting_has_waited_at_the_end_unless_the_execution_was_cancelled() -> (
    None
):
    waiting = NodeExecution(
        node_id="pause", status=NodeStatus.EXECUTING, inputs={"value": 4}, outputs={"value": 4}
    ).to_json()
    state = WorkflowState(execution=CONTEXT)

    ended = final_record(state, ["pause"], PAYLOADS, [{"pause": waiting}])
    cancelled = final_record(state, ["pause"], PAYLOADS, [{"pause": waiting}], cancelled=True)

    assert ended.status == ExecutionStatus.COMPLETED
    assert ended.node_executions[0].status == NodeStatus.COMPLETED
    assert ended.node_executions[0].outputs == {"value": 4}
    assert cancelled.node_executions == [NodeExecution(node_id="pause", status=NodeStatus.IDLE)]


def test_a_submitted_record_shows_every_node_idle_but_those_a_retry_reuses() -> None:
    reused = {"b": NodeExecution.model_validate(completed("b", 2))}

    record = records.submitted(CONTEXT, ["a", "b", "c"], reused)

    assert record.status == ExecutionStatus.SUBMITTED
    assert (record.id, record.workflow_id, record.workflow_name) == ("exec-1", "wf-1", "Flow")
    assert statuses(record.node_executions) == {"a": "idle", "b": "completed", "c": "idle"}
    assert (record.started_at, record.ended_at, record.error) == (None, None, None)


def test_an_unstarted_record_is_started_or_exhausted_at_the_time_given() -> None:
    now = "2026-12-07T00:00:00.000Z"

    started = records.unstarted(CONTEXT, ExecutionStatus.EXECUTING, ["a"], {}, now)
    exhausted = records.unstarted(CONTEXT, ExecutionStatus.EXHAUSTED, ["a"], {}, now)

    assert (started.started_at, started.ended_at, started.error) == (now, None, None)
    assert (exhausted.started_at, exhausted.ended_at) == (None, now)
    assert exhausted.error == "Insufficient compute credits"
    assert statuses(exhausted.node_executions) == {"a": "idle"}


def test_the_context_of_a_record_is_the_execution_it_is_of() -> None:
    record = records.submitted(CONTEXT, ["a"])

    assert records.execution_of(record, "session-1") == CONTEXT.model_copy(
        update={"session_id": "session-1"}
    )


def test_an_interrupted_execution_keeps_what_its_units_completed_and_fails_what_was_running():
    submitted = records.submitted(CONTEXT, ["a", "b", "c"])
    running = NodeExecution(node_id="b", status=NodeStatus.EXECUTING)
    ran = {"a": NodeExecution.model_validate(completed("a", 1)), "b": running}

    record = records.interrupted(submitted, ran, "Interrupted: stopped", "2026-12-07T00:00:00Z")

    assert record.status == ExecutionStatus.ERROR
    assert record.error == "Interrupted: stopped"
    assert record.ended_at == "2026-12-07T00:00:00Z"
    assert [(e.node_id, e.status, e.error) for e in record.node_executions] == [
        ("a", NodeStatus.COMPLETED, None),
        ("b", NodeStatus.ERROR, "Interrupted: stopped"),
        ("c", NodeStatus.IDLE, None),
    ]
