"""A wait-for-event node's task token (what resumes its execution) is never shown: no record,
live update, log, table item, stored object or execution description holds it, whether the
wait ends by an event, a rejection or its timeout (tests.support.secret_scan).

Step Functions' own execution history holds it, as it holds every task's parameters: its
TaskScheduled event is where this test finds the token to search for. A caller names the
execution and the node (POST /executions/{id}/nodes/{nodeId}/event), never the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from lambdas.lifecycle.event_delivery import Rejection
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.secret_scan import (
    LOG_PROBE,
    Scan,
    executions_of,
    history,
    organization,
    scan_deployment,
)
from tests.support.workflows import edge, node, workflow


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
