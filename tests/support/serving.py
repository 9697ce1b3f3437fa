"""The APIs through real sockets: serve's application on a free localhost port, per module
(the `server` fixture, which a suite registers by importing `server_fixture`, and `org_a`,
`org_b`: `org_a_fixture`, `org_b_fixture`).

The server's engine checks credits (production mode), so that charges can be asserted; every
organization a test creates gets ample credits. A module setting `CHECK_CREDITS = False` gets
a server in development mode instead, as `stepthunk serve` runs. Each test creates the
organizations it needs (a key and a credit account), so that listings never mix between tests.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.server import server as local_server
from local.server_app import create_app
from local.server_gateway import Gateway
from local.workers import ExecutionWorkers, recorded_machines
from tests.support.http_server import LOCAL_FAKES, LocalServer, unused_port
from tests.support.workflows import edge, node, workflow

CREDITS = 1_000_000
FINAL = frozenset({"completed", "error", "exhausted", "cancelled"})
# How long a test waits for anything the server does.
PATIENCE = 15.0
# Every route of the HTTP API but the public /openapi.json, as its OpenAPI document names it.
ROUTES = (
    ("PUT", "/workflows/{workflow_id}"),
    ("GET", "/workflows/{workflow_id}"),
    ("DELETE", "/workflows/{workflow_id}"),
    ("GET", "/workflows"),
    ("POST", "/workflows/{workflow_id}/executions"),
    ("GET", "/workflows/{workflow_id}/executions"),
    ("GET", "/executions/{execution_id}"),
    ("GET", "/executions/{execution_id}/nodes"),
    ("POST", "/executions/{execution_id}/cancel"),
    ("POST", "/executions/{execution_id}/retry"),
    ("POST", "/executions/{execution_id}/nodes/{node_id}/event"),
    ("POST", "/executions/{execution_id}/nodes/{node_id}/reject"),
    ("PUT", "/secrets/{name}"),
    ("DELETE", "/secrets/{name}"),
    ("GET", "/secrets"),
    ("GET", "/node-types"),
    ("POST", "/blobs"),
)
# The routes of a form: public too, the token in the query string their credential.
FORM_ROUTES = (("GET", "/forms"), ("POST", "/forms"))


@dataclass
class Organization:
    """An organization as a client sees it: its key and an HTTP client sending that key."""

    id: str
    key: str
    http: httpx.Client

    def deploy(self, workflow: dict[str, Any]) -> dict[str, Any]:
        response = self.http.put(f"/workflows/{workflow['id']}", json=workflow)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def start(self, workflow_id: str, **body: Any) -> str:
        """Start an execution (body: inputs, sessionId); its id."""
        response = self.http.post(f"/workflows/{workflow_id}/executions", json=body)
        assert response.status_code == 202, response.text
        return str(response.json()["executionId"])

    def record(self, execution_id: str) -> dict[str, Any]:
        response = self.http.get(f"/executions/{execution_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, execution_id: str, statuses: frozenset[str] = FINAL) -> dict[str, Any]:
        """The record once its status is one of `statuses` (read over HTTP)."""
        give_up = time.monotonic() + PATIENCE
        while True:
            record = self.record(execution_id)
            if record["status"] in statuses:
                return record
            assert time.monotonic() < give_up, f"still {record['status']}: {record}"
            time.sleep(0.02)


@dataclass
class Server:
    """The running server: where it listens, and the engine behind it."""

    engine: EmbeddedEngine
    gateway: Gateway
    port: int
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, **query: str) -> str:
        return f"ws://127.0.0.1:{self.port}/" + (f"?{httpx.QueryParams(query)}" if query else "")

    def http(self, key: str | None = None) -> httpx.Client:
        """An HTTP client of the server, sending `key` as its bearer token if given."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=PATIENCE)
        self.clients.append(client)
        return client

    def organization(self, organization_id: str | None = None) -> Organization:
        """A new organization (of that id, else a fresh one) with an API key and ample
        credits."""
        organization_id = organization_id or f"org-{uuid.uuid4().hex[:12]}"
        key = self.gateway.http_deps.api_keys.create(organization_id)
        self.engine.set_credits(organization_id, CREDITS)
        return Organization(organization_id, key, self.http(key))

    def session(self, organization: Organization, session_id: str) -> ClientConnection:
        """A WebSocket connection for `session_id`, authenticated with the header."""
        return connect(
            self.ws_url(sessionId=session_id),
            additional_headers={"Authorization": f"Bearer {organization.key}"},
            open_timeout=PATIENCE,
        )


