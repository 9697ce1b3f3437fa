"""The load benchmarks' HTTP client: one kept-alive connection on the standard library's
`http.client`, a JSON body in, the status and body out.

A load run on this 2-CPU machine shares it with the server it loads, so what the load costs
is taken from the server: httpx spent 5.1 ms of the load process's CPU per served execution
(a start and two reads), this client 2.3 ms. The peer's server is loaded with
the same client (`bench/peer.py`), so the comparison stays even.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# A kept-alive connection the server closed between two requests fails the next one at once;
# such a request is sent again on a new connection (a read only: a start is never repeated).
_CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class LoadError(Exception):
    """The request got no answer (refused, reset, timed out)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class LoadClient:
    """Requests to the server at `url` (http only) with `headers`, one at a time, on one
    connection kept open between them."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 120.0):
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"{url!r}: the load client speaks plain http to a host")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Answer:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Answer:
        return self.request("PUT", path, body)

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        data = None if body is None else json.dumps(body).encode("utf-8")
        resend = method == "GET" and self._connection is not None
        try:
            return self._exchange(method, path, data)
        except _CLOSED as error:
            self.close()
            if not resend:
                raise LoadError(f"{method} {path}: {error!r}") from error
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise LoadError(f"{method} {path}: {error!r}") from error
        try:
            return self._exchange(method, path, data)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise LoadError(f"{method} {path}: {error!r}") from error

    def _exchange(self, method: str, path: str, data: bytes | None) -> Answer:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout
            )
        self._connection.request(method, self._prefix + path, body=data, headers=self._headers)
        response = self._connection.getresponse()
        answer = Answer(response.status, response.read())
        if response.will_close:
            self.close()
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> LoadClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
