"""Wait nodes as Wait states, and the live updates an execution sends (best effort, in pages
that each fit a WebSocket message)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError

from lambdas.adapters.progress import DynamoProgressStore
from lambdas.runtime.payload import REFERENCE
from lambdas.runtime.store_errors import StoreRequestRejected
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from tests.support.runs import Run, compact_size, run
from tests.support.workflows import bulky, bulky_texts, edge, node, workflow

MESSAGE_LIMIT = 128 * 1000  # API Gateway WebSocket frame, bytes
BIG = "stepthunk " * 500_000  # 5 MB of text


def waiting_on_a_literal() -> dict[str, Any]:
    return workflow(
        node("v", "text-input", value="hello"),
        node("w", "wait", seconds=1),
        node("o", "output-text"),
        edges=[edge("v.value", "w.value"), edge("w.value", "o.value")],
    )


def waiting_on_an_upstream_node() -> dict[str, Any]:
    return workflow(
        node("n", "number-input", value=1),
        node("w", "wait", value="hello"),
        node("o", "output-text"),
        edges=[edge("n.value", "w.seconds"), edge("w.value", "o.value")],
    )


def waiting_after_a_failure() -> dict[str, Any]:
    return workflow(
        node("d", "division", a=1, b=0),
        node("w", "wait", value="hello"),
        edges=[edge("d.result", "w.seconds")],
    )


def resolved_seconds(finished: Run) -> list[Any]:
    """The seconds each entry of the Wait state `Wait w` read from its input."""
    return [state["waits"][0] for state in finished.entered_inputs("Wait w")]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in record.items() if k not in {"id", "organizationId", "startedAt", "endedAt"}
    }


@pytest.mark.parametrize("flow", [waiting_on_a_literal, waiting_on_an_upstream_node])
def test_a_wait_node_becomes_a_wait_state_that_passes_its_value_on(
    unit_per_node: EmbeddedEngine, flow: Any
) -> None:
    finished = run(unit_per_node, flow())

    assert finished.entered("Wait") == ["Wait w"]
    assert finished.description["status"] == "SUCCEEDED", finished.description.get("cause")
    # Step Functions reads SecondsPath as an integer
    assert resolved_seconds(finished) == [1]
    assert all(isinstance(s, int) for s in resolved_seconds(finished)), resolved_seconds(finished)
    assert finished.record.status == "completed"
    assert finished.record.node("w").status == "completed"
    assert finished.record.node("w").outputs == {"value": "hello"}
    assert finished.record.node("o").outputs == {"displayValue": "hello"}


def test_a_wait_node_after_a_failed_node_is_skipped_without_waiting(
    unit_per_node: EmbeddedEngine,
) -> None:
    finished = run(unit_per_node, waiting_after_a_failure())

    assert "Finalize" in finished.entered(), finished.description.get("cause")
    assert resolved_seconds(finished) == [0]
    assert finished.record.status == "error"
    assert finished.record.node("w").status == "skipped"
    assert finished.record.node("w").skip_reason == "upstream_failure"


@pytest.mark.parametrize(
    "flow", [waiting_on_a_literal, waiting_on_an_upstream_node, waiting_after_a_failure]
)
def test_wait_workflows_end_as_on_the_in_process_engine(
    unit_per_node: EmbeddedEngine, flow: Any
) -> None:
    on_step_functions = run(unit_per_node, flow()).record.to_json()
    in_process = InProcessEngine().run(flow()).to_json()

    assert comparable(on_step_functions) == comparable(in_process)


def chain() -> dict[str, Any]:
    return workflow(
        node("a", "number-input", value=2),
        node("b", "addition", b=3),
        node("c", "output-number"),
        edges=[edge("a.value", "b.a"), edge("b.result", "c.value")],
    )


def test_an_update_is_sent_at_the_start_after_each_unit_and_at_the_end(
    unit_per_node: EmbeddedEngine,
) -> None:
    updates: list[dict[str, Any]] = []

    finished = run(unit_per_node, chain(), on_update=updates.append)

    assert finished.units == 3
    assert [u["type"] for u in updates] == ["execution_update"] * 5
    assert {u["executionId"] for u in updates} == {finished.record.id}
    assert [u["status"] for u in updates] == ["executing"] * 4 + ["completed"]
    statuses = [{e["nodeId"]: e["status"] for e in u["nodeExecutions"]} for u in updates]
    assert statuses[0] == {"a": "idle", "b": "idle", "c": "idle"}
    # after a unit, the nodes it changed (SPEC §8); at the end, the whole record
    assert statuses[1:4] == [{"a": "completed"}, {"b": "completed"}, {"c": "completed"}]
    assert updates[-1]["nodeExecutions"] == [e.to_json() for e in finished.record.node_executions]
    assert [u["page"] for u in updates] == [{"index": 1, "count": 1}] * 5


def test_the_in_process_engine_announces_after_a_unit_the_nodes_it_ran() -> None:
    updates: list[dict[str, Any]] = []

    record = InProcessEngine(max_group_size=1).run(chain(), on_update=updates.append)

    statuses = [{e["nodeId"]: e["status"] for e in u["nodeExecutions"]} for u in updates]
    assert statuses[0] == {"a": "idle", "b": "idle", "c": "idle"}
    assert statuses[1:4] == [{"a": "completed"}, {"b": "completed"}, {"c": "completed"}]
    assert updates[-1]["nodeExecutions"] == [e.to_json() for e in record.node_executions]


def _connection_lookups(engine: EmbeddedEngine) -> tuple[Run, list[str]]:
    """A three-unit chain run on `engine`, and the sessions whose connections it looked up."""
    table = engine.deployment.settings["connections_table"]
    dynamodb = engine.clients.dynamodb
    lookups: list[str] = []

    def looked(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table:
            lookups.append(params["ExpressionAttributeValues"][":session"]["S"])

    dynamodb.meta.events.register("before-parameter-build.dynamodb.Query", looked)
    try:
        finished = run(engine, chain())
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.Query", looked)
    assert finished.record.status == "completed"
    assert finished.units == 3
    return finished, lookups


def test_a_run_nobody_listens_to_looks_once_a_unit_for_listeners_and_keeps_nothing(
    unit_per_node: EmbeddedEngine,
) -> None:
    # A client is connected (to another session): the functions cannot know it is not
    # this execution's, as on AWS.
    unit_per_node.cloud.listen("another-session", lambda data: None)
    try:
        finished, lookups = _connection_lookups(unit_per_node)
    finally:
        unit_per_node.cloud.listen("another-session", None)

    # one query for subscribers at the start, after each unit and at the end: nothing else
    assert lookups == [f"execution#{finished.record.id}"] * (finished.units + 2)
    # the units' results are in the record, and kept no longer
    settings = unit_per_node.deployment.settings
    kept = DynamoProgressStore(unit_per_node.clients.dynamodb, settings["executions_table"])
    assert kept.get(finished.record.id, range(finished.units)) == {}


def test_the_embedded_engine_looks_for_no_listener_while_no_client_is_connected(
    unit_per_node: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process's cloud is shared: no client of another test is connected during this one.
    monkeypatch.setattr(unit_per_node.cloud, "listeners", {})
    assert not unit_per_node.cloud.listened()

    _, lookups = _connection_lookups(unit_per_node)

    assert lookups == []


def test_a_wait_node_is_executing_while_its_wait_state_runs(
    unit_per_node: EmbeddedEngine,
) -> None:
    updates: list[dict[str, Any]] = []

    finished = run(unit_per_node, waiting_on_a_literal(), on_update=updates.append)

    seen = [e for u in updates[1:-1] for e in u["nodeExecutions"] if e["nodeId"] == "w"]
    assert [e["status"] for e in seen] == ["executing", "completed"]
    assert seen[0]["inputs"] == {"seconds": 1, "value": "hello"}
    # the task before the Wait state announces it executing; the first task after it,
    # completed, with the node that task runs
    assert [{e["nodeId"]: e["status"] for e in u["nodeExecutions"]} for u in updates[1:-1]] == [
        {"v": "completed", "w": "executing"},
        {"w": "completed", "o": "completed"},
    ]
    assert finished.record.node("w").status == "completed"
    assert finished.record.node("w").usage == 1


def test_updates_carry_a_5_mb_value_by_reference(unit_per_node: EmbeddedEngine) -> None:
    updates: list[dict[str, Any]] = []
    flow = workflow(
        node("t", "text-input"), node("o", "output-text"), edges=[edge("t.value", "o.value")]
    )

    finished = run(unit_per_node, flow, inputs={"t": {"value": BIG}}, on_update=updates.append)

    assert finished.record.node("o").outputs == {"displayValue": BIG}
    assert updates[-1]["status"] == "completed"
    [t, o] = updates[-1]["nodeExecutions"]
    assert [t["status"], o["status"]] == ["completed", "completed"]
    assert list(o["inputs"]["value"]) == list(o["outputs"]["displayValue"]) == [REFERENCE]
    assert max(compact_size(u) for u in updates) <= MESSAGE_LIMIT


def final_pages(updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pages of the last update, checked to arrive in order, each under the limit."""
    assert max(compact_size(u) for u in updates) <= MESSAGE_LIMIT
    count = updates[-1]["page"]["count"]
    pages = updates[-count:]
    assert [p["page"] for p in pages] == [{"index": i, "count": count} for i in range(1, count + 1)]
    return pages


