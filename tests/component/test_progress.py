"""DynamoProgressStore on moto: each unit's results are kept apart, read back by unit, and
forgotten once the record holds them; a sealed or ended execution announces nothing; kept
results are never listed or read as an execution."""

from __future__ import annotations

import time

import pytest

from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.adapters.progress import DynamoProgressStore
from lambdas.runtime.record import ExecutionStatus
from tests.component.conftest import Aws
from tests.component.test_executions import record

COMPLETED = {"status": "completed", "usage": 1}


@pytest.fixture
def executions(aws: Aws) -> DynamoExecutionStore:
    return DynamoExecutionStore(aws.dynamodb, aws.tables["executions"], aws.s3, aws.bucket)


@pytest.fixture
def progress(aws: Aws) -> DynamoProgressStore:
    return DynamoProgressStore(aws.dynamodb, aws.tables["executions"])


def test_each_unit_reads_back_what_was_kept_for_it_alone(progress: DynamoProgressStore) -> None:
    progress.put("exec-1", {0: {"a": {"nodeId": "a", **COMPLETED}}})
    progress.put("exec-1", {1: {"b": {"nodeId": "b", **COMPLETED}}, 2: {"w": {"nodeId": "w"}}})
    progress.put("exec-1", {1: {"b": {"nodeId": "b", **COMPLETED, "usage": 2}}})  # a retry
    progress.put("exec-2", {0: {"x": COMPLETED}})

    assert progress.get("exec-1", [1]) == {1: {"b": {"nodeId": "b", **COMPLETED, "usage": 2}}}
    assert progress.get("exec-1", [2, 0, 7]) == {
        0: {"a": {"nodeId": "a", **COMPLETED}},
        2: {"w": {"nodeId": "w"}},
    }
    assert progress.get("exec-1", []) == {}


def test_hundreds_of_units_are_written_read_back_and_deleted(
    progress: DynamoProgressStore, aws: Aws
) -> None:
    progress.put("exec-1", {index: {f"n{index}": COMPLETED} for index in range(130)})
    for index in range(130, 250):
        progress.put("exec-1", {index: {f"n{index}": COMPLETED}})

    kept = progress.get("exec-1", range(260))

    assert sorted(kept) == list(range(250))
    assert kept[249] == {"n249": COMPLETED}
    progress.delete("exec-1", kept)
    assert progress.get("exec-1", range(260)) == {}
    assert aws.scan("executions") == []


def test_an_execution_is_sealed_once_cancelled_or_ended(
    executions: DynamoExecutionStore, progress: DynamoProgressStore
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))
    assert not progress.sealed("exec-1")

    progress.seal("exec-1")

    assert progress.sealed("exec-1")
    assert progress.sealed("nobody")  # no execution: nothing to announce for it


def test_an_ended_execution_is_sealed(
    executions: DynamoExecutionStore, progress: DynamoProgressStore
) -> None:
    executions.put(record(ExecutionStatus.COMPLETED))

    assert progress.sealed("exec-1")


def test_kept_results_are_not_executions(
    executions: DynamoExecutionStore, progress: DynamoProgressStore, aws: Aws
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))
    progress.put("exec-1", {0: {"a": COMPLETED}})
    [unit_id] = [item["id"]["S"] for item in aws.scan("executions") if item["id"]["S"] != "exec-1"]

    assert executions.get(unit_id) is None
    assert executions.handle(unit_id) is None
    assert [e.id for e in executions.list("org-1", "wf-1").items] == ["exec-1"]


def test_kept_results_expire_once_no_execution_could_need_them_and_records_never(
    executions: DynamoExecutionStore, progress: DynamoProgressStore, aws: Aws
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))
    progress.put("exec-1", {0: {"a": COMPLETED}})
    items = {item["id"]["S"]: item for item in aws.scan("executions")}
    ttl = aws.dynamodb.describe_time_to_live(TableName=aws.tables["executions"])

    a_year = 365 * 24 * 3600  # a Standard execution runs at most a year
    expires = int(items["exec-1/unit/0"]["expiresAt"]["N"])
    assert time.time() + a_year < expires < time.time() + a_year + 3 * 24 * 3600
    assert "expiresAt" not in items["exec-1"]
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expiresAt",
    }


@pytest.mark.parametrize("store", ["dynamodb", "memory"])
def test_a_nodes_failed_attempts_are_counted_apart_from_every_other(
    progress: DynamoProgressStore, store: str
) -> None:
    """What tells a node's task which attempt it runs (lambdas.lifecycle.unit): the failures
    counted for that node of that execution, whatever else retried its task."""
    from local.memory import MemoryProgressStore

    counted: DynamoProgressStore | MemoryProgressStore = (
        progress if store == "dynamodb" else MemoryProgressStore()
    )
    assert counted.failed_attempts("e1", "fetch") == 0
    counted.fail_attempt("e1", "fetch")
    counted.fail_attempt("e1", "fetch")
    counted.fail_attempt("e1", "other")
    counted.fail_attempt("e2", "fetch")
    assert counted.failed_attempts("e1", "fetch") == 2
    assert counted.failed_attempts("e1", "other") == 1
    assert counted.failed_attempts("e2", "fetch") == 1
    assert counted.failed_attempts("e2", "other") == 0
