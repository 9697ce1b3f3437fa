"""ApiGatewayLiveUpdates on moto: messages to a session's connections, gone clients forgotten.

moto's post_to_connection concatenates a connection's messages and never answers 410, so
its backend method is replaced by one that records each message and fails on demand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from moto.apigatewaymanagementapi.models import ApiGatewayManagementApiBackend
from moto.core.exceptions import JsonRESTError

from lambdas.adapters.connections import ApiGatewayLiveUpdates
from lambdas.runtime.errors import TransientError
from tests.component.conftest import Aws

MESSAGE = {"type": "execution_update", "executionId": "exec-1", "status": "executing"}


class Gone(JsonRESTError):
    code = 410

    def __init__(self) -> None:
        super().__init__("GoneException", "The connection is gone")


class Throttled(JsonRESTError):
    code = 429

    def __init__(self) -> None:
        super().__init__("LimitExceededException", "Too many requests")


class Clients:
    """The WebSocket clients as the backend sees them: what each received, who is gone."""

    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = {}
        self.failing: dict[str, Callable[[], JsonRESTError]] = {}
        self.gone_after: dict[str, int] = {}  # connections that leave after so many messages
        self.posts = 0

    def post(self, data: bytes, connection_id: str) -> None:
        """Stands in for the backend's method (a bound method: it receives no backend)."""
        self.posts += 1
        if connection_id in self.failing:
            raise self.failing[connection_id]()
        received = self.received.setdefault(connection_id, [])
        if len(received) >= self.gone_after.get(connection_id, len(received) + 1):
            raise Gone()
        received.append(json.loads(data))


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Clients:
    clients = Clients()
    monkeypatch.setattr(ApiGatewayManagementApiBackend, "post_to_connection", clients.post)
    return clients


@pytest.fixture
def updates(aws: Aws) -> ApiGatewayLiveUpdates:
    live = ApiGatewayLiveUpdates(aws.dynamodb, aws.tables["connections"], aws.management)
    live.add("session-1", "conn-a", "org-1")
    live.add("session-1", "conn-b", "org-1")
    live.add("session-2", "conn-c", "org-1")
    return live


def test_an_update_reaches_every_connection_of_the_session(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    assert updates.send("session-1", MESSAGE) == 2
    updates.send("session-1", {**MESSAGE, "status": "completed"})
    assert clients.received == {
        "conn-a": [MESSAGE, {**MESSAGE, "status": "completed"}],
        "conn-b": [MESSAGE, {**MESSAGE, "status": "completed"}],
    }


def test_a_session_without_connections_reaches_nobody(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    assert updates.send("session-9", MESSAGE) == 0
    assert clients.received == {}


def test_a_session_whose_connections_take_several_pages_reaches_them_all(
    updates: ApiGatewayLiveUpdates, clients: Clients, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = aws.dynamodb.query
    pages: list[int] = []

    def one_item_a_page(**request: Any) -> Any:
        page = query(**request, Limit=1)
        pages.append(len(page["Items"]))
        return page

    monkeypatch.setattr(aws.dynamodb, "query", one_item_a_page)
    assert updates.send("session-1", MESSAGE) == 2
    assert sorted(clients.received) == ["conn-a", "conn-b"]
    assert pages[:2] == [1, 1]


def test_a_gone_connection_is_deleted_and_not_counted(
    updates: ApiGatewayLiveUpdates, clients: Clients, aws: Aws
) -> None:
    clients.failing["conn-a"] = Gone
    assert updates.send("session-1", MESSAGE) == 1
    assert clients.received == {"conn-b": [MESSAGE]}
    remaining = {item["connectionId"]["S"] for item in aws.scan("connections")}
    assert remaining == {"conn-b", "conn-c"}


def test_a_throttled_connection_does_not_keep_the_update_from_the_others(
    updates: ApiGatewayLiveUpdates, clients: Clients, aws: Aws
) -> None:
    clients.failing["conn-a"] = Throttled
    with pytest.raises(TransientError):
        updates.send("session-1", MESSAGE)
    assert clients.received == {"conn-b": [MESSAGE]}
    assert len(aws.scan("connections")) == 3


def test_a_disconnected_connection_is_forgotten(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    assert updates.remove("conn-a") is True
    assert updates.remove("conn-a") is False
    assert updates.send("session-1", MESSAGE) == 1
    assert set(clients.received) == {"conn-b"}


def test_a_connection_records_its_organization(updates: ApiGatewayLiveUpdates, aws: Aws) -> None:
    items = {item["connectionId"]["S"]: item for item in aws.scan("connections")}
    assert items["conn-a"]["organizationId"] == {"S": "org-1"}
    assert items["conn-a"]["sessionId"] == {"S": "session-1"}
    assert "connectedAt" in items["conn-a"]


def test_a_connection_knows_its_session_and_organization(updates: ApiGatewayLiveUpdates) -> None:
    assert updates.organization_of("conn-c") == ("session-2", "org-1")
    assert updates.organization_of("conn-z") is None
    updates.remove("conn-c")
    assert updates.organization_of("conn-c") is None


def test_a_message_reaches_one_connection_alone(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    assert updates.post("conn-b", MESSAGE) is True
    assert clients.received == {"conn-b": [MESSAGE]}


def test_a_message_to_a_gone_connection_forgets_it(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    clients.failing["conn-a"] = Gone
    assert updates.post("conn-a", MESSAGE) is False
    assert updates.organization_of("conn-a") is None
    assert updates.send("session-1", MESSAGE) == 1


PAGES = [{**MESSAGE, "page": {"index": i, "count": 3}} for i in (1, 2, 3)]


def test_the_pages_of_an_update_reach_each_connection_in_order_one_post_each(
    updates: ApiGatewayLiveUpdates, clients: Clients
) -> None:
    assert updates.deliver("session-1", ["conn-a", "conn-b"], PAGES) == 2
    assert clients.received == {"conn-a": PAGES, "conn-b": PAGES}
    assert clients.posts == 6


def test_a_client_gone_during_an_update_gets_no_more_of_its_pages(
    updates: ApiGatewayLiveUpdates, clients: Clients, aws: Aws
) -> None:
    clients.gone_after["conn-a"] = 1
    assert updates.deliver("session-1", ["conn-a", "conn-b"], PAGES) == 1
    assert clients.received == {"conn-a": PAGES[:1], "conn-b": PAGES}
    assert clients.posts == 2 + 3  # the post that found it gone, and none after
    remaining = {item["connectionId"]["S"] for item in aws.scan("connections")}
    assert remaining == {"conn-b", "conn-c"}


def test_a_connection_whose_post_fails_gets_no_later_page_and_the_others_get_all(
    updates: ApiGatewayLiveUpdates, clients: Clients, aws: Aws
) -> None:
    clients.failing["conn-a"] = Throttled
    with pytest.raises(TransientError):
        updates.deliver("session-1", ["conn-a", "conn-b"], PAGES)
    assert clients.received == {"conn-b": PAGES}
    assert clients.posts == 1 + 3
    assert len(aws.scan("connections")) == 3
