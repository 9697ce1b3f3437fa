"""The WebSocket API's edges: binary frames, refused connections, upgrade requests too large.

Each answer is one a developer can read: a close code with a reason, or an HTTP answer to the
upgrade with a JSON error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.serving import PATIENCE, Organization, Server, receive

# How long a refused upgrade may take to be answered (a dropped one never is).
ANSWER = 10.0


def refusal(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body with which the server refuses the upgrade."""
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=ANSWER)
    response = refused.value.response
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.body or b"")


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_binary_frame_closes_the_connection_with_1003_and_a_reason(
    server: Server, org_a: Organization, caplog: pytest.LogCaptureFixture
) -> None:
    with server.session(org_a, "binary") as socket:
        socket.send(b"\x00\x01 not text")
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=PATIENCE)
    assert closed.value.rcvd is not None, "the server dropped the connection without a close"
    assert closed.value.rcvd.code == 1003
    assert "Binary frames are not supported" in closed.value.rcvd.reason
    with server.session(org_a, "binary") as socket:  # the session still works
        socket.send(json.dumps({"action": "subscribe", "executionId": "none"}))
        assert receive(socket)["error"]["code"] == "NOT_FOUND"
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("path", "query", "with_key", "status", "code", "says"),
    [
        ("/", {"sessionId": "s"}, False, 401, "UNAUTHORIZED", "API key is required"),
        ("/", {"sessionId": "s", "apiKey": "stk_unknown"}, False, 401, "UNAUTHORIZED", "API key"),
        ("/", {}, True, 400, "INVALID_REQUEST", "sessionId query parameter"),
        ("/", {"sessionId": "x" * 129}, True, 400, "INVALID_REQUEST", "(1-128 characters)"),
        ("/socket", {"sessionId": "s"}, True, 404, "NOT_FOUND", "connect to /"),
    ],
    ids=["no-key", "unknown-key", "no-session", "session-too-long", "wrong-path"],
)
def test_a_refused_connection_is_answered_with_a_status_and_a_json_reason(
    server: Server,
    org_a: Organization,
    caplog: pytest.LogCaptureFixture,
    path: str,
    query: dict[str, str],
    with_key: bool,
    status: int,
    code: str,
    says: str,
) -> None:
    url = f"ws://127.0.0.1:{server.port}{path}?{httpx.QueryParams(query)}"
    headers = {"Authorization": f"Bearer {org_a.key}"} if with_key else {}
    answered, body = refusal(url, headers)
    assert answered == status
    assert body["error"]["code"] == code
    assert says in body["error"]["message"]
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("query", "extra", "status", "code", "says"),
    [
        ({"sessionId": "s" * 10_000}, {}, 414, "URI_TOO_LONG", "at most 8192 bytes"),
        ({"sessionId": "s"}, {"X-Large": "v" * 10_000}, 431, "HEADERS_TOO_LARGE", "'x-large'"),
        (
            {"sessionId": "s"},
            {f"X-Header-{n}": "v" for n in range(130)},
            431,
            "HEADERS_TOO_LARGE",
            "at most 128",
        ),
    ],
    ids=["long-url", "long-header", "many-headers"],
)
def test_an_upgrade_request_too_large_is_answered_with_414_or_431(
    server: Server,
    org_a: Organization,
    query: dict[str, str],
    extra: dict[str, str],
    status: int,
    code: str,
    says: str,
) -> None:
    headers = {"Authorization": f"Bearer {org_a.key}", **extra}
    answered, body = refusal(server.ws_url(**query), headers)
    assert answered == status
    assert body["error"]["code"] == code
    assert says in body["error"]["message"]
