"""SPEC §7 through serve: a secret created with PUT /secrets shows nowhere but in its request.

One organization stores a random secret through the API, and a second one nested inside it
(its tail: masking it first would leave the head of the first), and runs, each with a live
session: a fetch sending them in headers (to a server that echoes them, and one that answers
401), fetches redirected to another origin (one with the secrets in headers and a cookie the
server sets, which go no further; one with them in the query or body, which is not followed),
a fetch sending them to a closed port, and nodes whose errors quote their inputs (fed the
`{{secrets.TOKEN}}` template text, or failing after the secret was substituted). Every
execution that failed is then retried with the session. Everything is searched, for the secret
and for its head: every API response read during and after the runs, every live update and
subscription reply, every DynamoDB item, S3 object, execution and history event of the
deployment, the handlers' DEBUG log, and what the other origin received. Nothing holds either;
preloaded state holds them sealed. As a control, the plaintext is then planted in each kind of
place and found there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from lambdas.handlers.observability import logger
from lambdas.runtime.store_errors import SealedValueRefused
from statemachine.state_names import INITIALIZE
from tests.conftest import Figure
from tests.reliability.support_scan import KindScan, Recorder, drain, scan_machines
from tests.support.secret_scan import (
    Reply,
    Request,
    Route,
    closed_port,
    handler_logs_fixture,
    history,
    plaintext,
    scan_deployment,
    serve_fixture,
)
from tests.support.secret_scan import Server as Echo
from tests.support.serving import FINAL, PATIENCE, Organization, Server, server_fixture
from tests.support.workflows import edge, node, workflow

SESSION = "vault"
BEARER = {"Authorization": "Bearer {{secrets.TOKEN}}"}
# The nested secret first: masked first, one at a time, it would leave the head of TOKEN.
SECRET_HEADERS = {"X-Tail": "{{secrets.TAIL}}", **BEARER, "X-Token": "{{secrets.TOKEN}}"}
HEAD = 12  # TAIL is TOKEN without its first HEAD characters
KINDS = ("responses", "messages", "executions", "events", "items", "objects", "log lines")

server = server_fixture  # serve's application per module (tests.support.serving)
serve = serve_fixture  # local HTTP servers answering by a route function
handler_logs = handler_logs_fixture  # the handlers' log lines, at DEBUG


def echoing(request: Request) -> Reply:
    """Repeats the Authorization header in a large body, a header and the reason; /deny
    answers 401 with it."""
    seen = request.headers.get("authorization", "")
    if request.path == "/deny":
        return Reply(401, {"refused": seen}, reason=f"Unauthorized {seen}")
    body = {
        "authorization": seen,
        "token": request.headers.get("x-token"),
        "tail": request.headers.get("x-tail"),
        "cookie": request.headers.get("cookie"),
        seen: 1,
        "padding": f"{seen} " * 1000,  # beyond 8 KiB: the body is carried through S3
    }
    return Reply(200, body, headers=(("X-Echo", seen),), reason=f"OK {seen}")


def hopping(far: Echo) -> Route:
    """`echoing`, and /hop answers 307 to `far`'s /echo, setting the X-Token it got as a cookie."""

    def route(request: Request) -> Reply:
        if request.path != "/hop":
            return echoing(request)
        cookie = f"session={request.headers.get('x-token', 'none')}; Path=/"
        return Reply(307, {}, headers=(("Location", far.url("/echo")), ("Set-Cookie", cookie)))

    return route


