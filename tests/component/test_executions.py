"""DynamoExecutionStore on moto: round trips, the final-record rule, large records in S3."""

from __future__ import annotations

import pytest

from lambdas.adapters.errors import StoreMissing
from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.runtime.errors import TransientError
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, NodeExecution, NodeStatus
from tests.component.conftest import Aws, failing

STARTED = "2026-01-02T03:04:05.000Z"


def record(
    status: ExecutionStatus = ExecutionStatus.EXECUTING,
    *,
    execution_id: str = "exec-1",
    output: str = "4",
    started_at: str | None = STARTED,
    workflow_id: str = "wf-1",
) -> ExecutionRecord:
    final = status not in (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING)
    node = (
        NodeExecution(node_id="a", status=NodeStatus.COMPLETED, outputs={"result": output}, usage=1)
        if final
        else NodeExecution(node_id="a", status=NodeStatus.IDLE)
    )
    return ExecutionRecord(
        id=execution_id,
        workflow_id=workflow_id,
        workflow_name="Workflow",
        organization_id="org-1",
        status=status,
        started_at=started_at,
        ended_at="2026-01-02T03:04:06.000Z" if final else None,
        usage=1 if final else 0,
        node_executions=[node],
    )


@pytest.fixture
def store(aws: Aws) -> DynamoExecutionStore:
    return DynamoExecutionStore(aws.dynamodb, aws.tables["executions"], aws.s3, aws.bucket)


def test_a_stored_record_reads_back_unchanged(store: DynamoExecutionStore) -> None:
    completed = record(ExecutionStatus.COMPLETED)
    store.put(completed, session_id="session-1")
    assert store.get("exec-1") == completed


def test_an_unknown_execution_has_no_record(store: DynamoExecutionStore) -> None:
    assert store.get("nope") is None


def test_a_start_record_replaces_a_submitted_one(store: DynamoExecutionStore) -> None:
    store.put(record(ExecutionStatus.SUBMITTED, started_at=None))
    store.put(record(ExecutionStatus.EXECUTING))
    stored = store.get("exec-1")
    assert stored is not None
    assert stored.status == ExecutionStatus.EXECUTING


def test_a_late_start_record_does_not_undo_the_final_record(
    store: DynamoExecutionStore,
) -> None:
    final = record(ExecutionStatus.ERROR)
    store.put(final)
    store.put(record(ExecutionStatus.EXECUTING))
    assert store.get("exec-1") == final


def test_a_final_record_written_again_replaces_the_earlier_one(
    store: DynamoExecutionStore,
) -> None:
    store.put(record(ExecutionStatus.COMPLETED, output="first"))
    retried = record(ExecutionStatus.COMPLETED, output="second")
    store.put(retried)
    assert store.get("exec-1") == retried


def test_records_are_listed_newest_first_by_workflow_and_by_status(
    store: DynamoExecutionStore, aws: Aws
) -> None:
    store.put(record(ExecutionStatus.COMPLETED, execution_id="old", started_at=STARTED))
    store.put(
        record(ExecutionStatus.COMPLETED, execution_id="new", started_at="2026-02-01T00:00:00.000Z")
    )
    store.put(record(ExecutionStatus.ERROR, execution_id="failed"))
    store.put(record(ExecutionStatus.COMPLETED, execution_id="other", workflow_id="wf-2"))

    def newest_first(index: str, key: str, value: str) -> list[str]:
        items = aws.dynamodb.query(
            TableName=aws.tables["executions"],
            IndexName=index,
            KeyConditionExpression=f"{key} = :v",
            ExpressionAttributeValues={":v": {"S": value}},
            ScanIndexForward=False,
        )["Items"]
        return [item["id"]["S"] for item in items]

    assert newest_first("byWorkflow", "orgWorkflow", "org-1#wf-1")[:2] == ["new", "old"]
    assert set(newest_first("byWorkflow", "orgWorkflow", "org-1#wf-1")) == {"new", "old", "failed"}
    assert newest_first("byStatus", "orgStatus", "org-1#error") == ["failed"]


def test_the_creation_time_and_session_survive_later_writes(
    store: DynamoExecutionStore, aws: Aws
) -> None:
    store.put(record(ExecutionStatus.SUBMITTED, started_at=None), session_id="session-1")
    item = aws.scan("executions")[0]
    store.put(record(ExecutionStatus.COMPLETED, started_at="2030-01-01T00:00:00.000Z"))
    later = aws.scan("executions")[0]
    assert later["createdAt"] == item["createdAt"]
    assert later["sessionId"] == {"S": "session-1"}
    assert later["status"] == {"S": "completed"}


def test_a_large_record_is_kept_in_s3_and_reads_back(store: DynamoExecutionStore, aws: Aws) -> None:
    large = record(ExecutionStatus.COMPLETED, output="x" * 400_000)
    store.put(large)
    [item] = aws.scan("executions")
    assert "record" not in item
    assert item["recordKey"] == {"S": "records/exec-1.json"}
    assert store.get("exec-1") == large


def test_a_late_large_start_record_leaves_the_final_body_alone(
    store: DynamoExecutionStore, aws: Aws
) -> None:
    final = record(ExecutionStatus.COMPLETED, output="y" * 400_000)
    store.put(final)
    late_start = record(ExecutionStatus.EXECUTING).model_copy(
        update={"workflow_name": "z" * 400_000}
    )
    store.put(late_start)
    assert store.get("exec-1") == final


def test_a_record_that_shrinks_below_the_limit_is_stored_inline_again(
    store: DynamoExecutionStore, aws: Aws
) -> None:
    store.put(record(ExecutionStatus.COMPLETED, output="x" * 400_000))
    small = record(ExecutionStatus.COMPLETED, output="small")
    store.put(small)
    [item] = aws.scan("executions")
    assert "recordKey" not in item
    assert store.get("exec-1") == small


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttling_and_service_faults_become_transient_errors(
    store: DynamoExecutionStore, aws: Aws, code: str
) -> None:
    with failing(aws.dynamodb, "update_item", code), pytest.raises(TransientError) as raised:
        store.put(record())
    assert type(raised.value).__name__ == "TransientError"  # what Step Functions retries on


def test_a_missing_table_is_a_store_error_naming_the_aws_code(aws: Aws) -> None:
    store = DynamoExecutionStore(aws.dynamodb, "no-such-table", aws.s3, aws.bucket)
    with pytest.raises(StoreMissing) as raised:
        store.get("exec-1")
    assert raised.value.code == "ResourceNotFoundException"
