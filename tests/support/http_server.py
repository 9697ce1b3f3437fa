"""A local HTTP server for the fetch tests: a few routes, and a log of the requests it received.

Routes (any method):
- `/json`: 200, a JSON echo of the request `{method, target, path, query, headers, body}`
  (`target` as the request line had it, percent-encoding included).
- `/echo`: 200, the request's `X-Echo` header sent back twice, as two `X-Echo` headers and in
  a binary body.
- `/headers`: 200, each query parameter sent back as a response header of that name and value.
- `/text`: 200, `text/plain; charset=utf-8` "hello, world", with the header `X-Multi` twice.
- `/bytes`: 200, `application/octet-stream`, the bytes of BINARY; `/bytes?size=N`, N bytes.
- `/status/<code>`: that status, with a short text body.
- `/redirect?to=<path or URL>[&code=<3xx>]`: that status (302 by default) to `to`, setting a
  cookie `echo` to the request's `X-Echo` header when it has one.
- `/slow`: answers only when the test ends (or after 5 s), so that clients time out.

A test may give the server answers of its own (`LocalServer.answers`, asked first, in order:
a token endpoint, a counter, a meeting point), so that every test that needs a server on this
machine uses this one. Test modules register the `http_server` fixture by importing
`http_server_fixture`, and `other_server` (a second server: another origin) by importing
`other_server_fixture`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

BINARY = bytes(range(256))


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """An answer: `reason` replaces the status's phrase; `bare` leaves out the Date and Server
    headers (identical answers)."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None
    bare: bool = False


# An answer of a test's own: a Reply, or None to leave the request to the next answer.
Answer = Callable[[RecordedRequest], Reply | None]

# Where the local fake servers listen: a test that sends a workflow's requests to them allows
# it explicitly, as an engine allows no address of this machine by default.
LOCAL_FAKES = ("127.0.0.1",)


@dataclass
class LocalServer:
    """The running server as tests see it: its base URL and what it received."""

    port: int
    requests: list[RecordedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    answers: list[Answer] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def last(self) -> RecordedRequest:
        assert self.requests, "the server received no request"
        return self.requests[-1]


def unused_port() -> int:
    """A port nothing listens on (bound once by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def _handle(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        recorded = RecordedRequest(
            method=self.command,
            target=self.path,
            path=parsed.path,
            query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        self.server.state.requests.append(recorded)
        for answer in self.server.state.answers:
            reply = answer(recorded)
            if reply is not None:
                self._reply(
                    reply.status,
                    reply.body,
                    reply.content_type,
                    reply.headers,
                    reply.bare,
                    reply.reason,
                )
                return
        self._route(recorded)

    def _route(self, request: RecordedRequest) -> None:
        if request.path == "/json":
            echo = {
                "method": request.method,
                "target": request.target,
                "path": request.path,
                "query": request.query,
                "headers": request.headers,
                "body": request.body.decode("utf-8", errors="replace"),
            }
            self._reply(200, json.dumps(echo).encode(), "application/json")
        elif request.path == "/text":
            multi = (("X-Multi", "a"), ("X-Multi", "b"))
            self._reply(200, b"hello, world", "text/plain; charset=utf-8", multi)
        elif request.path == "/headers":
            named = tuple(
                (name, value) for name, values in request.query.items() for value in values
            )
            self._reply(200, b"", "text/plain", named)
        elif request.path == "/echo":
            echoed = request.headers.get("x-echo", "")
            twice = (("X-Echo", echoed), ("X-Echo", echoed))
            body = b"\x00" + echoed.encode() + b"\xff" + echoed.encode()
            self._reply(200, body, "application/octet-stream", twice)
        elif request.path == "/bytes":
            size = int(request.query["size"][0]) if "size" in request.query else len(BINARY)
            body = BINARY * (size // len(BINARY)) + BINARY[: size % len(BINARY)]
            self._reply(200, body, "application/octet-stream")
        elif request.path.startswith("/status/"):
            status = int(request.path.removeprefix("/status/"))
            self._reply(status, f"status {status}".encode(), "text/plain")
        elif request.path == "/redirect":
            status = int(request.query.get("code", ["302"])[0])
            extra = [("Location", request.query["to"][0])]
            if "x-echo" in request.headers:
                extra.append(("Set-Cookie", f"echo={request.headers['x-echo']}; Path=/"))
            self._reply(status, b"", "text/plain", tuple(extra))
        elif request.path == "/slow":
            self.server.state.released.wait(5)
            self._reply(200, b"finally", "text/plain")
        else:
            self._reply(404, b"no such route", "text/plain")

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: tuple[tuple[str, str], ...] = (),
        bare: bool = False,
        reason: str | None = None,
    ) -> None:
        try:
            if bare:
                self.send_response_only(status, reason)
            else:
                self.send_response(status, reason)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing left to tell it

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still waiting on /slow never blocks shutdown

    def __init__(self, state: LocalServer) -> None:
        self.state = state
        super().__init__(("127.0.0.1", state.port), _Handler)


@contextlib.contextmanager
def serving(*answers: Answer, port: int = 0) -> Iterator[LocalServer]:
    """A fresh server on 127.0.0.1 (on `port`, else a free one) with an empty request log and
    the test's own `answers`, until the block ends."""
    state = LocalServer(port=port, answers=list(answers))
    server = _Server(state)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(name="http_server")
def http_server_fixture() -> Iterator[LocalServer]:
    """A server of its own for one test."""
    with serving() as state:
        yield state


@pytest.fixture(name="other_server")
def other_server_fixture() -> Iterator[LocalServer]:
    """A second server for one test: another port, so another origin."""
    with serving() as state:
        yield state


def ok(request: RecordedRequest) -> Reply:
    """200 `ok`, whatever was asked."""
    return Reply(200, b"ok")


@pytest.fixture(name="servers")
def servers_fixture() -> Iterator[contextlib.ExitStack]:
    """Where a test starts servers as it goes (`serve_on`): stopped when it ends."""
    with contextlib.ExitStack() as started:
        yield started


def serve_on(port: int, servers: contextlib.ExitStack) -> LocalServer:
    """A server on `port` (one a test chose) answering 200 `ok` to everything, until the test
    ends."""
    return servers.enter_context(serving(ok, port=port))