def flows(echo: Echo) -> dict[str, dict[str, Any]]:
    """The workflows that carry the secret, by id."""
    down = f"http://127.0.0.1:{closed_port()}/down"
    hop = echo.url("/hop")
    return {
        "echo": workflow(
            node("call", "fetch", url=echo.url("/echo"), headers=SECRET_HEADERS),
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
        "hops": workflow(
            node("headers", "fetch", url=hop, headers=SECRET_HEADERS),
            node("query", "fetch", url=hop, query={"key": "{{secrets.TAIL}}"}),
            node("body", "fetch", url=hop, method="POST", body={"key": "{{secrets.TOKEN}}"}),
            workflow_id="hops",
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


def retry_failed(
    owner: Organization, records: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Retry every execution that failed, with the session; the retries' final records, by
    workflow id."""
    retried = {}
    for workflow_id, record in records.items():
        if record["status"] == "error":
            response = owner.http.post(
                f"/executions/{record['id']}/retry", json={"sessionId": SESSION}
            )
            assert response.status_code == 202, response.text
            retried[workflow_id] = owner.wait_for(response.json()["executionId"])
    return retried


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
    scan = KindScan((secret, secret[:HEAD]))
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
    """The TOKEN secret as Initialize workflow preloaded it into the execution's state."""
    stored = owner.http.get(f"/workflows/{workflow_id}").json()
    arn = f"{stored['stateMachineArn'].replace(':stateMachine:', ':execution:')}:{execution_id}"
    for event in history(server.engine, arn):
        exited = event.get("stateExitedEventDetails", {})
        if exited.get("name") == INITIALIZE:
            return str(json.loads(exited["output"])["sealed"]["secrets"]["TOKEN"])
    raise AssertionError(f"no {INITIALIZE} state in the history of {execution_id}")


def test_a_secret_created_through_the_api_shows_nowhere_but_in_its_requests(
    server: Server,
    serve: Callable[[Route], Echo],
    handler_logs: Callable[[], list[str]],
    figure: Figure,
) -> None:
    owner, secret, recorder = server.organization(), plaintext(), Recorder()
    recorder.attach(owner.http)
    far = serve(echoing)  # another origin
    echo = serve(hopping(far))
    assert owner.http.put("/secrets/TOKEN", json={"value": secret}).json() == {"name": "TOKEN"}
    assert owner.http.put("/secrets/TAIL", json={"value": secret[HEAD:]}).status_code == 200
    with server.session(owner, SESSION) as session:
        records = run_all(owner, flows(echo))
        retried = retry_failed(owner, records)
        everything = records | {f"retried {w}": record for w, record in retried.items()}
        messages = drain(session) + follow(server, owner, everything)

    # The secret did its job: the servers got it, and each failure says what failed.
    assert {r.headers["authorization"] for r in echo.requests if r.path != "/hop"} == {
        f"Bearer {secret}"
    }
    assert records["echo"]["status"] == "completed", records["echo"]
    echoed = records["echo"]["nodeExecutions"]
    assert echoed[0]["outputs"]["body"].pop("padding") == "Bearer *** " * 1000
    assert echoed[0]["outputs"]["body"] == {
        "authorization": "Bearer ***",
        "token": "***",
        "tail": "***",
        "cookie": None,
    } | {"Bearer ***": 1}
    # Redirected to another origin: the secret headers and cookie stayed behind, and the
    # requests carrying it in the query or body went no further; retried, the same.
    assert set(retried) == {"refused", "quoting", "hops"}
    for hops in (records["hops"], retried["hops"]):
        hopped = {n["nodeId"]: n for n in hops["nodeExecutions"]}
        arrived = hopped["headers"]["outputs"]["body"]
        assert [arrived[k] for k in ("authorization", "token", "tail", "cookie")] == [""] + [
            None
        ] * 3
        for carrier in ("query", "body"):
            assert "another origin: not followed" in hopped[carrier]["error"]
            assert f"redirected to http://127.0.0.1:{far.port}," in hopped[carrier]["error"]
    assert [r.path for r in far.requests] == ["/echo"]  # the retry reused that node's result
    updated = {m.get("executionId") for m in messages if m.get("type") == "execution_update"}
    assert {r["id"] for r in everything.values()} <= updated  # the retries' updates: scanned
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
    for request in far.requests:
        received = {"headers": request.headers, "body": request.body}
        scan.look("redirected requests", f"{request.method} {request.path}", received)
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
