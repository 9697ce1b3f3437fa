"""DynamoExecutionStore on moto: round trips, the final-record rule, large records, listings."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.adapters.schema import BY_WORKFLOW, BY_WORKFLOW_SUMMARY, tables
from lambdas.runtime.errors import TransientError
from lambdas.runtime.ports import ExecutionOrigin
from lambdas.runtime.record import (
    ExecutionRecord,
    ExecutionStatus,
    ExecutionSummary,
    NodeExecution,
    NodeStatus,
)
from lambdas.runtime.store_errors import InvalidPageToken, StoreMissing
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


@pytest.mark.parametrize(
    "status",
    [
        ExecutionStatus.COMPLETED,
        ExecutionStatus.ERROR,
        ExecutionStatus.EXHAUSTED,
        ExecutionStatus.CANCELLED,
    ],
)
def test_a_late_start_record_does_not_undo_the_final_record(
    store: DynamoExecutionStore, status: ExecutionStatus
) -> None:
    final = record(status)
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

    by_workflow = newest_first(BY_WORKFLOW_SUMMARY, "orgWorkflow", "org-1#wf-1")
    assert by_workflow[:2] == ["new", "old"]
    assert set(by_workflow) == {"new", "old", "failed"}


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


def test_the_handle_says_where_the_execution_runs_and_survives_later_writes(
    store: DynamoExecutionStore,
) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:machine:exec-1"
    store.put(
        record(ExecutionStatus.SUBMITTED, started_at=None),
        session_id="session-1",
        execution_arn=arn,
    )
    store.put(record(ExecutionStatus.EXECUTING))
    handle = store.handle("exec-1")
    assert handle is not None
    assert (handle.organization_id, handle.workflow_id, handle.status) == (
        "org-1",
        "wf-1",
        "executing",
    )
    assert (handle.execution_arn, handle.session_id) == (arn, "session-1")


def test_the_first_submit_keeps_its_request_fingerprint_and_a_repeated_one_writes_nothing(
    store: DynamoExecutionStore,
) -> None:
    first = record(ExecutionStatus.SUBMITTED, started_at=None)
    assert store.submit(first, session_id=None, execution_arn=None, fingerprint="first")
    assert not store.submit(first, session_id="s", execution_arn=None, fingerprint="second")
    store.put(record(ExecutionStatus.COMPLETED))
    handle = store.handle("exec-1")
    assert handle is not None
    assert (handle.fingerprint, handle.session_id, handle.status) == ("first", None, "completed")


def test_the_origin_a_submit_keeps_is_in_the_handle_after_every_later_write(
    store: DynamoExecutionStore,
) -> None:
    origin = ExecutionOrigin(
        inputs={"n": {"value": 42}, "big": {"value": 2**70}},
        workflow_version=3,
        workflow_document="workflows/abc.json",
        version_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m:3",
    )
    submitted = record(ExecutionStatus.SUBMITTED, started_at=None)
    assert store.submit(submitted, session_id=None, execution_arn=None, origin=origin)
    store.put(record(ExecutionStatus.EXECUTING))
    store.put(record(ExecutionStatus.ERROR))
    handle = store.handle("exec-1")
    assert handle is not None
    assert handle.origin == origin


def test_an_unknown_execution_has_no_handle(store: DynamoExecutionStore) -> None:
    assert store.handle("nope") is None


def started(day: int) -> str:
    return f"2026-03-{day:02d}T00:00:00.000Z"


def pages(store: DynamoExecutionStore, **options: Any) -> list[list[str]]:
    """The ids of every page of workflow wf-1's executions, following the tokens."""
    found: list[list[str]] = []
    token = None
    while True:
        page = store.list("org-1", "wf-1", next_token=token, **options)
        found.append([summary.id for summary in page.items])
        token = page.next_token
        if token is None:
            return found


