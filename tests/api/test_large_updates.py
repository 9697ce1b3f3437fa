"""Live updates larger than one WebSocket message arrive whole, in pages, in order.

API Gateway takes at most 128 KB a message: an update past it comes as several
`execution_update` messages with the same envelope, the next node executions in the record's
order and `"page": {"index", "count"}`. A client that keeps the latest entry of each node and
stops at the last page of the final update has the whole record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from lambdas.runtime.payload import REFERENCE
from tests.api.test_large_records import completed, store
from tests.support.serving import PATIENCE, Organization, Server, ends
from tests.support.workflows import bulky, bulky_texts

MESSAGE_LIMIT = 128 * 1000  # API Gateway WebSocket message, bytes


def receive_sized(socket: ClientConnection) -> tuple[dict[str, Any], int]:
    """The next message and its size in bytes."""
    text = socket.recv(timeout=PATIENCE)
    data = text.encode() if isinstance(text, str) else text
    message: dict[str, Any] = json.loads(data)
    return message, len(data)


def until_the_end(socket: ClientConnection) -> list[dict[str, Any]]:
    """Every message up to the last page of an update with a final status, none over the
    message limit."""
    received = []
    while True:
        message, size = receive_sized(socket)
        assert size <= MESSAGE_LIMIT, f"a message of {size} bytes"
        assert message["type"] == "execution_update", message
        received.append(message)
        if ends(message):
            return received


def pages_of_the_end(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pages of the last update in `messages`, checked to be one update, in order."""
    count = messages[-1]["page"]["count"]
    pages = messages[-count:]
    assert [p["page"] for p in pages] == [{"index": i, "count": count} for i in range(1, count + 1)]
    envelopes = {
        json.dumps({k: v for k, v in p.items() if k not in ("page", "nodeExecutions")})
        for p in pages
    }
    assert len(envelopes) == 1, envelopes
    return pages


def latest_of_each_node(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a client that keeps the latest entry of each node knows after `messages`."""
    latest: dict[str, dict[str, Any]] = {}
    for message in messages:
        latest |= {e["nodeId"]: e for e in message["nodeExecutions"]}
    return list(latest.values())


def test_a_final_update_of_600_kb_arrives_whole_in_pages(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(bulky("bulky"))
    with server.session(org_a, "session-bulky") as socket:
        execution_id = org_a.start("bulky", sessionId="session-bulky", inputs=bulky_texts())
        messages = until_the_end(socket)

    record = org_a.record(execution_id)
    assert record["status"] == "completed"
    final = pages_of_the_end(messages)
    assert len(final) > 1
    assert {p["status"] for p in final} == {"completed"}
    assert {p["executionId"] for p in final} == {execution_id}
    assert [e for p in final for e in p["nodeExecutions"]] == record["nodeExecutions"]
    assert latest_of_each_node(messages) == record["nodeExecutions"]
    # a unit's update is paged as well: every node it announces arrives whole
    announced = [e for m in messages[: -len(final)] for e in m["nodeExecutions"]]
    by_node = sorted(record["nodeExecutions"], key=lambda e: str(e["nodeId"]))
    assert (
        sorted((e for e in announced if e["status"] == "completed"), key=lambda e: str(e["nodeId"]))
        == by_node
    )


def test_the_final_update_of_a_cancel_arrives_whole_in_pages(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(bulky("bulky-wait", wait=True))
    with server.session(org_a, "session-cancel") as socket:
        execution_id = org_a.start("bulky-wait", sessionId="session-cancel", inputs=bulky_texts())
        while True:  # until the wait is announced: the texts have run
            message, _ = receive_sized(socket)
            statuses = {e["nodeId"]: e["status"] for e in message["nodeExecutions"]}
            if statuses.get("pause") == "executing":
                break
        cancel = org_a.http.post(f"/executions/{execution_id}/cancel")
        assert cancel.status_code == 200, cancel.text
        messages = until_the_end(socket)

    final = pages_of_the_end(messages)
    assert len(final) > 1
    assert {p["status"] for p in final} == {"cancelled"}
    cancelled = cancel.json()["nodeExecutions"]
    assert [e for p in final for e in p["nodeExecutions"]] == cancelled
    statuses = {e["nodeId"]: e["status"] for e in cancelled}
    assert statuses == {e["nodeId"]: "completed" for e in cancelled} | {"pause": "idle"}


@pytest.fixture(scope="module")
def stored(server: Server) -> tuple[Organization, str, list[dict[str, Any]]]:
    """A completed record of 3,000 nodes (about 2 MB) in the store; every 500th output
    (10 KB) is stored by reference. Its owner, id, and node executions as stored."""
    owner = server.organization()
    nodes = [completed(i, f"{i}:" + "x" * (10_000 if i % 500 == 0 else 600)) for i in range(3000)]
    kept = store(server, owner, nodes)
    record = server.engine.executions.get(kept.id)
    assert record is not None
    return owner, kept.id, [e.to_json() for e in record.node_executions]


def test_the_reply_to_a_subscribe_holds_the_whole_record_in_pages(
    server: Server, stored: tuple[Organization, str, list[dict[str, Any]]]
) -> None:
    owner, execution_id, nodes = stored
    with server.session(owner, "session-subscribe") as socket:
        socket.send(json.dumps({"action": "subscribe", "executionId": execution_id}))
        messages = until_the_end(socket)

    assert messages == pages_of_the_end(messages)
    assert len(messages) > 10
    assert {m["status"] for m in messages} == {"completed"}
    assert [e for m in messages for e in m["nodeExecutions"]] == nodes
    # a value over 8 KiB is a reference in the reply; the API answers it in place
    first = messages[0]["nodeExecutions"][0]
    assert list(first["outputs"]["value"]) == [REFERENCE]
    page = owner.http.get(f"/executions/{execution_id}/nodes", params={"limit": 1}).json()
    assert page["items"][0]["outputs"] == {"value": "0:" + "x" * 10_000}
