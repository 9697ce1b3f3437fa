"""Tenancy on every route: another organization's key finds nothing of ours and changes nothing.

The routes come from the server's own /openapi.json, so that a route added later fails the
test until its tenancy is checked here. Organization B aims each route at each of A's
resources (two workflows; a running, a failed and a completed execution; a secret) with a
request that would succeed for A, and gets exactly what it gets for a resource that never
existed: the same 404 (or, for a PUT, its own new resource). A's view of everything, its
stored secret, state machines and credits are the same afterwards. Over WebSockets, B can
neither subscribe to A's executions nor receive their updates by choosing A's session id.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import Figure
from tests.support.serving import Organization, Server, receive, server_fixture, updates_until_final
from tests.support.workflows import edge, node, pausing, workflow

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
SESSION = "dashboard"  # the session A follows its executions with, and B tries to join
WAITING = "approval"  # A's wait-for-event node
IDEMPOTENCY_KEY = "nightly-run"

server = server_fixture  # serve's application per module (tests.support.serving)


def divide(workflow_id: str) -> dict[str, Any]:
    """n -> d = n / 0: an execution that fails, unless `d.b` is overridden."""
    return workflow(
        node("n", "number-input", value=1),
        node("d", "division", b=0),
        edges=[edge("n.value", "d.a")],
        workflow_id=workflow_id,
        name="Divide",
    )


@dataclass
class Holdings:
    """What organization A owns: the ids each kind of path parameter can take."""

    workflows: list[str]
    executions: dict[str, str]  # status -> execution id
    secret: str

    def targets(self, template: str) -> list[dict[str, str]]:
        """The concrete parameters of `template` naming each of A's resources in turn."""
        if "{node_id}" in template:  # A's node waiting for an event, in each execution
            return [{"execution_id": e, "node_id": WAITING} for e in self.executions.values()]
        if "{execution_id}" in template:
            return [{"execution_id": e} for e in self.executions.values()]
        if "{workflow_id}" in template:
            return [{"workflow_id": w} for w in self.workflows]
        if "{name}" in template:
            return [{"name": self.secret}]
        if template == "/forms":  # a form's: no key reaches a form without its token
            return [{"token": f"never-issued-{uuid.uuid4().hex}"}]
        return [{}]


def never_existed(parameters: dict[str, str]) -> dict[str, str]:
    """Parameters of the same kinds naming nothing anyone ever created."""
    fresh = {
        "execution_id": str(uuid.uuid4()),
        "workflow_id": f"ghost-{uuid.uuid4().hex[:8]}",
        "name": f"GHOST_{uuid.uuid4().hex[:8]}",
        "node_id": f"ghost-{uuid.uuid4().hex[:8]}",
        "token": f"ghost-{uuid.uuid4().hex}",
    }
    return {kind: fresh[kind] for kind in parameters}


def documented_routes(server: Server) -> set[tuple[str, str]]:
    """Every (METHOD, path template) the server's OpenAPI document lists."""
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def owner_view(owner: Organization, holdings: Holdings) -> list[Any]:
    """Everything A can read about what it owns."""
    http = owner.http
    return [
        http.get("/workflows").json(),
        [http.get(f"/workflows/{w}").json() for w in holdings.workflows],
        [http.get(f"/workflows/{w}/executions").json() for w in holdings.workflows],
        [http.get(f"/executions/{e}").json() for e in holdings.executions.values()],
        http.get("/secrets").json(),
    ]


def stored_state(server: Server, owner: Organization, other: Organization) -> list[Any]:
    """What the engine holds for A beyond the API: its secret's plaintext, its state machines
    (their definitions too: another organization's deploy of the same workflow id must not
    update A's machine in place), the Step Functions executions of each, and both
    organizations' credit accounts."""
    engine = server.engine
    sfn = engine.cloud.client("stepfunctions")
    machines = []
    for workflow_id in ("private", "failing"):
        arn = owner.http.get(f"/workflows/{workflow_id}").json()["stateMachineArn"]
        executions = sfn.list_executions(stateMachineArn=arn)["executions"]
        definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        machines.append((arn, definition, sorted(e["name"] for e in executions)))
    sealed = engine.secrets.sealed(owner.id)["TOKEN"]
    return [
        engine.secrets.open(owner.id, sealed),
        machines,
        engine.organizations.get(owner.id),
        engine.organizations.get(other.id),
    ]


