"""What serve does per started execution, counted on the clients it calls: the figures its
throughput rests on (`python -m bench.serve_load` measures the throughput itself).

A start stores its execution with one conditional write of the whole item, not an update
expression (which DynamoDB, and moto far more, evaluate clause by clause), and the state
machine's tasks reach their functions without a round trip through moto's Lambda service.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local.cloud import REGION
from tests.support.serving import Organization, Server
from tests.support.workflows import chain

CHECK_CREDITS = False  # as `stepthunk serve` runs
DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})


def answering(server: Server, monkeypatch: pytest.MonkeyPatch) -> threading.local:
    """Whether the current thread answers an HTTP request (`active`), not runs an execution."""
    handling = threading.local()
    http = server.gateway.http

    def marked_http(event: dict[str, Any]) -> dict[str, Any]:
        handling.active = True
        try:
            return http(event)
        finally:
            handling.active = False

    monkeypatch.setattr(server.gateway, "http", marked_http)
    return handling


@pytest.fixture
def writes_by_requests(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The DynamoDB operations that change data, made while serve handles an HTTP request
    (not by the executions running meanwhile)."""
    writes: list[str] = []
    handling = answering(server, monkeypatch)

    def count(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if getattr(handling, "active", False) and operation not in DYNAMODB_READS:
            writes.append(operation)

    events = server.engine.clients.dynamodb.meta.events
    events.register("before-call.dynamodb", count)
    yield writes
    events.unregister("before-call.dynamodb", count)


def test_a_start_stores_its_execution_with_one_put(
    org_a: Organization, writes_by_requests: list[str]
) -> None:
    org_a.deploy({**chain(), "id": "costs-start"})
    writes_by_requests.clear()

    execution_id = org_a.start("costs-start")

    assert writes_by_requests == ["PutItem"]
    assert org_a.wait_for(execution_id)["status"] == "completed"


def test_a_repeated_start_writes_nothing(
    org_a: Organization, writes_by_requests: list[str]
) -> None:
    org_a.deploy({**chain(), "id": "costs-repeat"})
    headers = {"Idempotency-Key": "costs-once"}
    first = org_a.http.post("/workflows/costs-repeat/executions", json={}, headers=headers)
    writes_by_requests.clear()

    again = org_a.http.post("/workflows/costs-repeat/executions", json={}, headers=headers)

    assert again.status_code == 202, again.text
    assert again.json()["executionId"] == first.json()["executionId"]
    assert writes_by_requests == ["PutItem"]  # refused by its condition: nothing stored


def test_tasks_reach_their_functions_without_moto_lambda(
    server: Server, org_a: Organization
) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    # The client the state machine's Lambda tasks are invoked with.
    client = lambda_eval_utils.boto_client_for(  # type: ignore[attr-defined]
        region=REGION, service="lambda", state_credentials=None
    )
    invokes: list[str] = []

    def count(**_: Any) -> None:
        invokes.append("Invoke")

    client.meta.events.register("before-call.lambda.Invoke", count)
    try:
        org_a.deploy({**chain(), "id": "costs-tasks"})
        record = org_a.wait_for(org_a.start("costs-tasks"))
    finally:
        client.meta.events.unregister("before-call.lambda.Invoke", count)

    assert record["status"] == "completed"
    assert invokes == []


def test_finalize_reads_only_the_status_of_the_execution(
    server: Server, org_a: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Finalize looks whether an earlier attempt stored the final record already: by its
    status alone, not by the item's other attributes (its origin holds the run's inputs)."""
    table = server.engine.deployment.settings["executions_table"]
    handling = answering(server, monkeypatch)
    # (execution id, attributes asked for) of each read an execution made of its record
    read: list[tuple[str, list[str]]] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table and not getattr(handling, "active", False):
            names = sorted(params.get("ExpressionAttributeNames", {}).values())
            read.append((params["Key"]["id"]["S"], names))

    events = server.engine.clients.dynamodb.meta.events
    events.register("before-parameter-build.dynamodb.GetItem", count)
    try:
        org_a.deploy({**chain(), "id": "costs-finalize"})
        execution_id = org_a.start("costs-finalize")
        record = org_a.wait_for(execution_id)
    finally:
        events.unregister("before-parameter-build.dynamodb.GetItem", count)

    assert record["status"] == "completed"
    # (an execution an earlier test started may still be running: its reads are not these)
    assert [names for read_id, names in read if read_id == execution_id] == [["status"]]
