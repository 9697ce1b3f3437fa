"""The load benchmarks' client against a small HTTP/1.1 server on 127.0.0.1: requests share a
kept-alive connection, a read survives the server closing it, a start is never sent twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load_client import LoadClient, LoadError


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections: set[int] = set()
        self.posts = 0
        self.close_next = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._answer({"path": self.path})

    def do_POST(self) -> None:
        self.server.posts += 1
        length = int(self.headers["Content-Length"])
        self._answer({"got": json.loads(self.rfile.read(length))}, status=202)

    def _answer(self, body: object, status: int = 200) -> None:
        if self.server.close_next:  # the connection dropped without an answer
            self.server.close_next = False
            self.close_connection = True
            return
        self.server.connections.add(self.client_address[1])
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def _url(server: _Server, path: str = "") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_requests_share_one_connection_and_answer_status_and_json(server: _Server) -> None:
    with LoadClient(_url(server, "/api"), {"Authorization": "Bearer k"}) as client:
        started = client.post("/executions", {"n": 1})
        read = client.get("/executions/1")
    assert (started.status, started.json()) == (202, {"got": {"n": 1}})
    assert (read.status, read.json()) == (200, {"path": "/api/executions/1"})
    assert len(server.connections) == 1


def test_a_read_the_server_dropped_is_sent_again_on_a_new_connection(server: _Server) -> None:
    with LoadClient(_url(server)) as client:
        client.get("/first")
        server.close_next = True
        again = client.get("/second")
    assert again.json() == {"path": "/second"}


def test_a_start_the_server_dropped_is_not_sent_again(server: _Server) -> None:
    with LoadClient(_url(server)) as client:
        client.get("/first")
        server.close_next = True
        with pytest.raises(LoadError, match="POST /executions"):
            client.post("/executions", {})
    assert server.posts == 1


def test_no_server_is_a_load_error() -> None:
    with LoadClient("http://127.0.0.1:9", timeout=1.0) as client, pytest.raises(LoadError):
        client.get("/")
