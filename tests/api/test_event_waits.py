"""Waiting for an event through the HTTP API: POST /executions/{id}/nodes/{nodeId}/event
resumes a waiting wait-for-event node (once: a second delivery answers 409), .../reject fails
it, a cancel stops the execution while it waits, and the record and the live updates show the
node `executing` with `waitingFor: "event"` meanwhile."""

from __future__ import annotations

import time
from typing import Any

from tests.api.test_executions_api import node_of
from tests.support.serving import PATIENCE, Organization, Server, receive
from tests.support.workflows import edge, node, workflow


def approval(workflow_id: str = "approval", timeout_seconds: int = 3000) -> dict[str, Any]:
    """An order, a wait-for-event `approval` after it (3000 s: 30 s at the tests' time
    scale), its payload shown by `answer`, its timeout by `expired`."""
    waiting = {**node("approval", "wait-for-event"), "timeoutSeconds": timeout_seconds}
    return workflow(
        node("order", "json-input", json={"item": "laptop", "price": 1499}),
        waiting,
        node("answer", "output-json"),
        node("expired", "output-boolean"),
        edges=[
            edge("order.json", "approval.value"),
            edge("approval.payload", "answer.value"),
            edge("approval.timedOut", "expired.value"),
        ],
        workflow_id=workflow_id,
    )


def until_waiting(org: Organization, execution_id: str, node_id: str = "approval") -> None:
    """Until the execution's record shows the node waiting for an event."""
    give_up = time.monotonic() + PATIENCE
    while True:
        shown = node_of(org.record(execution_id), node_id)
        if shown.get("waitingFor") == "event":
            return
        assert time.monotonic() < give_up, shown
        time.sleep(0.02)


def event_path(execution_id: str, node_id: str = "approval", action: str = "event") -> str:
    return f"/executions/{execution_id}/nodes/{node_id}/{action}"


