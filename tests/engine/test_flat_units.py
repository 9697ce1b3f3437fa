"""What a unit moves does not grow with the workflow.

Each unit's task input and output (the state, in the execution's history) keep the same size
from the first unit to the last, and a unit reads from the ProgressStore only the results of
the units that feed it: its cost depends on its fan-in and its own nodes, never on how many
nodes ran before it. The record is the in-process engine's all the same.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdas.adapters.objects import S3ValueStore
from lambdas.adapters.progress import DynamoProgressStore
from lambdas.runtime.payload import Payloads
from lambdas.runtime.reuse import reusable
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine import state_names as names
from statemachine.graph import dependencies
from statemachine.planner import plan_workflow
from statemachine.validation import validate_workflow
from tests.support.runs import Run, compact_size, new_organization, run
from tests.support.workflows import edge, node, workflow

# States that are not units: their inputs and outputs are not a unit's to bound.
NOT_UNITS = {names.CHECK_CREDITS, names.INITIALIZE, names.FINALIZE, names.PERSIST_EXHAUSTED}


def counting_chain(length: int, *, fail_at: int | None = None) -> dict[str, Any]:
    """n0 = 1, then n(i) = n(i-1) + 1 up to n(length-1) = length; with `fail_at`, that node
    divides by zero instead, so it and everything after it do not complete."""
    nodes = [node("n0", "number-input", value=1)]
    edges = []
    for i in range(1, length):
        if i == fail_at:
            nodes.append(node(f"n{i}", "division", b=0))
            edges.append(edge(f"n{i - 1}.result", f"n{i}.a"))
            continue
        nodes.append(node(f"n{i}", "addition", b=1))
        source = "n0.value" if i == 1 else f"n{i - 1}.result"
        edges.append(edge(source, f"n{i}.a"))
    return workflow(*nodes, edges=edges, workflow_id=f"chain-{length}", name="Counting chain")


def wide_fan_in(width: int) -> dict[str, Any]:
    """`width` number inputs, all summed by one node."""
    nodes = [node(f"v{i}", "number-input", value=i) for i in range(width)]
    nodes.append(node("total", "sum"))
    edges = [edge(f"v{i}.value", "total.numbers") for i in range(width)]
    return workflow(*nodes, edges=edges, workflow_id=f"fan-in-{width}", name="Wide fan-in")


@dataclass
class StoreTraffic:
    """What the units of executions read from and wrote to the ProgressStore, call by call:
    (execution id, units named, bytes of JSON moved)."""

    reads: list[tuple[str, list[int], int]] = field(default_factory=list)
    writes: list[tuple[str, list[int], int]] = field(default_factory=list)
    # bytes through the value store (S3), where large values and large results maps go
    values: list[int] = field(default_factory=list)

    def of(self, execution_id: str) -> tuple[list[tuple[list[int], int]], ...]:
        return tuple(
            [(units, size) for execution, units, size in calls if execution == execution_id]
            for calls in (self.reads, self.writes)
        )


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> StoreTraffic:
    seen = StoreTraffic()
    real_get, real_put = DynamoProgressStore.get, DynamoProgressStore.put

    def get(self: DynamoProgressStore, execution_id: str, units: Any) -> dict[int, Any]:
        wanted = list(units)
        found = real_get(self, execution_id, wanted)
        seen.reads.append((execution_id, wanted, compact_size(found)))
        return found

    def put(self: DynamoProgressStore, execution_id: str, units: Any) -> None:
        seen.writes.append((execution_id, sorted(units), compact_size(units)))
        real_put(self, execution_id, units)

    real_get_value, real_put_value = S3ValueStore.get_value, S3ValueStore.put_value

    def get_value(self: S3ValueStore, key: str) -> bytes:
        data = real_get_value(self, key)
        seen.values.append(len(data))
        return data

    def put_value(self: S3ValueStore, organization_id: str, data: bytes) -> str:
        seen.values.append(len(data))
        return real_put_value(self, organization_id, data)

    monkeypatch.setattr(DynamoProgressStore, "get", get)
    monkeypatch.setattr(DynamoProgressStore, "put", put)
    monkeypatch.setattr(S3ValueStore, "get_value", get_value)
    monkeypatch.setattr(S3ValueStore, "put_value", put_value)
    return seen


def unit_task_sizes(finished: Run) -> list[tuple[int, int]]:
    """(input bytes, output bytes) of each unit task, in the order they ran."""
    entered: list[int] = []
    exited: list[int] = []
    for event in finished.history:
        if event["type"] == "TaskStateEntered":
            details = event["stateEnteredEventDetails"]
            if details["name"] not in NOT_UNITS:
                entered.append(len(details["input"].encode("utf-8")))
        elif event["type"] == "TaskStateExited":
            details = event["stateExitedEventDetails"]
            if details["name"] not in NOT_UNITS:
                exited.append(len(details["output"].encode("utf-8")))
    return list(zip(entered, exited, strict=True))


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """What both engines must agree on: the status, error, usage and every node's result."""
    return {k: record.get(k) for k in ("status", "error", "usage", "nodeExecutions")}


