"""DynamoProgressStore on moto: what live updates announce is kept until the execution is
sealed or ends, and never listed or read as an execution."""

from __future__ import annotations

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


def test_announced_results_are_kept_until_the_execution_is_sealed(
    executions: DynamoExecutionStore, progress: DynamoProgressStore
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))

    assert progress.record("exec-1", {"a": {"nodeId": "a", **COMPLETED}})
    assert progress.record("exec-1", {"b": {"nodeId": "b", **COMPLETED}})
    assert progress.record("exec-1", {"b": {"nodeId": "b", **COMPLETED, "usage": 2}})
    progress.seal("exec-1")
    assert not progress.record("exec-1", {"c": {"nodeId": "c", **COMPLETED}})

    kept = sorted(progress.recorded("exec-1"), key=lambda results: str(results))
    assert kept == [  # a retried task's as well as the first attempt's: both were announced
        {"a": {"nodeId": "a", **COMPLETED}},
        {"b": {"nodeId": "b", **COMPLETED}},
        {"b": {"nodeId": "b", **COMPLETED, "usage": 2}},
    ]


def test_nothing_is_kept_for_an_ended_or_unknown_execution(
    executions: DynamoExecutionStore, progress: DynamoProgressStore
) -> None:
    executions.put(record(ExecutionStatus.COMPLETED))

    assert not progress.record("exec-1", {"a": COMPLETED})
    assert not progress.record("nobody", {"a": COMPLETED})
    assert progress.recorded("exec-1") == []
    assert progress.recorded("nobody") == []


def test_hundreds_of_units_are_read_back(
    executions: DynamoExecutionStore, progress: DynamoProgressStore
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))
    for index in range(250):
        assert progress.record("exec-1", {f"n{index}": COMPLETED})

    kept = progress.recorded("exec-1")

    assert sorted(node for results in kept for node in results) == sorted(
        f"n{index}" for index in range(250)
    )


def test_kept_results_are_not_executions(
    executions: DynamoExecutionStore, progress: DynamoProgressStore, aws: Aws
) -> None:
    executions.put(record(ExecutionStatus.EXECUTING))
    progress.record("exec-1", {"a": COMPLETED})
    [progress_id] = [
        item["id"]["S"] for item in aws.scan("executions") if item["id"]["S"] != "exec-1"
    ]

    assert executions.get(progress_id) is None
    assert executions.handle(progress_id) is None
    assert [e.id for e in executions.list("org-1", "wf-1").items] == ["exec-1"]
