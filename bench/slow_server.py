"""A local HTTP server for the fetch benchmarks, slow like a remote API.

Routes (GET), answered with JSON:
- `/item/<k>`: `{"value": k}`, after `delay` seconds.
- `/private`: `{"user": "bench"}` at once when `Authorization` is `Bearer <token>`, else 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Where the server listens: the engines that call it allow workflows to reach it.
HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float, token: str) -> None:
        super().__init__((HOST, 0), _Handler)
        self.delay = delay
        self.token = token


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the benchmark's output is the table

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        item = path.removeprefix("/item/")
        if item != path and item.isdigit():
            time.sleep(self.server.delay)
            self._answer(200, {"value": int(item)})
        elif path == "/private":
            if self.headers.get("Authorization") == f"Bearer {self.server.token}":
                self._answer(200, {"user": "bench"})
            else:
                self._answer(401, {"error": "unauthorized"})
        else:
            self._answer(404, {})

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def slow_server(delay: float, token: str) -> Iterator[str]:
    """Serve on 127.0.0.1 while the block runs; yields the base URL (no trailing slash)."""
    server = _Server(delay, token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
