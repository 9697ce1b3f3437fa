"""DynamoWorkflowStore on moto: round trips, large definitions in S3, listings by organization."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.adapters.workflows import DynamoWorkflowStore
from lambdas.runtime.errors import TransientError
from lambdas.runtime.ports import StoredWorkflow
from lambdas.runtime.store_errors import InvalidPageToken
from tests.component.conftest import Aws, failing

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:wf"


def stored(
    workflow_id: str = "wf-1",
    *,
    organization_id: str = "org-1",
    version: int = 1,
    note: str = "",
) -> StoredWorkflow:
    definition: dict[str, Any] = {
        "id": workflow_id,
        "name": f"Workflow {workflow_id}",
        "nodes": [{"id": "a", "type": "addition", "note": note}],
        "edges": [],
    }
    return StoredWorkflow(
        organization_id=organization_id,
        id=workflow_id,
        name=f"Workflow {workflow_id}",
        version=version,
        definition=definition,
        state_machine_arn=MACHINE,
        version_arn=f"{MACHINE}:{version}",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at=f"2026-01-0{version}T00:00:00.000Z",
    )


@pytest.fixture
def store(aws: Aws) -> DynamoWorkflowStore:
    return DynamoWorkflowStore(aws.dynamodb, aws.tables["workflows"], aws.s3, aws.bucket)


def body_keys(aws: Aws) -> list[str]:
    listed = aws.s3.list_objects_v2(Bucket=aws.bucket, Prefix="workflows/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_stored_workflow_reads_back_unchanged(store: DynamoWorkflowStore) -> None:
    workflow = stored()
    store.put(workflow)
    assert store.get("org-1", "wf-1") == workflow


def test_a_workflow_without_a_version_arn_reads_back_without_one(
    store: DynamoWorkflowStore,
) -> None:
    workflow = stored().model_copy(update={"version_arn": None})
    store.put(workflow)
    assert store.get("org-1", "wf-1") == workflow


def test_a_workflow_is_invisible_to_another_organization(store: DynamoWorkflowStore) -> None:
    store.put(stored())
    assert store.get("org-2", "wf-1") is None
    assert store.list("org-2").items == []


def test_deploying_again_replaces_the_workflow(store: DynamoWorkflowStore) -> None:
    store.put(stored())
    second = stored(version=2, note="changed")
    store.put(second)
    assert store.get("org-1", "wf-1") == second


def test_a_large_definition_is_kept_in_s3_and_only_its_latest_version(
    store: DynamoWorkflowStore, aws: Aws
) -> None:
    first = stored(note="x" * 400_000)
    store.put(first)
    [item] = aws.scan("workflows")
    assert "definition" not in item
    assert item["definitionKey"] == {"S": "workflows/org-1/wf-1/1.json"}
    assert store.get("org-1", "wf-1") == first

    second = stored(version=2, note="y" * 400_000)
    store.put(second)
    assert store.get("org-1", "wf-1") == second
    assert body_keys(aws) == ["workflows/org-1/wf-1/2.json"]

    store.put(stored(version=3))
    assert body_keys(aws) == []


def test_a_deleted_workflow_is_gone_with_its_large_definition(
    store: DynamoWorkflowStore, aws: Aws
) -> None:
    store.put(stored(note="x" * 400_000))
    assert store.delete("org-1", "wf-1") is True
    assert store.get("org-1", "wf-1") is None
    assert body_keys(aws) == []
    assert store.delete("org-1", "wf-1") is False


def test_workflows_are_listed_by_id_page_by_page(store: DynamoWorkflowStore) -> None:
    for workflow_id in ("c", "a", "e", "b", "d"):
        store.put(stored(workflow_id))
    store.put(stored("z", organization_id="org-2"))
    found: list[list[str]] = []
    token = None
    while True:
        page = store.list("org-1", limit=2, next_token=token)
        found.append([summary.id for summary in page.items])
        token = page.next_token
        if token is None:
            break
    assert found == [["a", "b"], ["c", "d"], ["e"]]
    [first] = store.list("org-1", limit=1).items
    assert (first.name, first.version, first.updated_at) == (
        "Workflow a",
        1,
        "2026-01-01T00:00:00.000Z",
    )


def test_a_token_of_another_organizations_listing_is_refused(store: DynamoWorkflowStore) -> None:
    for workflow_id in ("a", "b"):
        store.put(stored(workflow_id, organization_id="org-2"))
    token = store.list("org-2", limit=1).next_token
    assert token is not None
    with pytest.raises(InvalidPageToken):
        store.list("org-1", next_token=token)
    with pytest.raises(InvalidPageToken):
        store.list("org-1", next_token=token[:-2])


@pytest.mark.parametrize("limit", [0, 101])
def test_a_page_size_outside_1_to_100_is_refused(store: DynamoWorkflowStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list("org-1", limit=limit)


def test_a_throttled_read_is_transient(store: DynamoWorkflowStore, aws: Aws) -> None:
    with (
        failing(aws.dynamodb, "get_item", "ProvisionedThroughputExceededException"),
        pytest.raises(TransientError),
    ):
        store.get("org-1", "wf-1")