def a_organization_with_everything(server: Server) -> tuple[Organization, Holdings]:
    owner = server.organization()
    owner.deploy(pausing("private", seconds=3000))  # 30 s at the tests' time scale
    owner.deploy(divide("failing"))
    started = owner.http.post(
        "/workflows/private/executions",
        json={"sessionId": SESSION},
        headers={"Idempotency-Key": IDEMPOTENCY_KEY},
    )
    assert started.status_code == 202, started.text
    running = started.json()["executionId"]
    failed = owner.start("failing")
    completed = owner.start("failing", inputs={"d": {"b": 2}})
    assert owner.wait_for(failed)["status"] == "error"
    assert owner.wait_for(completed)["status"] == "completed"
    owner.wait_for(running, frozenset({"executing"}))
    # a node waiting for an event (for about 50 minutes at the tests' time scale)
    awaiting = {**node(WAITING, "wait-for-event"), "timeoutSeconds": 300_000}
    owner.deploy(workflow(awaiting, workflow_id="awaiting"))
    waiting = owner.start("awaiting")
    while owner.record(waiting)["nodeExecutions"][0].get("waitingFor") != "event":
        time.sleep(0.02)
    owner.http.put("/secrets/TOKEN", json={"value": "a-secret-value"})
    executions = {"running": running, "error": failed, "completed": completed, "waiting": waiting}
    return owner, Holdings(["private", "failing", "awaiting"], executions, "TOKEN")


Body = Callable[[dict[str, str]], Any]


def nothing(parameters: dict[str, str]) -> None:
    return None


# What B sends on each route (a body that would succeed for A), and what B must get:
# "absent": the 404 of a resource that never existed; "listing": what an organization that
# owns nothing gets; "write": a new resource of B's own; "anyone": what a route whose
# credential is in its query string (a form's token, no key) answers whoever asks for nothing.
# Writes come last, since they create B's own resources of A's names.
REQUESTS: dict[tuple[str, str], tuple[Body, str]] = {
    ("GET", "/workflows/{workflow_id}"): (nothing, "absent"),
    ("DELETE", "/workflows/{workflow_id}"): (nothing, "absent"),
    ("GET", "/workflows"): (nothing, "listing"),
    ("POST", "/workflows/{workflow_id}/executions"): (
        lambda _: {"inputs": {"first": {"value": 2}}, "sessionId": SESSION},
        "absent",
    ),
    ("GET", "/workflows/{workflow_id}/executions"): (nothing, "absent"),
    ("GET", "/executions/{execution_id}"): (nothing, "absent"),
    ("GET", "/executions/{execution_id}/nodes"): (nothing, "absent"),
    ("POST", "/executions/{execution_id}/cancel"): (nothing, "absent"),
    ("POST", "/executions/{execution_id}/retry"): (lambda _: {"sessionId": SESSION}, "absent"),
    ("POST", "/executions/{execution_id}/nodes/{node_id}/event"): (
        lambda _: {"approved": True},
        "absent",
    ),
    ("POST", "/executions/{execution_id}/nodes/{node_id}/reject"): (
        lambda _: {"reason": "no"},
        "absent",
    ),
    ("GET", "/forms"): (nothing, "anyone"),
    ("POST", "/forms"): (lambda _: {"amount": 1}, "anyone"),
    ("DELETE", "/secrets/{name}"): (nothing, "absent"),
    ("GET", "/secrets"): (nothing, "listing"),
    ("GET", "/node-types"): (nothing, "listing"),
    ("PUT", "/secrets/{name}"): (lambda _: {"value": "b-secret-value"}, "write"),
    # an upload is the uploader's own (test_blobs_api: another organization cannot use it)
    ("POST", "/blobs"): (lambda _: {"file": "b-file"}, "write"),
    ("PUT", "/workflows/{workflow_id}"): (
        lambda ids: pausing(ids["workflow_id"], seconds=1),
        "write",
    ),
}


def request(organization: Organization, route: tuple[str, str], ids: dict[str, str]) -> Any:
    """`organization`'s request on `route` for the resources `ids` name."""
    method, template = route
    headers = {"Idempotency-Key": IDEMPOTENCY_KEY} if method == "POST" else {}
    body = REQUESTS[route][0](ids)
    path = template.format(**ids)
    # what the path does not name is a query parameter (a form's token)
    query = {name: value for name, value in ids.items() if f"{{{name}}}" not in template}
    return organization.http.request(method, path, params=query, json=body, headers=headers)


