"""SPEC §7 through serve: a secret created with PUT /secrets shows nowhere but in its request.

One organization stores a random secret through the API and runs, each with a live session:
a fetch sending it in headers (to a server that echoes it, and one that answers 401), a fetch
sending it to a closed port, and nodes whose errors quote their inputs (fed the
`{{secrets.TOKEN}}` template text, or failing after the secret was substituted). Everything
is then searched: every API response read during and after the runs, every live update and
subscription reply, every DynamoDB item, S3 object, execution and history event of the
deployment, and the handlers' DEBUG log. Nothing holds the plaintext; preloaded state holds
it sealed. As a control, the plaintext is then planted in each kind of place and found there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from lambdas.adapters.errors import SealedValueRefused
from lambdas.handlers.observability import logger
from statemachine.state_names import PRELOAD_SECRETS
from tests.api import conftest as api
from tests.api.conftest import FINAL, PATIENCE, Organization, Server
from tests.conftest import Figure
from tests.reliability.support_scan import KindScan, Recorder, drain, scan_machines
from tests.security import conftest as security
from tests.security.conftest import (
    Reply,
    Request,
    Route,
    closed_port,
    history,
    plaintext,
    scan_deployment,
)
from tests.security.conftest import Server as Echo
from tests.workflows import edge, node, workflow

SESSION = "vault"
BEARER = {"Authorization": "Bearer {{secrets.TOKEN}}"}
KINDS = ("responses", "messages", "executions", "events", "items", "objects", "log lines")

server = api.server  # the API tests' serve fixture, per module
serve = security.serve  # local HTTP servers answering by a route function
handler_logs = security.handler_logs  # the handlers' log lines, at DEBUG


def echoing(request: Request) -> Reply:
    """Repeats the Authorization header in a large body, a header and the reason; /deny
    answers 401 with it."""
    seen = request.headers.get("authorization", "")
    if request.path == "/deny":
        return Reply(401, {"refused": seen}, reason=f"Unauthorized {seen}")
    body = {
        "authorization": seen,
        "token": request.headers.get("x-token"),
        seen: 1,
        "padding": f"{seen} " * 1000,  # beyond 8 KiB: the body is carried through S3
    }
    return Reply(200, body, headers=(("X-Echo", seen),), reason=f"OK {seen}")


def flows(echo: Echo) -> dict[str, dict[str, Any]]:
    """The workflows that carry the secret, by id."""
    headers = {**BEARER, "X-Token": "{{secrets.TOKEN}}"}
    down = f"http://127.0.0.1:{closed_port()}/down"
    return {
        "echo": workflow(
            node("call", "fetch", url=echo.url("/echo"), headers=headers),
            node("denied", "fetch", url=echo.url("/deny"), headers=BEARER),
            node("pause", "wait", seconds=50),  # half a second: responses read while running
            node("shown", "output-any"),
            edges=[edge("call.body", "pause.value"), edge("pause.value", "shown.value")],
            workflow_id="echo",
        ),
        "refused": workflow(
            node("headers", "json-input", json=BEARER),
            node("call", "fetch", url=down),
            node("shown", "output-any"),
            edges=[edge("headers.json", "call.headers"), edge("call.body", "shown.value")],
            workflow_id="refused",
        ),
        "quoting": workflow(
            node("url", "fetch", url="{{secrets.TOKEN}}", headers=BEARER),
            node("method", "fetch", url=echo.url("/"), method="{{secrets.TOKEN}}"),
            node("unicode", "fetch", url=down, headers={"A": "{{secrets.TOKEN}} é"}),
            node("newline", "fetch", url=down, headers={"A": "{{secrets.TOKEN}}\r\nB: c"}),
            node("missing", "fetch", url=down, headers={"A": "{{secrets.TOKEN}}{{secrets.NO}}"}),
            node("path", "json-extract-string", json={"a": 1}, path="{{secrets.TOKEN}}"),
            node("template", "text-input", value="{{secrets.TOKEN}}"),
            node("upper", "string-to-upper-case"),
            edges=[edge("template.value", "upper.string")],
            workflow_id="quoting",
        ),
    }


def run_all(
    owner: Organization, flows: dict[str, dict[str, Any]], **start: Any
) -> dict[str, dict[str, Any]]:
    """Deploy and start every flow with the session; read records and listings until each
    ends, and once more after. The final records, by workflow id."""
    started = {}
    for workflow_id, flow in flows.items():
        owner.deploy(flow)
        started[workflow_id] = owner.start(workflow_id, sessionId=SESSION, **start)
    give_up = time.monotonic() + PATIENCE
    records: dict[str, dict[str, Any]] = {}
    while len(records) < len(started):
        assert time.monotonic() < give_up, f"unfinished: {set(started) - set(records)}"
        for workflow_id, execution_id in started.items():
            record = owner.record(execution_id)
            owner.http.get(f"/workflows/{workflow_id}/executions")
            if record["status"] in FINAL:
                records[workflow_id] = record
        time.sleep(0.05)
    owner.http.get("/workflows")
    owner.http.get("/secrets")
    return records


def follow(server: Server, owner: Organization, records: dict[str, dict[str, Any]]) -> Any:
    """Every subscription reply for the finished executions."""
    with server.session(owner, "auditor") as socket:
        for record in records.values():
            socket.send(json.dumps({"action": "subscribe", "executionId": record["id"]}))
        return drain(socket)


def search(
    server: Server,
    owner: Organization,
    secret: str,
    recorder: Recorder,
    messages: list[Any],
    logs: list[str],
) -> KindScan:
    scan = KindScan((secret,))
    for where, response in recorder.responses:
        scan.look("responses", where, response)
    for index, message in enumerate(messages):
        scan.look("messages", f"live message {index}", message)
    for line in logs:
        scan.look("log lines", "handler logs", line)
    scan_deployment(server.engine, scan)
    listed = [w["id"] for w in owner.http.get("/workflows").json()["items"]]
    machines = [owner.http.get(f"/workflows/{w}").json()["stateMachineArn"] for w in listed]
    scan_machines(server.engine, machines, scan)
    return scan


def preloaded(server: Server, owner: Organization, execution_id: str, workflow_id: str) -> str:
    """The TOKEN secret as the preload task put it in the execution's state."""
    stored = owner.http.get(f"/workflows/{workflow_id}").json()
    arn = f"{stored['stateMachineArn'].replace(':stateMachine:', ':execution:')}:{execution_id}"
    for event in history(server.engine, arn):
        exited = event.get("stateExitedEventDetails", {})
        if exited.get("name") == PRELOAD_SECRETS:
            return str(json.loads(exited["output"])["sealed"]["secrets"]["TOKEN"])
    raise AssertionError(f"no {PRELOAD_SECRETS} state in the history of {execution_id}")