def test_an_event_resumes_the_waiting_node_once_and_a_second_delivery_answers_409(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(approval())
    with server.session(org_a, "session-event") as socket:
        execution_id = org_a.start("approval", sessionId="session-event")
        announced: dict[str, Any] = {}
        while not announced:
            update = receive(socket)
            announced = next(
                (n for n in update["nodeExecutions"] if n.get("waitingFor") == "event"), {}
            )
        waiting = org_a.record(execution_id)
        delivered = org_a.http.post(event_path(execution_id), json={"approved": True, "by": "ana"})
        again = org_a.http.post(event_path(execution_id), json={"approved": False})

    assert (announced["nodeId"], announced["status"]) == ("approval", "executing")
    assert waiting["status"] == "executing"
    assert node_of(waiting, "approval")["status"] == "executing"
    assert node_of(waiting, "approval")["waitingFor"] == "event"
    assert node_of(waiting, "order")["status"] == "completed"
    assert delivered.status_code == 202, delivered.text
    assert delivered.json() == {
        "executionId": execution_id,
        "nodeId": "approval",
        "status": "delivered",
    }
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "NOT_WAITING"
    record = org_a.wait_for(execution_id)
    assert record["status"] == "completed"
    assert node_of(record, "approval")["outputs"] == {"payload": {"approved": True, "by": "ana"}}
    assert "waitingFor" not in node_of(record, "approval")
    assert node_of(record, "answer")["outputs"]["displayValue"] == {"approved": True, "by": "ana"}
    assert node_of(record, "expired")["status"] == "skipped"


def test_a_rejection_fails_the_node_with_its_reason(org_a: Organization) -> None:
    org_a.deploy(approval())
    execution_id = org_a.start("approval")
    until_waiting(org_a, execution_id)

    rejected = org_a.http.post(
        event_path(execution_id, action="reject"), json={"reason": "Over budget"}
    )

    assert rejected.status_code == 202, rejected.text
    assert rejected.json()["status"] == "rejected"
    record = org_a.wait_for(execution_id)
    assert record["status"] == "error"
    assert node_of(record, "approval")["error"] == "Event rejected: Over budget"
    assert node_of(record, "answer")["skipReason"] == "upstream_failure"


def test_a_wait_without_an_event_times_out_to_timed_out(org_a: Organization) -> None:
    org_a.deploy(approval("quick", timeout_seconds=20))  # 0.2 s at the tests' time scale

    record = org_a.wait_for(org_a.start("quick"))

    assert record["status"] == "completed"
    assert node_of(record, "approval")["outputs"] == {"timedOut": True}
    assert node_of(record, "expired")["outputs"]["displayValue"] is True
    assert node_of(record, "answer")["status"] == "skipped"


def test_an_execution_waiting_for_an_event_is_cancellable_and_then_takes_none(
    org_a: Organization,
) -> None:
    org_a.deploy(approval())
    execution_id = org_a.start("approval")
    until_waiting(org_a, execution_id)

    cancelled = org_a.http.post(f"/executions/{execution_id}/cancel")
    late = org_a.http.post(event_path(execution_id), json={"approved": True})

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert node_of(cancelled.json(), "approval") == {
        "nodeId": "approval",
        "status": "idle",
        "usage": 0,
    }
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "NOT_WAITING"
    assert org_a.record(execution_id)["status"] == "cancelled"


def test_deliveries_that_cannot_be_answer_4xx_naming_the_problem(
    org_a: Organization, org_b: Organization
) -> None:
    org_a.deploy(approval())
    execution_id = org_a.start("approval")
    until_waiting(org_a, execution_id)

    other_org = org_b.http.post(event_path(execution_id), json={})
    unknown_execution = org_a.http.post(event_path("no-such-execution"), json={})
    unknown_node = org_a.http.post(event_path(execution_id, "nobody"), json={})
    not_a_wait = org_a.http.post(event_path(execution_id, "order"), json={})
    malformed = org_a.http.post(
        event_path(execution_id), content=b"{", headers={"Content-Type": "application/json"}
    )
    too_large = org_a.http.post(event_path(execution_id), json={"text": "x" * 200_000})
    bad_reason = org_a.http.post(event_path(execution_id, action="reject"), json={"why": "x"})

    assert other_org.status_code == 404, other_org.text
    assert unknown_execution.status_code == 404, unknown_execution.text
    assert unknown_node.status_code == 404, unknown_node.text
    assert "Node 'nobody' not found" in unknown_node.json()["error"]["message"]
    assert not_a_wait.status_code == 409, not_a_wait.text
    assert "Node 'order' is not waiting for an event" in not_a_wait.json()["error"]["message"]
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["code"] == "MALFORMED_JSON"
    assert too_large.status_code == 400, too_large.text
    assert too_large.json()["error"]["code"] == "EVENT_TOO_LARGE"
    assert bad_reason.status_code == 400, bad_reason.text
    # none of them used the wait: an event still resumes it
    delivered = org_a.http.post(event_path(execution_id), json=None)
    assert delivered.status_code == 202, delivered.text
    record = org_a.wait_for(execution_id)
    assert node_of(record, "approval")["outputs"] == {"payload": None}


def test_a_short_lived_workflow_cannot_wait_for_an_event(org_a: Organization) -> None:
    refused = org_a.http.put("/workflows/short", json={**approval("short"), "shortLived": True})

    assert refused.status_code == 400, refused.text
    [problem] = refused.json()["error"]["details"]
    assert problem["code"] == "EXPRESS_UNSUPPORTED"
    assert problem["nodeId"] == "approval"


def test_a_retry_waits_again_where_the_wait_failed_and_reuses_one_that_completed(
    org_a: Organization,
) -> None:
    org_a.deploy(approval())
    rejected = org_a.start("approval")
    until_waiting(org_a, rejected)
    org_a.http.post(event_path(rejected, action="reject"), json={"reason": "not yet"})
    assert org_a.wait_for(rejected)["status"] == "error"

    retry = org_a.http.post(f"/executions/{rejected}/retry", json={})
    assert retry.status_code == 202, retry.text
    retried = retry.json()["executionId"]
    until_waiting(org_a, retried)  # waits again
    org_a.http.post(event_path(retried), json={"approved": True})
    assert org_a.wait_for(retried)["status"] == "completed"

    # a wait that completed, then a node after it that failed: its retry does not wait
    failing = approval("approval-then-fail")
    failing["nodes"].append(node("ratio", "division", a=1, b=0))
    failing["edges"].append(edge("approval.payload", "ratio.a"))
    org_a.deploy(failing)
    first = org_a.start("approval-then-fail")
    until_waiting(org_a, first)
    org_a.http.post(event_path(first), json=4)
    assert org_a.wait_for(first)["status"] == "error"
    again = org_a.http.post(f"/executions/{first}/retry", json={}).json()["executionId"]
    record = org_a.wait_for(again)
    assert node_of(record, "approval")["outputs"] == {"payload": 4}
    assert node_of(record, "approval")["usage"] == 0  # reused, not charged again
    assert node_of(record, "ratio")["status"] == "error"