def test_a_final_record_of_600_kb_arrives_whole_in_pages(engine: EmbeddedEngine) -> None:
    updates: list[dict[str, Any]] = []

    finished = run(engine, bulky(), inputs=bulky_texts(), on_update=updates.append)

    pages = final_pages(updates)
    assert len(pages) > 1
    assert {p["status"] for p in pages} == {"completed"}
    assert [e for p in pages for e in p["nodeExecutions"]] == [
        e.to_json() for e in finished.record.node_executions
    ]


def test_the_in_process_engine_sends_its_final_record_in_pages_too() -> None:
    updates: list[dict[str, Any]] = []

    record = InProcessEngine().run(bulky(), inputs=bulky_texts(), on_update=updates.append)

    pages = final_pages(updates)
    assert len(pages) > 1
    assert {p["status"] for p in pages} == {"completed"}
    assert [e for p in pages for e in p["nodeExecutions"]] == [
        e.to_json() for e in record.node_executions
    ]


def test_the_in_process_engine_ends_its_updates_with_the_final_record() -> None:
    updates: list[dict[str, Any]] = []
    failing = workflow(node("a", "number-input", value=2), node("d", "division", a=1, b=0))

    record = InProcessEngine().run(failing, on_update=updates.append)

    assert record.status == "error"
    assert [u["status"] for u in updates] == ["executing", "executing", "error"]
    assert updates[-1]["error"] == record.error
    assert updates[-1]["nodeExecutions"] == [e.to_json() for e in record.node_executions]
    assert updates[-1]["page"] == {"index": 1, "count": 1}


