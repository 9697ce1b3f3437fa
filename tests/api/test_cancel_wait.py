"""A wait node is `executing` while its Wait state runs: a cancel then does not complete or
charge it, and a retry waits again."""

from __future__ import annotations

from typing import Any

from websockets.sync.client import ClientConnection

from tests.api.test_executions_api import node_of, waiter
from tests.support.serving import Organization, Server, receive


def until_announced(socket: ClientConnection, node_id: str) -> dict[str, Any]:
    """The first node execution of `node_id` a live update announces."""
    while True:
        for execution in receive(socket)["nodeExecutions"]:
            if execution["nodeId"] == node_id and execution["status"] != "idle":
                return dict(execution)


def test_a_cancel_during_a_wait_leaves_it_uncharged_and_a_retry_waits_again(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(waiter("waits"))
    before = server.engine.organizations.get(org_a.id)
    with server.session(org_a, "session-wait") as socket:
        execution_id = org_a.start("waits", sessionId="session-wait")
        pause = until_announced(socket, "pause")
        cancel = org_a.http.post(f"/executions/{execution_id}/cancel")

    assert pause["status"] == "executing"
    assert cancel.status_code == 200, cancel.text
    cancelled = cancel.json()
    assert node_of(cancelled, "first")["status"] == "completed"
    assert node_of(cancelled, "pause")["status"] == "idle"
    assert node_of(cancelled, "after")["status"] == "idle"
    assert cancelled["usage"] == 1
    after = server.engine.organizations.get(org_a.id)
    assert before is not None
    assert after is not None
    assert after.usage - before.usage == 1

    with server.session(org_a, "session-retry") as socket:
        retry = org_a.http.post(
            f"/executions/{execution_id}/retry", json={"sessionId": "session-retry"}
        )
        assert retry.status_code == 202, retry.text
        retried = retry.json()["executionId"]
        pause = until_announced(socket, "pause")
        waiting = org_a.record(retried)
        stopped = org_a.http.post(f"/executions/{retried}/cancel")

    assert pause["status"] == "executing"
    assert waiting["status"] == "executing"
    assert stopped.status_code == 200, stopped.text
    assert node_of(stopped.json(), "first")["usage"] == 0  # reused, not charged again
