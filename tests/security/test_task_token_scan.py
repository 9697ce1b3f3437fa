"""A wait-for-event node's task token (what resumes its execution) is never shown: no record,
live update, log, table item, stored object or execution description holds it, whether the
wait ends by an event, a rejection or its timeout (tests.support.secret_scan). Nor a
wait-for-form node's; and its form's token is in no table item or log, and in records and
live updates only where Dafthunk's ports show it (create-form's outputs, wait-for-form's
input).

Step Functions' own execution history holds it, as it holds every task's parameters: its
TaskScheduled event is where this test finds the token to search for. A caller names the
execution and the node (POST /executions/{id}/nodes/{nodeId}/event), never the token.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from lambdas.handlers import http_api
from lambdas.handlers.entry import Invocation
from lambdas.lifecycle.event_delivery import Rejection
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.memory_events import LOCAL_FORMS_URL
from tests.support.secret_scan import (
    LOG_PROBE,
    Scan,
    executions_of,
    history,
    organization,
    plaintext,
    scan_deployment,
)
from tests.support.serving import serving
from tests.support.workflows import edge, expense_form, node, workflow

# The loggers of the tests' HTTP client (httpx): not serve's.
CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud)


def approval(timeout_seconds: int = 86_400) -> dict[str, Any]:
    """A wait for `approval`: a day (864 s at the tests' time scale) unless it is to time out."""
    waiting = {**node("approval", "wait-for-event"), "timeoutSeconds": timeout_seconds}
    return workflow(
        node("order", "json-input", json={"item": "laptop"}),
        waiting,
        node("answer", "output-json"),
        edges=[edge("order.json", "approval.value"), edge("approval.payload", "answer.value")],
    )


def scheduled_tokens(engine: EmbeddedEngine, arn: str) -> list[str]:
    """The task tokens the execution's waiting tasks were given, from its history."""
    tokens = []
    for event in history(engine, arn):
        details = event.get("taskScheduledEventDetails")
        if details is not None:
            payload = json.loads(details["parameters"]).get("Payload", {})
            tokens += [payload["taskToken"]] if "taskToken" in payload else []
    return tokens


@pytest.mark.parametrize(
    ("given", "status"),
    [({"approved": True}, "completed"), (Rejection("no"), "error"), (None, "completed")],
    ids=["event", "rejection", "timeout"],
)
def test_a_task_token_appears_in_no_record_live_update_log_or_stored_item(
    engine: EmbeddedEngine,
    handler_logs: Callable[[], list[str]],
    given: Any,
    status: str,
) -> None:
    owner = organization()
    messages: list[dict[str, Any]] = []
    while_waiting: list[dict[str, Any]] = []

    def receive(message: dict[str, Any]) -> None:
        messages.append(message)
        shown = {n["nodeId"]: n for n in message["nodeExecutions"]}.get("approval", {})
        if shown.get("waitingFor") == "event":  # the record read while the node waits
            while_waiting.append(engine.record(message["executionId"]).to_json())

    events = None if given is None else {"approval": given}
    flow = approval(60) if given is None else approval()  # 0.6 s at the tests' time scale
    record = engine.run(flow, organization_id=owner, on_update=receive, events=events)

    assert record.status == status
    assert while_waiting
    assert while_waiting[0]["status"] == "executing"
    [arn] = [a for a in executions_of(engine) if a.endswith(record.id)]
    tokens = scheduled_tokens(engine, arn)
    assert len(tokens) == 1
    assert len(tokens[0]) >= 16
    scan = Scan(tuple(tokens))
    assert scan.finds({"Payload": {"taskToken": tokens[0]}})  # the scan would see it
    scan_deployment(engine, scan, histories=False)  # AWS keeps the token in its history
    for index, message in enumerate(messages):
        scan.look("messages", f"live update {index}", message)
    scan.look("records", "record while waiting", while_waiting)
    scan.look("records", "final record", record.to_json())
    scan.look("records", "persisted record", engine.record(record.id).to_json())
    logs = handler_logs()
    assert any(LOG_PROBE in line for line in logs)
    for line in logs:
        scan.look("log lines", "handler logs", line)
    assert scan.counts["items"] > 0
    assert scan.counts["messages"] > 0
    assert scan.found == []


def answer_through_the_api(engine: EmbeddedEngine, token: str, answer: Any) -> dict[str, Any]:
    """POST /forms?token=... with `answer`, through the HTTP API's handler as API Gateway
    calls it (no API key)."""
    path = "/forms"
    event = {
        "version": "2.0",
        "routeKey": "POST /forms",
        "rawPath": path,
        "rawQueryString": f"token={token}",
        "queryStringParameters": {"token": token},
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "body": json.dumps(answer),
        "isBase64Encoded": False,
    }
    return http_api.process(event, engine.ports, Invocation())


def as_shown(record: dict[str, Any]) -> dict[str, Any]:
    """`record` (or a live update) without where a form's token is shown by design:
    create-form's `url` and `token` outputs and wait-for-form's `token` input (the token is
    a value of Dafthunk's ports; used or expired, it is worth nothing)."""
    nodes = []
    for shown in record.get("nodeExecutions", []):
        if shown["nodeId"] == "form":
            shown = {**shown, "outputs": {}}
        if shown["nodeId"] == "review":
            shown = {**shown, "inputs": {}}
        nodes.append(shown)
    return {**record, "nodeExecutions": nodes}


@pytest.mark.parametrize(
    ("answered", "status"), [(True, "completed"), (False, "error")], ids=["answer", "timeout"]
)
def test_a_form_s_tokens_appear_in_no_item_or_log_and_in_records_only_as_its_ports(
    engine: EmbeddedEngine,
    handler_logs: Callable[[], list[str]],
    answered: bool,
    status: str,
) -> None:
    owner = organization()
    messages: list[dict[str, Any]] = []
    tokens: list[str] = []
    answers: list[dict[str, Any]] = []

    def receive(message: dict[str, Any]) -> None:
        messages.append(message)
        shown = {n["nodeId"]: n for n in message["nodeExecutions"]}
        if "outputs" in shown.get("form", {}):
            tokens.append(shown["form"]["outputs"]["token"])
        if answered and shown.get("review", {}).get("waitingFor") == "form":
            answer = {"amount": 5, "approved": True}
            sending = threading.Thread(
                target=lambda: answers.append(answer_through_the_api(engine, tokens[0], answer))
            )
            sending.start()

    record = engine.run(expense_form(60), organization_id=owner, on_update=receive)

    assert record.status == status
    if answered:
        assert [a["statusCode"] for a in answers] == [202]
    [form_token] = set(tokens)
    shown_ports = {n.node_id: n for n in record.node_executions}
    assert shown_ports["form"].outputs == {
        "url": f"{LOCAL_FORMS_URL}/forms?token={form_token}",
        "token": form_token,
    }
    assert shown_ports["review"].inputs == {"token": form_token}
    [arn] = [a for a in executions_of(engine) if a.endswith(record.id)]
    [task_token] = scheduled_tokens(engine, arn)
    task = Scan((task_token,))
    scan_deployment(engine, task, histories=False)  # every item, object, description
    form = Scan((form_token,))
    assert form.finds(record.to_json())  # the scan would see it
    scan_items_as_shown(engine, form)
    for line in handler_logs():
        task.look("log lines", "handler logs", line)
        form.look("log lines", "handler logs", line)
    for index, message in enumerate(messages):
        task.look("messages", f"live update {index}", message)
        form.look("messages", f"live update {index}", as_shown(message))
    for where, seen in (
        ("final", record.to_json()),
        ("stored", engine.record(record.id).to_json()),
    ):
        task.look("records", f"{where} record", seen)
        form.look("records", f"{where} record", as_shown(seen))
    assert task.counts["items"] > 0
    assert form.counts["items"] >= 3  # the record, the form and which node waited for it
    assert form.counts["messages"] > 0
    assert (task.found, form.found) == ([], [])


def scan_items_as_shown(engine: EmbeddedEngine, scan: Scan) -> None:
    """Search every item of the deployment's tables, a stored record as Dafthunk's ports
    show it (`as_shown`): a form's own items hold its token's digest alone."""
    dynamodb = engine.clients.dynamodb
    for setting, table in sorted(engine.deployment.settings.items()):
        if setting.endswith("_table"):
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    if "record" in item and "S" in item["record"]:
                        shown = as_shown(json.loads(item["record"]["S"]))
                        item = {**item, "record": {"S": json.dumps(shown)}}
                    scan.look("items", f"{table} item", item)


def test_serve_prints_no_form_token_whatever_its_loggers_say(
    cloud: LocalCloud,
    handler_logs: Callable[[], list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """serve's own output: uvicorn's access log would print each request line with its
    query string, a form's token; it is off, however verbose its logger is made."""
    from tests.api.test_forms import until_waiting  # a module of tests, imported when used

    caplog.set_level(logging.DEBUG)
    access = logging.getLogger("uvicorn.access")
    unknown = plaintext()
    with serving(EmbeddedEngine(cloud=cloud)) as served:
        level = access.level
        access.setLevel(logging.DEBUG)
        try:
            owner = served.organization()
            owner.deploy({**expense_form(600), "id": "forms"})
            started = owner.start("forms")
            token = until_waiting(owner, started)
            client = served.http()  # no API key
            page = client.get(f"/forms?token={token}")
            answered = client.post(f"/forms?token={token}", json={"amount": 5, "approved": True})
            refused = client.get(f"/forms?token={unknown}")
            record = owner.wait_for(started)
        finally:
            access.setLevel(level)

    assert (page.status_code, answered.status_code, refused.status_code) == (200, 202, 404)
    assert record["status"] == "completed"
    scan = Scan((token, unknown))
    lines = handler_logs()
    assert any(LOG_PROBE in line for line in lines)
    # every logger at DEBUG but the test's own HTTP client's, whose requests hold the token
    served_logs = [e for e in caplog.records if not e.name.startswith(CLIENT_LOGGERS)]
    assert served_logs
    for line in [*lines, *(f"{e.name}: {e.getMessage()}" for e in served_logs)]:
        scan.look("log lines", "serve's output", line)
    assert scan.found == []
