"""API keys and organizations: no key no answer, and another organization's things stay unseen."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.serving import (
    ROUTES,
    Organization,
    Server,
    receive,
    updates_until_final,
)
from tests.support.workflows import pausing


def concrete(
    path: str, workflow_id: str = "w", execution_id: str = "e", name: str = "S", node_id: str = "n"
) -> str:
    return path.format(
        workflow_id=workflow_id, execution_id=execution_id, name=name, node_id=node_id
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer stk_unknown"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_every_route_refuses_a_missing_or_unknown_key(
    server: Server, headers: dict[str, str]
) -> None:
    for method, path in ROUTES:
        body = {"value": "x"} if method in ("PUT", "POST") else None
        response = httpx.request(
            method, server.base_url + concrete(path), headers=headers, json=body
        )
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("query", "with_header"),
    [
        ({"sessionId": "s"}, False),  # no key at all
        ({"sessionId": "s", "apiKey": "stk_unknown"}, False),
        ({}, True),  # no session
        ({"sessionId": ""}, True),
    ],
)
def test_a_websocket_without_a_valid_key_or_a_session_is_refused(
    server: Server, org_a: Organization, query: dict[str, str], with_header: bool
) -> None:
    headers = {"Authorization": f"Bearer {org_a.key}"} if with_header else {}
    with pytest.raises(InvalidStatus):
        connect(server.ws_url(**query), additional_headers=headers, open_timeout=5)


def test_a_browser_may_send_the_key_as_a_query_parameter(
    server: Server, org_a: Organization
) -> None:
    with connect(server.ws_url(sessionId="browser", apiKey=org_a.key), open_timeout=5) as socket:
        socket.send(json.dumps({"action": "subscribe", "executionId": "none"}))
        assert receive(socket)["error"]["code"] == "NOT_FOUND"


def view(organization: Organization, workflow_id: str, execution_ids: list[str]) -> list[Any]:
    """Everything the organization can read about its workflow, executions and secrets."""
    http = organization.http
    return [
        http.get(f"/workflows/{workflow_id}").json(),
        http.get("/workflows").json(),
        http.get(f"/workflows/{workflow_id}/executions").json(),
        [http.get(f"/executions/{e}").json() for e in execution_ids],
        http.get("/secrets").json(),
    ]


def test_another_organizations_resources_answer_404_on_every_route_and_stay_unchanged(
    server: Server, org_a: Organization, org_b: Organization
) -> None:
    org_a.deploy(pausing("private", seconds=1000))
    running = org_a.start("private")
    org_a.wait_for(running, frozenset({"executing"}))
    org_a.http.put("/secrets/PRIVATE", json={"value": "a-value"})
    ids = {"workflow_id": "private", "execution_id": running, "name": "PRIVATE"}
    before = view(org_a, "private", [running])

    def absent(response: httpx.Response) -> None:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"

    def empty_listing(key: str) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            assert response.status_code == 200
            assert response.json()[key] == []

        return check

    def same_for_everyone(response: httpx.Response) -> None:
        assert response.json() == org_a.http.get("/node-types").json()

    def own_copy(response: httpx.Response) -> None:
        # A write creates the caller's own resource of that name, never touching A's.
        assert response.status_code in (200, 201), response.text

    requests: dict[tuple[str, str], tuple[Any, Callable[[httpx.Response], None]]] = {
        ("GET", "/workflows/{workflow_id}"): (None, absent),
        ("DELETE", "/workflows/{workflow_id}"): (None, absent),
        ("GET", "/workflows"): (None, empty_listing("items")),
        ("POST", "/workflows/{workflow_id}/executions"): ({}, absent),
        ("GET", "/workflows/{workflow_id}/executions"): (None, absent),
        ("GET", "/executions/{execution_id}"): (None, absent),
        ("GET", "/executions/{execution_id}/nodes"): (None, absent),
        ("POST", "/executions/{execution_id}/cancel"): (None, absent),
        ("POST", "/executions/{execution_id}/retry"): (None, absent),
        ("POST", "/executions/{execution_id}/nodes/{node_id}/event"): ({"b": 1}, absent),
        ("POST", "/executions/{execution_id}/nodes/{node_id}/reject"): ({}, absent),
        ("DELETE", "/secrets/{name}"): (None, absent),
        ("GET", "/secrets"): (None, empty_listing("secrets")),
        ("GET", "/node-types"): (None, same_for_everyone),
        # An upload is B's own blob (tests/api/test_blobs_api.py: A's run cannot read it).
        ("POST", "/blobs"): ({"file": "b"}, own_copy),
        # Writes last: they create B's own workflow and secret of the same names.
        ("PUT", "/secrets/{name}"): ({"value": "b-value"}, own_copy),
        ("PUT", "/workflows/{workflow_id}"): (pausing("private", seconds=1), own_copy),
    }
    assert set(requests) == set(ROUTES)
    for (method, path), (body, check) in requests.items():
        check(org_b.http.request(method, concrete(path, **ids), json=body))

    assert view(org_a, "private", [running]) == before
    assert org_a.record(running)["status"] == "executing"
    sealed = server.engine.secrets.sealed(org_a.id)["PRIVATE"]
    assert server.engine.secrets.open(org_a.id, sealed) == "a-value"
    assert org_a.http.get("/workflows/private").json()["version"] == 1
    assert org_b.http.get("/workflows/private").json()["version"] == 1
    assert org_a.http.post(f"/executions/{running}/cancel").status_code == 200


def test_subscribing_to_another_organizations_execution_gets_an_error_and_no_updates(
    server: Server, org_a: Organization, org_b: Organization
) -> None:
    org_a.deploy(pausing("watched", seconds=1000))
    running = org_a.start("watched")
    org_a.wait_for(running, frozenset({"executing"}))
    with server.session(org_b, "snooper") as socket:
        socket.send(json.dumps({"action": "subscribe", "executionId": running}))
        assert receive(socket) == {
            "type": "error",
            "error": {"code": "NOT_FOUND", "message": f"Execution '{running}' not found"},
        }
        assert org_a.http.post(f"/executions/{running}/cancel").status_code == 200
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.5)


def test_subscribing_to_an_own_running_execution_gets_its_record_then_its_updates(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(pausing("followed", seconds=100))  # a second at the tests' time scale
    running = org_a.start("followed")
    org_a.wait_for(running, frozenset({"executing"}))
    with server.session(org_a, "follower") as socket:
        socket.send(json.dumps({"action": "subscribe", "executionId": running}))
        messages = updates_until_final(socket, running)
    assert messages[0]["status"] == "executing"
    assert len(messages) >= 2
    assert messages[-1]["status"] == "completed"
    assert messages[-1]["nodeExecutions"] == org_a.record(running)["nodeExecutions"]


@pytest.mark.parametrize(
    "message",
    ["not json", "[]", '{"action": "subscribe"}', '{"action": "dance", "executionId": "x"}'],
)
def test_a_malformed_websocket_message_gets_an_error_reply(
    server: Server, org_a: Organization, message: str
) -> None:
    with server.session(org_a, "confused") as socket:
        socket.send(message)
        reply = receive(socket)
        assert reply["type"] == "error"
        assert reply["error"]["code"] in {"INVALID_MESSAGE", "UNKNOWN_ACTION"}
        socket.send(json.dumps({"action": "subscribe", "executionId": "still-alive"}))
        assert receive(socket)["error"]["code"] == "NOT_FOUND"
