"""The ASGI application serve runs: its routes, API Gateway's limits on HTTP bodies and
responses, and each WebSocket client's session with the WebSocket handler."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from lambdas.runtime.forms import FORM_BURST_LIMIT, FORM_RATE_LIMIT, FORMS_PATH
from lambdas.runtime.origins import ALLOWED_HEADERS, ALLOWED_METHODS, PREFLIGHT_MAX_AGE
from local.server_gateway import Gateway, http_event, path, websocket_event
from local.throttle import TokenBucket
from statemachine import quotas

# A Lambda accepts at most 6 MB of request; API Gateway would refuse more before it.
MAX_BODY_BYTES = quotas.LAMBDA_PAYLOAD_BYTES
# ...and answers at most 6 MB: a larger response fails the invocation, and API Gateway
# answers 500 for it.
MAX_RESPONSE_BYTES = quotas.LAMBDA_PAYLOAD_BYTES
LOGGER = logging.getLogger("stepthunk.serve")
HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
# What API Gateway's WebSocket APIs answer a binary frame (they take text only).
UNSUPPORTED_DATA = 1003
BINARY_REFUSED = "Binary frames are not supported: send JSON messages as text"


class AnyPath(Convertor[str]):
    """Every path, also one with an encoded line break (Starlette's `path` stops at one):
    the HTTP API answers what it does not route, as API Gateway hands it every path."""

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any", AnyPath())


def create_app(
    gateway: Gateway,
    *,
    cors_origins: Sequence[str] = (),
    form_limits: tuple[float, int] = (FORM_RATE_LIMIT, FORM_BURST_LIMIT),
) -> Starlette:
    """The ASGI application: WebSocket at `/`, `GET /emails` (the mail nodes sent, here
    only), every other HTTP path to the HTTP API handler. Pages of `cors_origins` may call it
    from a browser, as the deployed HTTP API's CORS settings allow. The form routes, which
    take no API key, are throttled as the deployed stage's route settings throttle them:
    `form_limits` requests a second, steady and at once, each route (429 past them)."""
    rate, burst = form_limits
    throttles = {method: TokenBucket(rate, burst) for method in ("GET", "POST")}

    async def http_endpoint(request: Request) -> Response:
        throttle = throttles.get(request.method) if _is_form(request) else None
        wait = 0 if throttle is None else throttle.take()
        if wait:
            return _json_error(
                429,
                "TOO_MANY_REQUESTS",
                "Too many requests to forms: try again shortly",
                {"Retry-After": str(wait)},
            )
        body = await _body(request)
        if body is None:
            return _json_error(
                413, "PAYLOAD_TOO_LARGE", f"Bodies are limited to {MAX_BODY_BYTES} bytes"
            )
        result = await run_in_threadpool(gateway.http, http_event(request, body))
        size = _response_size(result)
        if size > MAX_RESPONSE_BYTES:
            message = (
                f"The HTTP API function answered {size:,} bytes: a Lambda response takes at "
                f"most {MAX_RESPONSE_BYTES:,} (its invocation payload quota), so API Gateway "
                "would answer 500"
            )
            LOGGER.error(message)
            return _json_error(500, "RESPONSE_TOO_LARGE", message)
        return _response(result)

    async def emails_endpoint(request: Request) -> Response:
        status, body = await run_in_threadpool(
            gateway.emails, request.headers.get("authorization", "")
        )
        return Response(json.dumps(body), status_code=status, media_type="application/json")

    async def websocket_endpoint(socket: WebSocket) -> None:
        await _serve_socket(gateway, socket)

    async def no_websocket(socket: WebSocket) -> None:
        message = f"No WebSocket at {path(socket)}: connect to /"
        await _deny(socket, HTTPStatus.NOT_FOUND, error_body("NOT_FOUND", message))

    return Starlette(
        routes=[
            WebSocketRoute("/", websocket_endpoint),
            WebSocketRoute("/{path:any}", no_websocket),
            Route("/emails", emails_endpoint, methods=["GET"]),
            Route("/{path:any}", http_endpoint, methods=HTTP_METHODS),
        ],
        middleware=_cors(cors_origins),
    )


def _cors(origins: Sequence[str]) -> list[Middleware]:
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE,
        )
    ]


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than a Lambda accepts."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _response_size(result: dict[str, Any]) -> int:
    """Bytes of a handler's result as its Lambda returns it (JSON): measured only when its
    body could come near the quota (escaping can make a character six bytes)."""
    body = result.get("body") or ""
    if len(body) * 6 < MAX_RESPONSE_BYTES // 2:
        return len(body)
    return len(json.dumps(result).encode("utf-8", "surrogatepass"))


def _response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    return Response(content, status_code=int(result.get("statusCode", 200)), headers=headers)


def _is_form(request: Request) -> bool:
    """Whether `request` is to a form's route, /forms (its token in the query string)."""
    return path(request) == f"/{FORMS_PATH}"


def _json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(code, message),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


async def _serve_socket(gateway: Gateway, socket: WebSocket) -> None:
    """One client: $connect (refused unless the handler says 200), messages, $disconnect."""
    connection_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
    answer = await run_in_threadpool(
        gateway.websocket, websocket_event(socket, connection_id, "$connect")
    )
    if answer.get("statusCode") != 200:
        await _deny(socket, int(answer.get("statusCode", 400)), str(answer.get("body") or ""))
        return
    await socket.accept()
    loop = asyncio.get_running_loop()
    cloud = gateway.cloud
    # One queue and one sender: the posts reach the client in the order they were made (the
    # pages of an update), as API Gateway delivers one connection's posts.
    outbox: asyncio.Queue[str] = asyncio.Queue()

    def deliver(data: bytes) -> None:
        loop.call_soon_threadsafe(outbox.put_nowait, data.decode("utf-8"))

    async def forward() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the client has gone
            while True:
                await socket.send_text(await outbox.get())

    sender = asyncio.create_task(forward())
    cloud.listen(connection_id, deliver)
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                await socket.close(UNSUPPORTED_DATA, BINARY_REFUSED)
                break
            event = websocket_event(socket, connection_id, "$default", text)
            await run_in_threadpool(gateway.websocket, event)
    finally:
        cloud.listen(connection_id, None)
        sender.cancel()
        event = websocket_event(socket, connection_id, "$disconnect")
        await run_in_threadpool(gateway.websocket, event)


async def _deny(socket: WebSocket, status: int, body: str) -> None:
    """Refuse an upgrade with an HTTP answer: `status` and `body` (JSON)."""
    await socket.send_denial_response(
        Response(body, status_code=status, media_type="application/json")
    )