def test_a_secret_created_through_the_api_shows_nowhere_but_in_its_requests(
    server: Server,
    serve: Callable[[Route], Echo],
    handler_logs: Callable[[], list[str]],
    figure: Figure,
) -> None:
    owner, secret, recorder = server.organization(), plaintext(), Recorder()
    recorder.attach(owner.http)
    echo = serve(echoing)
    assert owner.http.put("/secrets/TOKEN", json={"value": secret}).json() == {"name": "TOKEN"}
    with server.session(owner, SESSION) as session:
        records = run_all(owner, flows(echo))
        messages = drain(session) + follow(server, owner, records)

    # The secret did its job: the servers got it, and each failure says what failed.
    assert {r.headers["authorization"] for r in echo.requests} == {f"Bearer {secret}"}
    assert records["echo"]["status"] == "completed", records["echo"]
    echoed = records["echo"]["nodeExecutions"]
    assert echoed[0]["outputs"]["body"].pop("padding") == "Bearer *** " * 1000
    assert echoed[0]["outputs"]["body"] == {"authorization": "Bearer ***", "token": "***"} | {
        "Bearer ***": 1
    }
    assert echoed[1]["outputs"]["statusText"] == "Unauthorized Bearer ***"
    refused = {n["nodeId"]: n for n in records["refused"]["nodeExecutions"]}
    assert "connection refused" in refused["call"]["error"]
    assert refused["call"]["inputs"]["headers"] == BEARER
    quoting = {n["nodeId"]: n for n in records["quoting"]["nodeExecutions"]}
    for quoted in ("url", "method", "path"):
        assert "'{{secrets.TOKEN}}'" in quoting[quoted]["error"], quoting[quoted]
    assert quoting["missing"]["error"] == "Secret 'NO' not found"
    assert "must be ASCII text on one line" in quoting["newline"]["error"]
    assert quoting["upper"]["outputs"] == {"result": "{{SECRETS.TOKEN}}"}
    # Preload carried it sealed: ciphertext that opens to the secret, for this organization only.
    sealed = preloaded(server, owner, records["echo"]["id"], "echo")
    assert server.engine.secrets.open(owner.id, sealed) == secret
    with pytest.raises(SealedValueRefused) as refusal:
        server.engine.secrets.open("another-organization", sealed)
    assert secret not in str(refusal.value)

    scan = search(server, owner, secret, recorder, messages, handler_logs())
    assert all(scan.counts[kind] > 0 for kind in KINDS), scan.counts
    assert scan.found == []

    # The control: planted in every kind of place, the plaintext is found in each.
    planted = workflow(
        node("short", "text-input"),
        node("long", "text-input", value=secret * 300),  # beyond 8 KiB: kept in S3
        workflow_id="planted",
    )
    with server.session(owner, SESSION) as session:
        run_all(owner, {"planted": planted}, inputs={"short": {"value": secret}})
        messages = drain(session)
    logger.debug("planted %s", secret)
    control = search(server, owner, secret, recorder, messages, handler_logs())
    assert {kind: control.hits[kind] > 0 for kind in KINDS} == dict.fromkeys(KINDS, True)
    figure(f"secrets everywhere: {scan.summary()}; the planted control: {control.summary()}")
