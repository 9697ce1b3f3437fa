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

Its parts: `local/server_gateway.py` makes the events and hands them to the handlers,
`local/server_app.py` is the ASGI application (routes, limits, WebSocket sessions); this module
listens, runs it on uvicorn (with protocols that answer what uvicorn's leave unanswered) and
keeps the state dir.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import socket
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11
from rich.console import Console
from rich.text import Text
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS

from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.output_limits import OutputLimits
from local.cloud import LocalCloud
from local.display import shown
from local.embedded import EmbeddedEngine
from local.interrupted import WORKER_ENDED, end_interrupted, with_calls
from local.server_app import create_app, error_body
from local.server_gateway import Gateway
from local.snapshot import StateDir
from local.workers import ExecutionWorkers, recorded_machines

if TYPE_CHECKING:
    import uvicorn

KEEP_ALIVE_SECONDS = 60


class ListenError(Exception):
    """serve cannot listen where it was told (the port is taken, the host is not this one's)."""


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
        body = error_body(code, message).encode("utf-8")
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
    model_apis: ModelApis = PUBLIC_MODEL_APIS,
    public_url: str | None = None,
    workers: int | None = None,
) -> None:
    """Run the server until interrupted, printing a banner with what a client needs.

    With `state_dir`, the engine's data is restored from it on start and saved to it every
    few seconds and on shutdown. `limits` caps the data of node outputs; pages of
    `cors_origins` may call the APIs from a browser; workflows' requests reach public
    addresses and `allow_networks` only; LLM nodes and `twilio-sms` call the APIs
    `model_apis` names. create-form nodes' links start with `public_url`, where clients
    reach the server (by default its own address, see `_address`). `workers`
    processes run the executions (default: `default_workers()`).
    """
    listening = listen(host, port)  # before anything is printed: a taken port is a usage error
    try:
        workers = default_workers() if workers is None else workers
        forms_url = public_url or _address(host, listening.getsockname()[1])
        state = (
            None
            if state_dir is None
            else StateDir(
                state_dir,
                limits=limits,
                allow_networks=allow_networks,
                model_apis=model_apis,
                forms_url=forms_url,
            )
        )
        with contextlib.ExitStack() as running:
            machines = (  # recorded before the engine deploys anything
                running.enter_context(recorded_machines(LocalCloud.shared())) if workers else None
            )
            engine = (
                EmbeddedEngine(
                    limits=limits,
                    allow_networks=allow_networks,
                    model_apis=model_apis,
                    forms_url=forms_url,
                )
                if state is None
                else state.open_engine()
            )
            if machines is not None:
                settings = engine.deployment.settings
                ended = functools.partial(_worker_ended, engine, out)
                running.enter_context(
                    ExecutionWorkers(engine.cloud, settings, workers, machines, on_end=ended)
                )
            gateway = Gateway(engine)
            keys = gateway.http_deps.api_keys
            for key, organization in api_keys:
                keys.add(key, organization)
            out.print(
                shown(f"stepthunk serve: http://{host}:{port}  (WebSocket ws://{host}:{port}/)")
            )
            if workers:
                out.print(
                    f"Executions run in {workers} worker processes (--workers 0: in this one)."
                )
            if not api_keys:
                out.print(f"API key for organization 'dev': [bold]{keys.create('dev')}[/]")
            if state is None:
                out.print("Data lives in memory and is lost on exit (--state-dir DIR keeps it).")
            else:
                _print_state(out, state)
            if state is not None:  # saved in the background, and once more when stopped
                state.start_autosave()
                running.callback(state.stop)
            app = create_app(gateway, cors_origins=cors_origins)
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl+C again once down
                server(app, host=host, port=port).run(sockets=[listening])
    finally:
        listening.close()
    out.print("Stopped.")


def _worker_ended(
    engine: EmbeddedEngine, out: Console, process: int, execution_ids: list[str], left: int
) -> None:
    """An execution worker ended while serve runs: its executions, and the workflows they
    called (which ran in it too), end in `error` as when serve stops; `left` workers run."""
    try:
        ended = end_interrupted(
            engine, with_calls(engine, execution_ids), WORKER_ENDED, announced=True
        )
    except Exception as error:  # noqa: BLE001 - said, and serve goes on
        ended = 0
        out.print(f"Could not end its executions: {type(error).__name__}: {error}")
    out.print(
        f"The execution worker (process {process}) ended: {ended} executions it ran end in error."
    )
    if not left:
        out.print("No execution worker is left: serve runs executions in its own process.")


def default_workers() -> int:
    """Execution workers serve starts unless told: two where there is more than one core
    (the executions then run beside the requests; two did more than one or three on two
    cores, BENCHMARKS.md), none on a single core."""
    return 2 if (os.cpu_count() or 1) > 1 else 0


# Hosts that mean "every interface": no client can reach a server at them.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def _address(host: str, port: int) -> str:
    """serve's base URL: where its forms are answered. Listening on every interface, this
    machine's name, which other machines can resolve where a network names its hosts (else
    `--public-url` says where clients reach it)."""
    if host in WILDCARD_HOSTS:
        host = socket.gethostname()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


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
        # uvicorn's access log prints each request's path with its query string, which holds
        # a form's token (a credential no log may keep): off at every level
        access_log=False,
        http=GatewayHttp,
        ws=GatewayWebSocket,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # No lifespan task: the app has nothing to start or stop, and a second Ctrl+C (which
        # skips the lifespan's shutdown) left that task to be cancelled with a traceback.
        lifespan="off",
    )
    return uvicorn.Server(config)


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