def test_executions_are_listed_newest_first_page_by_page(store: DynamoExecutionStore) -> None:
    for day in (3, 1, 5, 2, 4):
        store.put(
            record(ExecutionStatus.COMPLETED, execution_id=f"e{day}", started_at=started(day))
        )
    store.put(record(ExecutionStatus.COMPLETED, execution_id="other", workflow_id="wf-2"))
    assert pages(store, limit=2) == [["e5", "e4"], ["e3", "e2"], ["e1"]]
    assert pages(store, limit=5) == [["e5", "e4", "e3", "e2", "e1"]]


def test_a_status_filter_lists_only_that_status_across_pages(
    store: DynamoExecutionStore,
) -> None:
    for day in range(1, 7):
        status = ExecutionStatus.ERROR if day in (2, 5) else ExecutionStatus.COMPLETED
        store.put(record(status, execution_id=f"e{day}", started_at=started(day)))
    assert pages(store, status="error", limit=1) == [["e5"], ["e2"]]
    assert pages(store, status="cancelled") == [[]]


def test_a_summary_carries_the_name_error_and_usage_without_the_nodes(
    store: DynamoExecutionStore,
) -> None:
    failed = record(ExecutionStatus.ERROR).model_copy(update={"error": "boom " * 400, "usage": 7})
    store.put(failed)
    [summary] = store.list("org-1", "wf-1").items
    assert summary.workflow_name == "Workflow"
    assert summary.usage == 7
    assert (summary.status, summary.started_at, summary.ended_at) == (
        "error",
        failed.started_at,
        failed.ended_at,
    )
    assert summary.error is not None
    assert len(summary.error) == 1000
    assert summary.error.startswith("boom boom")


@pytest.mark.parametrize("index", [BY_WORKFLOW_SUMMARY, BY_WORKFLOW])
def test_a_listing_shows_every_field_of_the_summary_as_the_record_has_it(
    aws: Aws, index: str
) -> None:
    # The listing's index projects only schema.EXECUTION_SUMMARY: a field the listing read
    # that it does not project would be missing here. byWorkflow: a stack that keeps it while
    # it upgrades lists through it.
    table = f"{aws.tables['executions']}-{index}"
    aws.dynamodb.create_table(**tables([BY_WORKFLOW])["executions"].create_request(table))
    store = DynamoExecutionStore(aws.dynamodb, table, aws.s3, aws.bucket, listing_index=index)
    failed = record(ExecutionStatus.ERROR).model_copy(update={"error": "boom", "usage": 7})
    store.put(failed)
    # the record's fields a listing shows (a child's parent ids are its record's alone)
    summary = failed.model_dump(include=set(ExecutionSummary.model_fields))
    assert all(value not in (None, 0) for value in summary.values())  # every field shows
    assert store.list("org-1", "wf-1").items == [ExecutionSummary.model_validate(summary)]


def test_another_organizations_executions_are_not_listed(store: DynamoExecutionStore) -> None:
    store.put(record(ExecutionStatus.COMPLETED).model_copy(update={"organization_id": "org-2"}))
    assert store.list("org-1", "wf-1").items == []
    assert [s.id for s in store.list("org-2", "wf-1").items] == ["exec-1"]


@pytest.mark.parametrize("token", ["", "not a token", "e30", "W10", "eyJpZCI6IjEifQ"])
def test_a_token_that_the_listing_did_not_issue_is_refused(
    store: DynamoExecutionStore, token: str
) -> None:
    with pytest.raises(InvalidPageToken):
        store.list("org-1", "wf-1", next_token=token)


def test_a_token_of_another_workflows_listing_is_refused(store: DynamoExecutionStore) -> None:
    for day in (1, 2):
        store.put(
            record(
                ExecutionStatus.COMPLETED,
                execution_id=f"e{day}",
                started_at=started(day),
                workflow_id="wf-2",
            )
        )
    token = store.list("org-1", "wf-2", limit=1).next_token
    assert token is not None
    with pytest.raises(InvalidPageToken):
        store.list("org-1", "wf-1", next_token=token)
    with pytest.raises(InvalidPageToken):
        store.list("org-2", "wf-2", next_token=token)


@pytest.mark.parametrize("limit", [0, 101])
def test_a_page_size_outside_1_to_100_is_refused(store: DynamoExecutionStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list("org-1", "wf-1", limit=limit)
