"""API Gateway's part of serve: a request as an API Gateway event, handed to its handler.

An HTTP request becomes an HTTP API (payload 2.0) event for the HTTP API handler, a WebSocket
connect, message and disconnect an event for the WebSocket handler, as on AWS.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from lambdas.handlers import http_api, websocket
from lambdas.handlers.entry import Invocation
from local.embedded import EmbeddedEngine

STAGE = "$default"


class Gateway:
    """Turns requests into API Gateway events for the handlers, with their dependencies."""

    def __init__(self, engine: EmbeddedEngine) -> None:
        self.engine = engine
        self.cloud = engine.cloud  # where posts to the WebSocket connections are delivered
        settings = engine.deployment.settings
        self.http_deps = engine.ports  # deploys and starts as `stepthunk run` does
        self.websocket_deps = websocket.deps_from(
            websocket.Settings.model_validate(settings), engine.clients
        )
        # One event at a time, as one Lambda instance takes them: the Powertools resolver
        # keeps the current event on itself, and moto's tables break when an index query
        # iterates them while another thread adds a connection.
        self._http_lock = threading.Lock()
        self._websocket_lock = threading.Lock()

    def http(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.cloud.requests.answering(), self._http_lock:
            return http_api.process(event, self.http_deps, Invocation())

    def websocket(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.cloud.requests.answering(), self._websocket_lock:
            return websocket.process(event, self.websocket_deps, Invocation())

    def emails(self, authorization: str) -> tuple[int, dict[str, Any]]:
        """GET /emails (serve only: on AWS, SES sends them): the messages the caller's
        organization's executions sent, oldest first."""
        scheme, _, key = authorization.partition(" ")
        organization = (
            self.http_deps.api_keys.organization_of(key.strip())
            if scheme.lower() == "bearer" and key.strip()
            else None
        )
        if organization is None:
            message = "Send your API key as 'Authorization: Bearer <key>'"
            return 401, {"error": {"code": "UNAUTHORIZED", "message": message}}
        owners: dict[str, str | None] = {}
        shown = []
        for email in self.engine.sent_emails():
            execution = email.execution_id
            if execution is not None and execution not in owners:
                handle = self.engine.executions.handle(execution)
                owners[execution] = None if handle is None else handle.organization_id
            if execution is not None and owners[execution] == organization:
                shown.append(email.to_json())
        return 200, {"emails": shown}


def path(request: Request | WebSocket) -> str:
    """The decoded path as the client sent it (`request.url.path` drops line breaks)."""
    path: str = request.scope["path"]
    return path


def http_event(request: Request, body: bytes) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event for `request`."""
    now = time.time()
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    headers = {name.lower(): value for name, value in request.headers.items()}
    query = dict(request.query_params)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path(request),
        "rawQueryString": request.url.query,
        "headers": headers,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.url.hostname or "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": path(request),
                "protocol": "HTTP/1.1",
                "sourceIp": request.client.host if request.client else "127.0.0.1",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": STAGE,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def websocket_event(
    socket: WebSocket, connection_id: str, route: str, body: str | None = None
) -> dict[str, Any]:
    """An API Gateway WebSocket event for `route` ($connect, $disconnect or $default)."""
    now = time.time()
    kinds = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": kinds.get(route, "MESSAGE"),
        "messageDirection": "IN",
        "extendedRequestId": str(uuid.uuid4()),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "stage": "local",
        "connectedAt": int(now * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": socket.client.host if socket.client else "127.0.0.1"},
        "requestId": str(uuid.uuid4()),
        "domainName": socket.url.hostname or "127.0.0.1",
        "connectionId": connection_id,
        "apiId": "local",
    }
    if route == "$disconnect":
        context |= {"disconnectStatusCode": 1000, "disconnectReason": "Client closed"}
    if kinds.get(route) is None:
        context["messageId"] = str(uuid.uuid4())
    headers = {name.lower(): value for name, value in socket.headers.items()}
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if route == "$connect":
        event |= {
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": dict(socket.query_params) or None,
        }
    elif route == "$disconnect":
        event |= {"headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()}}
    else:
        event["body"] = body
    return event
