"""Live updates through serve (SPEC §8): after a unit, the nodes it changed; at the end, the
whole record; a client that subscribes late first gets the current record, then the updates."""

from __future__ import annotations

import json
from typing import Any

from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.serving import (
    Organization,
    Server,
    quick_and_slow,
    receive,
    returns_held,
    statuses,
    updates_until_final,
)
from tests.support.workflows import edge, node, workflow

ENVELOPE = {"type", "executionId", "workflowId", "status", "nodeExecutions", "page"}


def merged(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a client knows from `messages`: the latest entry of each node."""
    nodes: dict[str, dict[str, Any]] = {}
    for message in messages:
        nodes |= {e["nodeId"]: e for e in message["nodeExecutions"]}
    return nodes


def test_an_update_after_a_unit_holds_the_nodes_it_changed_and_the_last_the_record(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(
        workflow(
            node("a", "text-input", value="hello"),
            node("w", "wait", seconds=1),
            node("o", "output-text"),
            edges=[edge("a.value", "w.value"), edge("w.value", "o.value")],
            workflow_id="three-units",
        )
    )
    with server.session(org_a, "session-deltas") as socket:
        execution_id = org_a.start("three-units", sessionId="session-deltas")
        updates = updates_until_final(socket, execution_id)

    record = org_a.record(execution_id)
    assert {frozenset(u) for u in updates} == {frozenset(ENVELOPE)}
    assert statuses(updates[0]) == {"a": "idle", "w": "idle", "o": "idle"}  # the start
    between = updates[1:-1]
    assert {u["status"] for u in between} == {"executing"}
    # the task before the Wait state announces its node and the wait executing; the one
    # after it, the wait completed and its own node
    assert [statuses(u) for u in between] == [
        {"a": "completed", "w": "executing"},
        {"w": "completed", "o": "completed"},
    ]
    assert updates[-1]["status"] == record["status"]
    assert updates[-1]["nodeExecutions"] == record["nodeExecutions"]


def test_a_late_subscriber_gets_the_current_record_once_then_the_updates(
    server: Server, org_a: Organization, http_server: LocalServer
) -> None:
    try:
        with returns_held(server, "quick") as released:
            org_a.deploy(quick_and_slow(http_server))
            with server.session(org_a, "session-early") as early:
                execution_id = org_a.start("quick-and-slow", sessionId="session-early")
                while statuses(receive(early)).get("quick") != "completed":
                    pass
                with server.session(org_a, "session-late") as late:
                    late.send(json.dumps({"action": "subscribe", "executionId": execution_id}))
                    reply = receive(late)
                    released.set()
                    http_server.released.set()
                    updates = updates_until_final(late, execution_id)
    finally:
        http_server.released.set()

    assert reply["type"] == "execution_update"
    assert reply["status"] == "executing"
    assert reply["page"] == {"index": 1, "count": 1}
    # the node announced before the subscribe, though its task has not returned yet
    assert statuses(reply) == {"quick": "completed", "slow": "idle", "total": "idle"}
    record = org_a.record(execution_id)
    assert updates[-1]["nodeExecutions"] == record["nodeExecutions"]
    between = updates[:-1]
    assert all(len(u["nodeExecutions"]) < 3 for u in between)
    known = merged([reply, *between])
    assert {n: e["status"] for n, e in known.items()} == {
        "quick": "completed",
        "slow": "completed",
        "total": "completed",
    }