@pytest.fixture(scope="module")
def small_groups(cloud: Any) -> EmbeddedEngine:
    """Units of at most 10 nodes: a 2,000-node chain runs as 200 units."""
    return EmbeddedEngine(cloud=cloud, max_group_size=10)


def test_the_last_unit_of_a_2000_node_chain_moves_what_the_tenth_moves(
    small_groups: EmbeddedEngine, traffic: StoreTraffic
) -> None:
    flow = counting_chain(2000)
    finished = run(small_groups, flow)
    # No value here is large: nothing goes through the value store, never the results of the
    # units before a unit. (The workflow itself, too large to carry in the definition, is
    # stored there, and the engine that stored it hands it to its functions as it is.)
    assert traffic.values == []

    assert finished.record.status == "completed"
    assert finished.record.node("n1999").outputs == {"result": 2000}
    expected = InProcessEngine().run(flow).to_json()
    assert comparable(finished.record.to_json()) == comparable(expected)

    sizes = unit_task_sizes(finished)
    assert len(sizes) == finished.units == 200
    tenth_in, tenth_out = sizes[9]
    last_in, last_out = sizes[-1]
    assert last_in <= 2 * tenth_in
    assert last_out <= 2 * tenth_out
    assert max(size for pair in sizes for size in pair) <= 2 * max(tenth_in, tenth_out)

    reads, writes = traffic.of(finished.record.id)
    unit_reads = reads[:-1]  # the last read is Finalize's, of every unit at once
    assert len(unit_reads) == 199  # each unit after the first reads the one before it
    assert all(len(units) == 1 for units, _ in unit_reads)
    assert unit_reads[-1][1] <= 2 * unit_reads[9][1]
    assert reads[-1][0] == list(range(200))
    assert len(writes) == 200
    assert all(len(units) == 1 for units, _ in writes)
    assert writes[-1][1] <= 2 * writes[9][1]


def test_a_node_fed_by_200_others_reads_only_the_units_that_feed_it(
    small_groups: EmbeddedEngine, traffic: StoreTraffic
) -> None:
    flow = wide_fan_in(200)
    finished = run(small_groups, flow)

    assert finished.record.node("total").outputs == {"result": sum(range(200))}
    expected = InProcessEngine().run(flow).to_json()
    assert comparable(finished.record.to_json()) == comparable(expected)

    valid = validate_workflow(flow, small_groups.registry.catalog)
    plan = plan_workflow(valid, small_groups.registry.catalog, max_group_size=10)
    unit_of = {member: i for i, unit in enumerate(plan.units) for member in unit.members}
    feeding = {unit_of[source] for source in dependencies(valid)["total"]}
    reads, _ = traffic.of(finished.record.id)
    unit_reads = reads[:-1]
    assert [sorted(units) for units, _ in unit_reads] == [sorted(feeding)]
    sizes = unit_task_sizes(finished)
    assert max(size for pair in sizes for size in pair) <= 2 * min(
        size for pair in sizes for size in pair
    )


def test_a_retry_of_a_failed_2000_node_chain_moves_no_more_per_unit(
    small_groups: EmbeddedEngine, traffic: StoreTraffic
) -> None:
    flow = counting_chain(2000, fail_at=1995)
    failed = run(small_groups, flow)
    assert failed.record.status == "error"
    assert failed.record.node("n1994").status == "completed"

    valid = validate_workflow(flow, small_groups.registry.catalog)
    kept = reusable(valid, failed.record.node_executions)
    assert len(kept) == 1995
    organization = failed.record.organization_id
    payloads = Payloads(small_groups.values, organization)
    retry_id = str(uuid.uuid4())
    state = {
        "execution": {
            "id": retry_id,
            "workflowId": valid.id,
            "workflowName": valid.name,
            "organizationId": organization,
        },
        "reused": payloads.pack_map({e.node_id: payloads.pack_execution(e) for e in kept}),
    }
    client = small_groups.cloud.client("stepfunctions")
    arn = client.start_execution(
        stateMachineArn=small_groups.deploy(valid), name=retry_id, input=json.dumps(state)
    )["executionArn"]
    small_groups.cloud.wait_for_execution(arn)
    retried = Run(small_groups, small_groups.record(retry_id), arn, failed.units)

    # the retry reruns only what failed: the same error, nothing completed run twice
    assert retried.record.status == "error"
    assert retried.record.node("n1994").outputs == {"result": 1995}
    assert retried.record.node("n1994").usage == 0
    sizes = unit_task_sizes(retried)
    assert max(size for pair in sizes for size in pair) <= 2 * min(
        size for pair in sizes for size in pair
    )
    reads, _ = traffic.of(retry_id)
    # each unit reads its own kept results and those of the unit before it, no more
    assert all(len(units) <= 2 for units, _ in reads[:-1])


def test_a_run_keeps_no_unit_results_once_it_has_its_record(small_groups: EmbeddedEngine) -> None:
    finished = run(small_groups, counting_chain(30), organization_id=new_organization())
    table = small_groups.deployment.settings["executions_table"]
    items = small_groups.cloud.client("dynamodb").scan(
        TableName=table,
        FilterExpression="begins_with(id, :units)",
        ExpressionAttributeValues={":units": {"S": f"{finished.record.id}/unit/"}},
    )["Items"]
    assert items == []
