"""Store faults: retried where transient, silent where they mean "already done", clear where not.

Faults are AWS errors of the clients the handlers' adapters hold (see conftest), injected
into runs of the embedded engine that checks and charges credits. No half-written record:
at the instant each fault is injected the execution's item is read and must be absent or a
whole record (the previous one), and at the end it must be the whole new one. Each test
reports how many store faults it injected.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from lambdas.handlers import finalize, persist
from lambdas.handlers.entry import Invocation
from lambdas.lifecycle.begin import begin
from lambdas.runtime.record import ExecutionStatus
from lambdas.runtime.state import WorkflowState
from local.embedded import EmbeddedEngine
from statemachine.state_names import INITIALIZE
from tests.conftest import Figure
from tests.reliability.conftest import (
    SECRET,
    ClientFault,
    ClientFaults,
    PongServer,
    Updates,
    attempts,
    charges,
    comparable,
    fetch_secret,
    funded,
    launch,
    usage,
    whole_record,
)
from tests.support.runs import Run
from tests.support.workflows import chain, edge, node, workflow

BIG = "stepthunk " * 1000  # 10 KB: stored in S3 by reference (values over 8 KiB are)
Selector = Callable[[dict[str, Any]], bool]


def big_value() -> dict[str, Any]:
    return workflow(
        node("t", "text-input", value=BIG),
        node("o", "output-text"),
        edges=[edge("t.value", "o.value")],
    )


def large_record() -> dict[str, Any]:
    """24 nodes of 6.5 KB values: a record over the 300 KB kept inline, so its body goes
    to S3 and the item points to it."""
    return workflow(
        *(node(f"t{i}", "text-input", value=f"{i:02d}" + "x" * 6500) for i in range(24))
    )


class Attempt:
    """One execution to come, in an organization of its own: the faults injected into its
    stores, what its item held at each of them (a status; None: absent), its live updates."""

    def __init__(self, engine: EmbeddedEngine, secrets: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.organization = funded(engine, secrets)
        self.execution_id = str(uuid.uuid4())
        self.seen: list[str | None] = []
        self.updates = Updates()
        self.faults: list[ClientFault] = []

    def fail(
        self,
        client_faults: ClientFaults,
        service: str,
        method: str,
        when: Selector,
        code: str,
        **options: Any,
    ) -> ClientFault:
        fault = ClientFault(when, code=code, on_fault=self.snapshot, **options)
        self.faults.append(client_faults.inject(self.engine.cloud.client(service), method, fault))
        return fault

    def snapshot(self, params: dict[str, Any]) -> None:
        try:
            record = whole_record(self.engine, self.execution_id)
        except Exception as error:  # noqa: BLE001 - shown by the test's assertion on `seen`
            self.seen.append(f"not whole: {type(error).__name__}: {error}")
            return
        self.seen.append(None if record is None else record.status)

    def run(self, flow: dict[str, Any]) -> Run:
        return launch(
            self.engine,
            flow,
            self.organization,
            execution_id=self.execution_id,
            on_update=self.updates,
        )

    def charged(self) -> list[int]:
        return charges(self.engine, self.organization)

    def report(self, figure: Figure, also: str | None = None) -> int:
        """Report the faults injected, `also` one made otherwise (data, a departed client)."""
        injected = sum(f.injected for f in self.faults) + (also is not None)
        figure(f"{injected} store faults injected" + (f" ({also})" if also else ""))
        return injected


def record_writes(engine: EmbeddedEngine, execution_id: str, status: str) -> Selector:
    table = engine.deployment.settings["executions_table"]

    def selected(params: dict[str, Any]) -> bool:
        written = params.get("ExpressionAttributeValues", {}).get(":status", {}).get("S")
        key = params.get("Key", {}).get("id", {}).get("S")
        return bool(params.get("TableName") == table and key == execution_id and written == status)

    return selected


def ledger_writes(engine: EmbeddedEngine) -> Selector:
    table = engine.deployment.settings["organizations_table"]
    return lambda params: params["TransactItems"][0]["Put"]["TableName"] == table


def uploads(engine: EmbeddedEngine, prefix: str) -> Selector:
    bucket = engine.deployment.settings["blob_bucket"]
    return lambda params: params["Bucket"] == bucket and params["Key"].startswith(prefix)


def decrypts(engine: EmbeddedEngine) -> Selector:
    key = engine.deployment.settings["kms_key_id"]
    return lambda params: params.get("KeyId") == key


@pytest.fixture(scope="module")
def references(paying: EmbeddedEngine, pong: PongServer) -> dict[str, Run]:
    """Fault-free runs to compare with."""
    return {
        "chain": launch(paying, chain(), funded(paying)),
        "big": launch(paying, big_value(), funded(paying)),
        "fetch": launch(paying, fetch_secret(pong.url), funded(paying, {"TOKEN": SECRET})),
    }


# DynamoDB: throttled record writes and charges are retried


@pytest.mark.parametrize(
    ("write", "code"),
    [
        ("completed", "ProvisionedThroughputExceededException"),
        ("completed", "ThrottlingException"),
        ("executing", "ProvisionedThroughputExceededException"),
    ],
)
def test_a_throttled_record_write_is_retried_to_one_whole_final_record_and_one_charge(
    paying: EmbeddedEngine,
    client_faults: ClientFaults,
    references: dict[str, Run],
    write: str,
    code: str,
    figure: Figure,
) -> None:
    attempt = Attempt(paying)
    selected = record_writes(paying, attempt.execution_id, write)
    throttle = attempt.fail(client_faults, "dynamodb", "update_item", selected, code, times=1)

    finished = attempt.run(chain())

    record = finished.record
    assert finished.invocations("finalize" if write == "completed" else "initialize") == 2
    # the item held the submitted record (written before the start, on every engine) or the
    # whole start record
    assert attempt.seen == ["submitted" if write == "executing" else "executing"]
    assert [error for _, error in throttle.calls] == [code, None]
    assert comparable(record) == comparable(references["chain"].record)
    stored = whole_record(paying, attempt.execution_id)
    assert stored is not None
    assert stored.status == "completed"
    assert attempt.charged() == [record.usage]
    assert usage(paying, attempt.organization) == record.usage
    assert [u["status"] for u in attempt.updates.finals] == ["completed"]
    assert attempt.report(figure) == 1


@pytest.mark.parametrize(
    ("code", "reasons"),
    [
        ("ThrottlingException", None),
        ("TransactionCanceledException", [{"Code": "None"}, {"Code": "ThrottlingError"}]),
    ],
)
def test_a_throttled_charge_is_retried_and_charges_once(
    paying: EmbeddedEngine, client_faults: ClientFaults, code: str, reasons: Any, figure: Figure
) -> None:
    attempt = Attempt(paying)
    response = {} if reasons is None else {"CancellationReasons": reasons}
    selected = ledger_writes(paying)
    attempt.fail(
        client_faults,
        "dynamodb",
        "transact_write_items",
        selected,
        code,
        times=1,
        response=response,
    )

    finished = attempt.run(chain())

    assert finished.invocations("finalize") == 2
    assert attempt.seen == ["executing"]
    assert finished.record.status == "completed"
    assert attempt.charged() == [3]
    assert usage(paying, attempt.organization) == finished.record.usage == 3
    assert attempt.report(figure) == 1


# DynamoDB: a conditional check that fails because the work was done is silent


def test_finalizing_a_charged_execution_again_charges_nothing_and_raises_nothing(
    paying: EmbeddedEngine, client_faults: ClientFaults, figure: Figure
) -> None:
    organization = funded(paying)
    finished = launch(paying, chain(), organization)
    charge = client_faults.inject(
        paying.cloud.client("dynamodb"), "transact_write_items", ClientFault(ledger_writes(paying))
    )
    settings = finalize.Settings.model_validate(paying.deployment.settings)
    [state] = finished.entered_inputs("Finalize")
    event = {"state": state, "nodeIds": ["a", "b", "c"]}

    outcome = finalize.process(
        event, finalize.deps_from(settings, paying.clients), Invocation(time.monotonic() + 60)
    )

    assert outcome["status"] == "completed"
    # DynamoDB refused the second ledger item: the condition "not charged yet" failed
    assert [error for _, error in charge.calls] == ["TransactionCanceledException"]
    assert charges(paying, organization) == [finished.record.usage]
    assert usage(paying, organization) == finished.record.usage
    again = whole_record(paying, finished.record.id)
    assert again is not None
    assert comparable(again) == comparable(finished.record)
    figure("0 store faults injected (a conditional-check failure provoked: a repeated charge)")


def test_a_late_start_record_after_the_final_one_is_dropped_silently(
    paying: EmbeddedEngine, client_faults: ClientFaults, figure: Figure
) -> None:
    finished = launch(paying, chain(), funded(paying))
    execution_id = finished.record.id
    late = client_faults.inject(
        paying.cloud.client("dynamodb"),
        "update_item",
        ClientFault(record_writes(paying, execution_id, "executing")),
    )
    settings = persist.Settings.model_validate(paying.deployment.settings)
    deps = persist.deps_from(settings, paying.clients)
    [state] = finished.entered_inputs(INITIALIZE)
    started = WorkflowState.model_validate(state)

    begin(deps, started, ExecutionStatus.EXECUTING, ["a", "b", "c"])

    assert [error for _, error in late.calls] == ["ConditionalCheckFailedException"]
    assert whole_record(paying, execution_id) == finished.record  # endedAt and all
    figure("0 store faults injected (a conditional-check failure provoked: a late record)")


# S3: slowing down is retried; a missing or forbidden bucket fails the execution clearly


def test_s3_slowing_down_while_storing_a_large_value_is_retried(
    paying: EmbeddedEngine, client_faults: ClientFaults, references: dict[str, Run], figure: Figure
) -> None:
    attempt = Attempt(paying)
    selected = uploads(paying, "values/")
    attempt.fail(client_faults, "s3", "put_object", selected, "SlowDown", status=503, times=1)

    finished = attempt.run(big_value())

    assert finished.invocations("run_inline_group") == 2
    assert attempt.seen == ["executing"]
    assert comparable(finished.record) == comparable(references["big"].record)
    assert (finished.record.node("o").outputs or {})["displayValue"] == BIG
    assert attempt.charged() == [finished.record.usage]
    assert attempt.report(figure) == 1


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [("NoSuchBucket", 404, "StoreMissing"), ("AccessDenied", 403, "StoreAccessDenied")],
)
def test_a_missing_or_forbidden_bucket_fails_the_execution_naming_the_action(
    paying: EmbeddedEngine,
    client_faults: ClientFaults,
    code: str,
    status: int,
    kind: str,
    figure: Figure,
) -> None:
    attempt = Attempt(paying)
    attempt.fail(client_faults, "s3", "put_object", uploads(paying, "values/"), code, status=status)

    finished = attempt.run(big_value())

    record = finished.record
    assert finished.invocations("run_inline_group") == 1  # not retried
    assert attempt.seen == ["executing"]
    assert "Finalize" in finished.entered()
    assert finished.description["status"] == "FAILED"
    assert record.status == "error"
    assert record.error is not None
    assert record.error.startswith(f"{kind}: PutObject values/{attempt.organization}/")
    assert f"failed with {code}" in record.error
    assert [e.status for e in record.node_executions] == ["idle", "idle"]
    stored = whole_record(paying, attempt.execution_id)
    assert stored is not None
    assert stored.error == record.error
    assert attempt.charged() == []
    assert [u["error"] for u in attempt.updates.finals] == [record.error]
    assert attempt.report(figure) == 1


def test_a_large_final_record_stays_whole_through_a_failed_upload_and_a_throttled_write(
    paying: EmbeddedEngine, client_faults: ClientFaults, figure: Figure
) -> None:
    attempt = Attempt(paying)
    body = uploads(paying, f"records/{attempt.execution_id}")
    attempt.fail(client_faults, "s3", "put_object", body, "SlowDown", status=503, times=1)
    item = record_writes(paying, attempt.execution_id, "completed")
    code = "ProvisionedThroughputExceededException"
    attempt.fail(client_faults, "dynamodb", "update_item", item, code, times=1)

    finished = attempt.run(large_record())

    assert finished.invocations("finalize") == 3
    # the body was uploaded before the throttled write: the item still held the start record
    assert attempt.seen == ["executing", "executing"]
    stored_item = paying.cloud.client("dynamodb").get_item(
        TableName=paying.deployment.settings["executions_table"],
        Key={"id": {"S": attempt.execution_id}},
        ConsistentRead=True,
    )["Item"]
    assert "recordKey" in stored_item  # kept in S3, as large records are
    assert "record" not in stored_item
    stored = whole_record(paying, attempt.execution_id)
    assert stored is not None
    assert stored.status == "completed"
    assert len(stored.node_executions) == 24
    assert attempt.charged() == [24]
    assert attempt.report(figure) == 2


# KMS: hiccups are retried; a refused decryption fails only the node that asked


def nowhere_but_the_server(finished: Run, updates: Updates, plaintext: str) -> None:
    """The plaintext is in no record, state, history event or live update."""
    assert plaintext not in json.dumps(finished.record.to_json())
    assert plaintext not in json.dumps(finished.history, default=str)
    assert plaintext not in json.dumps(updates.messages)


@pytest.mark.parametrize(
    ("code", "status"), [("KMSInternalException", 500), ("ThrottlingException", 400)]
)
def test_kms_hiccups_while_opening_a_secret_are_retried(
    paying: EmbeddedEngine,
    client_faults: ClientFaults,
    references: dict[str, Run],
    pong: PongServer,
    code: str,
    status: int,
    figure: Figure,
) -> None:
    attempt = Attempt(paying, {"TOKEN": SECRET})
    attempt.fail(client_faults, "kms", "decrypt", decrypts(paying), code, status=status, times=1)
    before = len(pong.requests)

    finished = attempt.run(fetch_secret(pong.url))

    assert attempts(finished, "f") == 2
    assert attempt.seen == ["executing"]
    assert comparable(finished.record) == comparable(references["fetch"].record)
    # the secret is opened before the request is sent: the server was called once
    assert [r["authorization"] for r in pong.requests[before:]] == [f"Bearer {SECRET}"]
    assert attempt.charged() == [finished.record.usage]
    nowhere_but_the_server(finished, attempt.updates, SECRET)
    assert attempt.report(figure) == 1


def test_a_secret_sealed_for_another_organization_fails_only_the_node_reading_it(
    paying: EmbeddedEngine, pong: PongServer, figure: Figure
) -> None:
    theirs = "their-token-b41c"
    other = funded(paying, {"TOKEN": theirs})
    attempt = Attempt(paying)
    table = paying.deployment.settings["secrets_table"]
    dynamodb = paying.cloud.client("dynamodb")
    key = {"organizationId": {"S": other}, "name": {"S": "TOKEN"}}
    stolen = dynamodb.get_item(TableName=table, Key=key)["Item"]
    # their ciphertext stored under our name: KMS must refuse it (another encryption context)
    dynamodb.put_item(
        TableName=table, Item={**stolen, "organizationId": {"S": attempt.organization}}
    )
    before = len(pong.requests)

    finished = attempt.run(fetch_secret(pong.url))

    record = finished.record
    assert record.status == "error"
    assert record.node("address").status == "completed"
    error = record.node("f").error or ""
    assert error.startswith("SealedValueRefused: ")
    assert f"Decrypt secret of organization '{attempt.organization}'" in error
    assert "InvalidCiphertextException" in error
    skipped = {record.node(n).skip_reason for n in ("show-status", "show-body")}
    assert skipped == {"upstream_failure"}
    assert attempts(finished, "f") == 1  # a node failure, never retried
    assert len(pong.requests) == before
    nowhere_but_the_server(finished, attempt.updates, theirs)
    stored = whole_record(paying, record.id)
    assert stored is not None
    assert stored.node("f").error == error
    assert attempt.charged() == [record.node("address").usage]
    assert attempt.report(figure, "a ciphertext of another organization") == 1


def test_kms_access_denied_fails_the_node_reading_the_secret_with_a_clear_message(
    paying: EmbeddedEngine, client_faults: ClientFaults, pong: PongServer, figure: Figure
) -> None:
    attempt = Attempt(paying, {"TOKEN": SECRET})
    message = "The key policy does not allow kms:Decrypt"
    code = "AccessDeniedException"
    attempt.fail(client_faults, "kms", "decrypt", decrypts(paying), code, message=message)
    before = len(pong.requests)

    finished = attempt.run(fetch_secret(pong.url))

    record = finished.record
    assert record.status == "error"
    assert record.node("f").error == (
        f"StoreAccessDenied: Decrypt secret of organization '{attempt.organization}' failed "
        f"with AccessDeniedException: {message}"
    )
    assert attempts(finished, "f") == 1
    assert attempt.seen == ["executing"]
    assert len(pong.requests) == before
    nowhere_but_the_server(finished, attempt.updates, SECRET)
    stored = whole_record(paying, attempt.execution_id)
    assert stored is not None
    assert stored.status == "error"
    assert attempt.report(figure) == 1


# API Gateway: a client that has gone is forgotten; the execution and the others go on


def test_a_client_gone_mid_execution_is_deleted_and_the_session_goes_on(
    paying: EmbeddedEngine, figure: Figure
) -> None:
    attempt = Attempt(paying)
    session_id = f"session-{attempt.execution_id}"  # the session EmbeddedEngine.run opens
    departed = f"departed-{attempt.execution_id}"
    assert paying.live_updates is not None
    paying.live_updates.add(session_id, departed, attempt.organization)
    received: list[bytes] = []

    def leaves_after_two(data: bytes) -> None:
        received.append(data)
        if len(received) == 2:
            paying.cloud.listen(departed, None)  # later posts: 410 Gone

    paying.cloud.listen(departed, leaves_after_two)

    finished = attempt.run(chain())

    assert finished.description["status"] == "SUCCEEDED"
    assert finished.record.status == "completed"
    assert len(received) == 2
    assert len(attempt.updates.messages) == 3  # start, the inline group, the end
    assert [u["status"] for u in attempt.updates.finals] == ["completed"]
    left = paying.cloud.client("dynamodb").query(
        TableName=paying.deployment.settings["connections_table"],
        KeyConditionExpression="sessionId = :session",
        ExpressionAttributeValues={":session": {"S": session_id}},
        ConsistentRead=True,
    )["Items"]
    assert left == []
    assert attempt.report(figure, "a WebSocket client gone") == 1