def receive(socket: ClientConnection, timeout: float = PATIENCE) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
    return message


def ends(message: dict[str, Any]) -> bool:
    """Whether `message` ends its execution's updates, by the rule the README gives clients:
    a final status on the last page of an update."""
    page = message["page"]
    return message["status"] in FINAL and page["index"] == page["count"]


def updates_until_final(socket: ClientConnection, execution_id: str) -> list[dict[str, Any]]:
    """The execution_update messages of `execution_id`, up to the last page of the one with
    a final status."""
    received = []
    while True:
        message = receive(socket)
        assert message["type"] == "execution_update", message
        assert message["executionId"] == execution_id, message
        received.append(message)
        if ends(message):
            return received


@contextmanager
def running(runner: uvicorn.Server, **run: Any) -> Iterator[uvicorn.Server]:
    """`runner` serving from a thread of its own (`run`: its keyword arguments) once it
    has started, until the block ends."""
    thread = threading.Thread(target=runner.run, kwargs=run, daemon=True)
    thread.start()
    give_up = time.monotonic() + PATIENCE
    while not runner.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < give_up, "the server did not start"
        time.sleep(0.01)
    try:
        yield runner
    finally:
        runner.should_exit = True
        thread.join(PATIENCE)


@contextmanager
def serving(engine: EmbeddedEngine, port: int | None = None, **app: Any) -> Iterator[Server]:
    """serve's application over `engine` (`app`: create_app's options), on `port` or a free
    one."""
    gateway = Gateway(engine)
    port = unused_port() if port is None else port
    with running(local_server(create_app(gateway, **app), host="127.0.0.1", port=port)):
        served = Server(engine, gateway, port)
        yield served
        for client in served.clients:
            client.close()


@pytest.fixture(scope="module", name="server")
def server_fixture(request: pytest.FixtureRequest, cloud: LocalCloud) -> Iterator[Server]:
    """serve's application in this process; a module setting `WORKERS = N` gets one whose
    executions run in N worker processes (local.workers), as `stepthunk serve` runs them."""
    check_credits = getattr(request.module, "CHECK_CREDITS", True)
    workers = getattr(request.module, "WORKERS", 0)
    credits = CREDITS if check_credits else None
    port = unused_port()  # known first: create-form nodes give its address, as serve's do
    with contextlib.ExitStack() as running:
        machines = (  # recorded before the engine deploys anything, as serve does
            running.enter_context(recorded_machines(cloud)) if workers else None
        )
        engine = EmbeddedEngine(
            cloud=cloud,
            credits=credits,
            allow_networks=LOCAL_FAKES,
            forms_url=f"http://127.0.0.1:{port}",
        )
        if machines is not None:
            settings = engine.deployment.settings
            running.enter_context(ExecutionWorkers(cloud, settings, workers, machines))
        yield running.enter_context(serving(engine, port))


@pytest.fixture(name="org_a")
def org_a_fixture(server: Server) -> Organization:
    return server.organization()


@pytest.fixture(name="org_b")
def org_b_fixture(server: Server) -> Organization:
    return server.organization()


@contextmanager
def returns_held(server: Server, node_id: str) -> Iterator[threading.Event]:
    """While inside, the task that runs `node_id` does its work (and announces it) but returns
    only once the event is set, or after PATIENCE: a cancel then lands while the execution's
    history still lacks that node's result. The event is set on leaving."""
    released = threading.Event()
    functions = server.engine.cloud.functions
    name = str(server.engine.deployment.functions.run_node).rsplit(":", 1)[-1]
    real, timeout = functions[name]

    def held(event: dict[str, Any], deadline: float) -> dict[str, Any]:
        result: dict[str, Any] = real(event, deadline)
        if any(n["id"] == node_id for n in event.get("nodes", [])):
            released.wait(PATIENCE)
        return result

    functions[name] = (held, timeout)
    try:
        yield released
    finally:
        released.set()
        functions[name] = (real, timeout)


def quick_and_slow(server: LocalServer) -> dict[str, Any]:
    """Two requests at once (in one task that runs them side by side), then a node reading
    both."""
    return workflow(
        node("quick", "fetch", url=server.url("/text")),
        node("slow", "fetch", url=server.url("/slow"), timeout=10_000),
        node("total", "sum"),
        edges=[edge("quick.status", "total.numbers"), edge("slow.status", "total.numbers")],
        workflow_id="quick-and-slow",
    )


def statuses(nodes_of: dict[str, Any]) -> dict[str, str]:
    """Each node's status in a record or an update."""
    return {e["nodeId"]: e["status"] for e in nodes_of["nodeExecutions"]}
