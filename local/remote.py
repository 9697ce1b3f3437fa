"""A deployed stack's HTTP and WebSocket APIs (or serve's), as the CLI uses them: deploy a
workflow, start an execution, follow its live updates, read its record."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lambdas.runtime.blobs import Blob
from lambdas.runtime.record import FINAL_STATUSES
from statemachine.model import Workflow

# How often a record is read while waiting for it to be final, in seconds.
POLL_SECONDS = 0.5
Update = Callable[[dict[str, Any]], None]


class RemoteError(Exception):
    """The API refused a request (`status`, with its error `code`), or could not be reached
    (`status` 0)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if status == 0 else f"{status} {code}: {message}")
        self.status = status
        self.code = code


class RemoteApi:
    """One organization's client of the APIs at `url` (its key `key`); live updates come from
    `websocket_url` (default: the same host, as serve answers both)."""

    def __init__(
        self, url: str, key: str, websocket_url: str | None = None, timeout: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.websocket_url = websocket_url or _websocket_of(self.url)
        self.timeout = timeout
        import httpx  # loaded with the first client: the CLI's other commands start without it

        headers = {"Authorization": f"Bearer {key}"}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> RemoteApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def deploy(self, document: dict[str, Any]) -> dict[str, Any]:
        """PUT the workflow `document`; the deployed workflow's summary."""
        workflow_id = str(document.get("id", ""))
        return self._call("PUT", f"/workflows/{workflow_id}", json=document)

    def workflow(self, workflow_id: str) -> Workflow:
        deployed = self._call("GET", f"/workflows/{workflow_id}")
        return Workflow.model_validate(deployed["definition"])

    def put_blob(self, blob: Blob) -> dict[str, Any]:
        headers = {"Content-Type": blob.mime_type}
        params = {"filename": blob.filename} if blob.filename else {}
        return self._call("POST", "/blobs", content=blob.data, headers=headers, params=params)

    def start(self, workflow_id: str, inputs: dict[str, Any], session_id: str | None = None) -> str:
        body: dict[str, Any] = {"inputs": inputs}
        if session_id is not None:
            body["sessionId"] = session_id
        started = self._call("POST", f"/workflows/{workflow_id}/executions", json=body)
        return str(started["executionId"])

    def record(self, execution_id: str) -> dict[str, Any]:
        return self._call("GET", f"/executions/{execution_id}")

    def run(
        self, workflow_id: str, inputs: dict[str, Any], on_update: Update | None = None
    ) -> dict[str, Any]:
        """Start an execution and wait for its final record; `on_update` sees its live
        updates when the WebSocket API answers, else each record read while it runs."""
        if on_update is not None:
            session_id = f"cli-{uuid.uuid4().hex}"
            with self._updates(session_id) as updates:
                if updates is not None:
                    execution_id = self.start(workflow_id, inputs, session_id)
                    for message in updates:
                        if message.get("executionId") == execution_id:
                            on_update(message)
                            if _ends(message):
                                break
                    return self.wait(execution_id)
        return self.wait(self.start(workflow_id, inputs), on_update)

    def wait(self, execution_id: str, on_update: Update | None = None) -> dict[str, Any]:
        """The execution's record once final, read every POLL_SECONDS."""
        while True:
            record = self.record(execution_id)
            if on_update is not None:
                on_update(record)
            if record.get("status") in FINAL_STATUSES:
                return record
            time.sleep(POLL_SECONDS)

    @contextlib.contextmanager
    def _updates(self, session_id: str) -> Iterator[Iterator[dict[str, Any]] | None]:
        """The messages of a WebSocket session, or None when the WebSocket API does not
        answer (the record is then read until final instead)."""
        from websockets.exceptions import InvalidHandshake, WebSocketException
        from websockets.sync.client import connect

        target = f"{self.websocket_url}?sessionId={session_id}"
        try:
            socket = connect(
                target,
                additional_headers={"Authorization": f"Bearer {self.key}"},
                open_timeout=self.timeout,
            )
        except (OSError, InvalidHandshake, TimeoutError):
            yield None
            return

        def messages() -> Iterator[dict[str, Any]]:
            with contextlib.suppress(WebSocketException, TimeoutError):
                while True:
                    yield json.loads(socket.recv(timeout=self.timeout))

        with socket:
            yield messages()

    def _call(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        import httpx

        try:
            response = self._http.request(method, path, **request)
        except httpx.HTTPError as error:
            raise RemoteError(0, "UNREACHABLE", f"{self.url}: {error}") from None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 300:
            problem = body.get("error", {}) if isinstance(body, dict) else {}
            code = str(problem.get("code") or response.reason_phrase or "ERROR")
            message = str(problem.get("message") or response.text[:200])
            raise RemoteError(response.status_code, code, message)
        return body if isinstance(body, dict) else {"items": body}


def _ends(message: dict[str, Any]) -> bool:
    """A final status on the last page of an update ends an execution's updates."""
    page = message.get("page") or {}
    return message.get("status") in FINAL_STATUSES and page.get("index") == page.get("count")


def _websocket_of(url: str) -> str:
    """serve's WebSocket URL for its HTTP URL: the same host, ws:// or wss://, at `/`."""
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, "/", "", ""))
