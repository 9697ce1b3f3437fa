"""The WebSocket function writes the stage's access log itself: a line per connect,
message and disconnect, refused ones included (API Gateway writes WebSocket access logs only
with an account-wide role that one application's stack must not own)."""

from __future__ import annotations

import io
import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.serving import PATIENCE, Organization, Server, receive


def access_lines(logs: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    return [line for line in lines if line.get("message") == "WebSocket request"]


def test_each_connect_message_and_disconnect_is_logged_with_its_status(
    server: Server, org_a: Organization, info_logs: io.StringIO
) -> None:
    with server.session(org_a, "logged") as socket:
        socket.send(json.dumps({"action": "subscribe", "executionId": "none"}))
        assert receive(socket)["error"]["code"] == "NOT_FOUND"
    with pytest.raises(InvalidStatus):
        connect(server.ws_url(sessionId="logged"), open_timeout=10)

    give_up = time.monotonic() + PATIENCE  # the disconnect is handled after the client left
    while len(lines := access_lines(info_logs)) < 4 and time.monotonic() < give_up:
        time.sleep(0.02)
    seen = [(line["route"], line["status"]) for line in lines]
    assert sorted(seen, key=str) == sorted(
        [("$connect", 200), ("$default", 400), ("$disconnect", 200), ("$connect", 401)], key=str
    )
    connection = {line["connectionId"] for line in lines if line["status"] != 401}
    assert len(connection) == 1
    assert connection != {""}