def check(
    kind: str,
    response: httpx.Response,
    expected: httpx.Response,
    ids: dict[str, str],
    ghost: dict[str, str],
) -> None:
    """`response` (B's, on A's resources) against `expected` (B's on nothing for "absent",
    "anyone" and "write"; an organization owning nothing's for "listing")."""
    if kind == "absent":
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"
        text = expected.text
        for name, value in ghost.items():
            text = text.replace(value, ids[name])
        assert response.text == text
    elif kind == "anyone":
        assert response.status_code == expected.status_code == 404, response.text
        assert response.text == expected.text
    elif kind == "listing":
        assert response.status_code == expected.status_code == 200, response.text
        assert response.json() == expected.json()
    else:
        assert response.status_code == expected.status_code, response.text
        assert response.status_code in (200, 201), response.text
        if "version" in response.json():  # a workflow: created (201, version 1), not updated
            assert (response.status_code, response.json()["version"]) == (201, 1)


def test_every_documented_route_is_checked_here(server: Server) -> None:
    documented = documented_routes(server)
    assert documented, "the OpenAPI document lists no route"
    assert documented - set(REQUESTS) == set(), "a route without a tenancy check"
    assert set(REQUESTS) - documented == set(), "a tenancy check of a route that is gone"


def test_another_organization_gets_on_every_route_what_it_gets_for_nothing(
    server: Server, figure: Figure
) -> None:
    owner, holdings = a_organization_with_everything(server)
    other, newcomer = server.organization(), server.organization()
    before = (owner_view(owner, holdings), stored_state(server, owner, other))
    private = [owner.id, *holdings.executions.values(), "a-secret-value"]
    tried = 0

    for route, (_, kind) in REQUESTS.items():
        for ids in holdings.targets(route[1]):
            ghost = never_existed(ids)
            if kind == "listing":
                expected = request(newcomer, route, ids)
            else:
                expected = request(other, route, ghost)
            response = request(other, route, ids)
            check(kind, response, expected, ids, ghost)
            leaked = [t for t in private if t in response.text and t not in ids.values()]
            assert not leaked, response.text
            tried += 1

    assert (owner_view(owner, holdings), stored_state(server, owner, other)) == before
    # B's writes made B's own resources; A's idempotency key starts B's own execution.
    assert "TOKEN" in other.http.get("/secrets").json()["secrets"]
    assert other.http.get("/workflows/private").json()["version"] == 1
    start = ("POST", "/workflows/{workflow_id}/executions")
    mine = request(other, start, {"workflow_id": "private"})
    assert mine.status_code == 202, mine.text
    assert mine.json()["executionId"] != holdings.executions["running"]
    assert owner.http.post(f"/executions/{holdings.executions['running']}/cancel").is_success
    # A's node still waits for A's event: none of B's deliveries reached it
    waiting = holdings.executions["waiting"]
    delivered = owner.http.post(f"/executions/{waiting}/nodes/{WAITING}/event", json={"a": 1})
    assert delivered.status_code == 202, delivered.text
    figure(f"{tried} requests of another organization on {len(REQUESTS)} routes")


def silent(socket: Any, seconds: float = 0.3) -> bool:
    try:
        socket.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_another_organization_cannot_subscribe_to_an_execution_finished_or_running(
    server: Server,
) -> None:
    owner, holdings = a_organization_with_everything(server)
    other = server.organization()
    with server.session(other, "snooper") as socket:
        for execution_id in holdings.executions.values():
            socket.send(json.dumps({"action": "subscribe", "executionId": execution_id}))
            refused = receive(socket)
            ghost = str(uuid.uuid4())
            socket.send(json.dumps({"action": "subscribe", "executionId": ghost}))
            assert refused == json.loads(json.dumps(receive(socket)).replace(ghost, execution_id))
            assert refused["type"] == "error"
            assert refused["error"]["code"] == "NOT_FOUND"
        for still_running in ("running", "waiting"):
            cancel = f"/executions/{holdings.executions[still_running]}/cancel"
            assert owner.http.post(cancel).is_success
        assert silent(socket)


def test_choosing_another_organizations_session_id_receives_none_of_its_updates(
    server: Server,
) -> None:
    owner, other = server.organization(), server.organization()
    owner.deploy(pausing("watched", seconds=100))  # a second at the tests' time scale
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    with server.session(owner, shared) as own, server.session(other, shared) as intruder:
        execution_id = owner.start("watched", sessionId=shared)
        owner.wait_for(execution_id, frozenset({"executing"}))
        # Subscribers of an execution are stored under a session named after it: the
        # owner's connection there receives the updates (the control), B's does not.
        subscribers = f"execution#{execution_id}"
        with server.session(owner, subscribers) as owners, server.session(other, subscribers) as bs:
            received = updates_until_final(own, execution_id)
            assert received[-1]["status"] == "completed"
            assert updates_until_final(owners, execution_id)[-1] == received[-1]
            assert silent(intruder)
            assert silent(bs)
