"""`stepthunk serve`: the HTTP and WebSocket APIs on localhost, over the embedded engine.

The server plays API Gateway: each HTTP request becomes an HTTP API (payload 2.0) event for
the HTTP API handler, and each WebSocket connect, message and disconnect an event for the
WebSocket handler, exactly as on AWS. Live updates that the Lambdas post to a connection
(through moto's API Gateway management API) are written to that client's socket.

What API Gateway answers itself, serve answers too, with a JSON error a developer can read: a
refused `$connect` is an HTTP answer with the handler's status and body (not a bare 403), an
upgrade on another path than `/` answers 404, an upgrade request too large for the WebSocket
protocol 414 or 431, and a binary frame closes the connection with 1003, as API Gateway's
WebSocket APIs do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11
from rich.console import Console
from rich.text import Text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS

from lambdas.handlers import http_api, websocket
from lambdas.handlers.entry import Invocation
from lambdas.runtime.origins import ALLOWED_HEADERS, ALLOWED_METHODS, PREFLIGHT_MAX_AGE
from lambdas.runtime.output_limits import OutputLimits
from local.display import shown
from local.embedded import EmbeddedEngine
from local.snapshot import StateDir
from statemachine import quotas

if TYPE_CHECKING:
    import uvicorn

# A Lambda accepts at most 6 MB of request; API Gateway would refuse more before it.
MAX_BODY_BYTES = quotas.LAMBDA_PAYLOAD_BYTES
# ...and answers at most 6 MB: a larger response fails the invocation, and API Gateway
# answers 500 for it.
MAX_RESPONSE_BYTES = quotas.LAMBDA_PAYLOAD_BYTES
LOGGER = logging.getLogger("stepthunk.serve")
STAGE = "$default"
KEEP_ALIVE_SECONDS = 60
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

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


class ListenError(Exception):
    """serve cannot listen where it was told (the port is taken, the host is not this one's)."""


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
        with self._http_lock:
            return http_api.process(event, self.http_deps, Invocation())

    def websocket(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._websocket_lock:
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


def create_app(
    gateway: Gateway, *, lifespan: Lifespan | None = None, cors_origins: Sequence[str] = ()
) -> Starlette:
    """The ASGI application: WebSocket at `/`, `GET /emails` (the mail nodes sent, here
    only), every other HTTP path to the HTTP API handler. Pages of `cors_origins` may call it
    from a browser, as the deployed HTTP API's CORS settings allow."""

    async def http_endpoint(request: Request) -> Response:
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
        message = f"No WebSocket at {_path(socket)}: connect to /"
        await _deny(socket, HTTPStatus.NOT_FOUND, _error_body("NOT_FOUND", message))

    return Starlette(
        routes=[
            WebSocketRoute("/", websocket_endpoint),
            WebSocketRoute("/{path:any}", no_websocket),
            Route("/emails", emails_endpoint, methods=["GET"]),
            Route("/{path:any}", http_endpoint, methods=HTTP_METHODS),
        ],
        lifespan=lifespan,
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


def _path(request: Request | WebSocket) -> str:
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
        "rawPath": _path(request),
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
                "path": _path(request),
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


def _json_error(status: int, code: str, message: str) -> Response:
    return Response(_error_body(code, message), status_code=status, media_type="application/json")


def _error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


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


class GatewayHttp(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering an upgrade request the WebSocket protocol
    cannot read (a line over 8 KiB, more than 128 headers) instead of leaving it unanswered.

    API Gateway answers such requests too; without this, the WebSocket protocol's parser
    gave up on them silently and the client waited for an answer that never came.
    """

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        refusal = _unreadable_upgrade(event)
        if refusal is None:
            super().handle_websocket_upgrade(event)
            return
        status, code, message = refusal
        body = _error_body(code, message).encode("utf-8")
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("connection", "close"),
        ]
        response = h11.Response(status_code=status, headers=headers, reason=status.phrase)
        for part in (response, h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(part) or b"")
        self.transport.close()


class GatewayWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, knowing that an HTTP answer to the upgrade (a refused
    `$connect`) completes the handshake: uvicorn otherwise logs an error for each refusal
    ("ASGI callable returned without completing handshake") after answering it well."""

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True


def _unreadable_upgrade(event: h11.Request) -> tuple[HTTPStatus, str, str] | None:
    """Status, code and message for an upgrade request past the WebSocket parser's limits."""
    # The lengths of the lines as the request is handed to that parser, line breaks included.
    request_line = len(event.method) + len(event.target) + len(b"  HTTP/1.1\r\n")
    if request_line > MAX_LINE_LENGTH:
        return (
            HTTPStatus.REQUEST_URI_TOO_LONG,
            "URI_TOO_LONG",
            f"The request line is {request_line} bytes long; a WebSocket upgrade takes at most "
            f"{MAX_LINE_LENGTH} bytes",
        )
    if len(event.headers) > MAX_NUM_HEADERS:
        return (
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADERS_TOO_LARGE",
            f"The request has {len(event.headers)} headers; a WebSocket upgrade takes at most "
            f"{MAX_NUM_HEADERS}",
        )
    for name, value in event.headers:
        line = len(name) + len(value) + len(b": \r\n")
        if line > MAX_LINE_LENGTH:
            return (
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                "HEADERS_TOO_LARGE",
                f"Header '{name.decode('latin-1')}' is {line} bytes long; a WebSocket upgrade "
                f"takes header lines of at most {MAX_LINE_LENGTH} bytes",
            )
    return None


def serve(
    *,
    host: str,
    port: int,
    api_keys: list[tuple[str, str]],
    state_dir: Path | None,
    out: Console,
    limits: OutputLimits | None = None,
    cors_origins: Sequence[str] = (),
    allow_networks: Sequence[str] = (),
) -> None:
    """Run the server until interrupted, printing a banner with what a client needs.

    With `state_dir`, the engine's data is restored from it on start and saved to it every
    few seconds and on shutdown. `limits` caps the data of node outputs; pages of
    `cors_origins` may call the APIs from a browser; workflows' requests reach public
    addresses and `allow_networks` only.
    """
    listening = listen(host, port)  # before anything is printed: a taken port is a usage error
    try:
        state = (
            None
            if state_dir is None
            else StateDir(state_dir, limits=limits, allow_networks=allow_networks)
        )
        engine = (
            EmbeddedEngine(limits=limits, allow_networks=allow_networks)
            if state is None
            else state.open_engine()
        )
        gateway = Gateway(engine)
        keys = gateway.http_deps.api_keys
        for key, organization in api_keys:
            keys.add(key, organization)
        out.print(shown(f"stepthunk serve: http://{host}:{port}  (WebSocket ws://{host}:{port}/)"))
        if not api_keys:
            out.print(f"API key for organization 'dev': [bold]{keys.create('dev')}[/]")
        if state is None:
            out.print("Data lives in memory and is lost on exit (--state-dir DIR keeps it).")
        else:
            _print_state(out, state)
        lifespan = None if state is None else _saving(state)
        app = create_app(gateway, lifespan=lifespan, cors_origins=cors_origins)
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl+C again once shut down
            server(app, host=host, port=port).run(sockets=[listening])
    finally:
        listening.close()
    out.print("Stopped.")


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` for the server, or ListenError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Made as TCP by name: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on the
    # connections of a socket whose protocol says TCP, and with it on, a response written
    # in two parts (head, then body) waited for the client's delayed ACK: 40 ms a request.
    bound = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        bound.bind((host, port))
    except OSError as error:
        bound.close()
        if error.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} on {host} is already in use: stop what listens there or "
                "choose another --port"
            ) from None
        reason = error.strerror or str(error)
        raise ListenError(f"cannot listen on {host}:{port}: {reason}") from None
    return bound


def server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    """The uvicorn server `serve` runs `app` on.

    Idle keep-alive connections are kept a minute, not uvicorn's 5 s: under load a request
    can wait seconds for the gateway, and a client that reuses a connection the server is
    closing at that moment sees it reset (API Gateway itself keeps them for minutes).
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=GatewayHttp,
        ws=GatewayWebSocket,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    return uvicorn.Server(config)


def _saving(state: StateDir) -> Lifespan:
    """Save the state dir in the background while serving, and once more at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.start_autosave()
        try:
            yield
        finally:
            await run_in_threadpool(state.stop)

    return lifespan


def _print_state(out: Console, state: StateDir) -> None:
    restored = state.restored
    out.print(
        shown(
            f"Data is kept in {state.path} (it holds the local KMS key material: keep it private)."
        )
    )
    if restored.executions or restored.workflows:
        out.print(
            f"Restored {restored.workflows} workflows and {restored.executions} executions"
            f" ({restored.interrupted} interrupted by the last stop)."
        )
    for problem in restored.problems:
        out.print(Text.assemble(("Not deployed again", "yellow"), ": ", shown(problem)))