class Gone(JsonRESTError):
    """What API Gateway answers for a connection whose client has left."""

    code = 410

    def __init__(self) -> None:
        super().__init__("GoneException", "The connection is gone")


def test_an_update_listener_that_breaks_does_not_fail_the_execution(
    unit_per_node: EmbeddedEngine,
) -> None:
    received: list[dict[str, Any]] = []

    def broken(message: dict[str, Any]) -> None:
        received.append(message)
        raise RuntimeError("listener broke")

    finished = run(unit_per_node, chain(), on_update=broken)

    assert len(received) == 5  # every send was tried
    assert finished.description["status"] == "SUCCEEDED"
    assert finished.record.status == "completed"
    assert finished.record.node("c").outputs == {"displayValue": 5}


def test_a_gone_client_is_forgotten_and_the_execution_goes_on(
    unit_per_node: EmbeddedEngine,
) -> None:
    received: list[dict[str, Any]] = []

    def gone(message: dict[str, Any]) -> None:
        received.append(message)
        raise Gone()

    finished = run(unit_per_node, chain(), on_update=gone)

    assert len(received) == 1  # the connection was deleted after the first failed post
    connections = unit_per_node.cloud.client("dynamodb").scan(
        TableName=unit_per_node.deployment.settings["connections_table"],
        FilterExpression="sessionId = :session",
        ExpressionAttributeValues={":session": {"S": f"session-{finished.record.id}"}},
    )
    assert connections["Items"] == []
    assert finished.description["status"] == "SUCCEEDED"
    assert finished.record.status == "completed"


def test_the_local_cloud_refuses_a_message_over_128_kb_as_api_gateway_does(
    unit_per_node: EmbeddedEngine,
) -> None:
    live_updates = unit_per_node.live_updates
    assert live_updates is not None
    received: list[bytes] = []
    unit_per_node.cloud.listen("connection-big", received.append)
    try:
        assert live_updates.post("connection-big", {"text": "x" * 120_000}) is True
        with pytest.raises(StoreRequestRejected) as refused:
            live_updates.post("connection-big", {"text": "x" * 135_000})
    finally:
        unit_per_node.cloud.listen("connection-big", None)

    assert refused.value.code == "PayloadTooLargeException"
    assert len(received) == 1
