"""create_tables on moto: the layout the adapters rely on, safe to apply twice."""

from __future__ import annotations

import pytest

from lambdas.adapters.schema import (
    BY_WORKFLOW,
    BY_WORKFLOW_SUMMARY,
    EXECUTION_SUMMARY,
    RETIRED,
    TABLES,
    create_tables,
    listing_index,
    tables,
)
from tests.component.conftest import Aws


def test_creating_existing_tables_again_keeps_their_items(aws: Aws) -> None:
    aws.dynamodb.put_item(
        TableName=aws.tables["secrets"],
        Item={"organizationId": {"S": "org-1"}, "name": {"S": "KEY"}},
    )
    create_tables(aws.dynamodb, aws.tables)
    assert len(aws.scan("secrets")) == 1


def test_the_indexes_executions_and_connections_are_queried_by_exist(aws: Aws) -> None:
    def indexes(table: str) -> set[str]:
        described = aws.dynamodb.describe_table(TableName=aws.tables[table])["Table"]
        return {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}

    # no index that no query reads: each costs a write of every record it projects
    assert indexes("executions") == {BY_WORKFLOW_SUMMARY}
    assert indexes("connections") == {"byConnection"}


def test_the_listing_index_projects_the_summary_but_not_the_record(aws: Aws) -> None:
    described = aws.dynamodb.describe_table(TableName=aws.tables["executions"])["Table"]
    (index,) = described["GlobalSecondaryIndexes"]
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(EXECUTION_SUMMARY),
    }
    item = {name: {"S": "x"} for name in ("id", "orgWorkflow", "createdAt", *EXECUTION_SUMMARY)}
    aws.dynamodb.put_item(
        TableName=aws.tables["executions"],
        Item={**item, "record": {"S": "{}" + " " * 100_000}, "sessionId": {"S": "s"}},
    )
    (listed,) = aws.dynamodb.query(
        TableName=aws.tables["executions"],
        IndexName=BY_WORKFLOW_SUMMARY,
        KeyConditionExpression="orgWorkflow = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )["Items"]
    assert listed == item


def test_an_upgrading_stack_keeps_the_retired_indexes_it_names_and_lists_by_byworkflow() -> None:
    def indexes(keep: tuple[str, ...]) -> dict[str, str]:
        request = tables(keep)["executions"].create_request("executions")
        return {
            index["IndexName"]: index["Projection"]["ProjectionType"]
            for index in request["GlobalSecondaryIndexes"]
        }

    assert indexes(()) == {BY_WORKFLOW_SUMMARY: "INCLUDE"}
    assert indexes(tuple(RETIRED)) == {
        BY_WORKFLOW_SUMMARY: "INCLUDE",
        BY_WORKFLOW: "ALL",
        "byStatus": "ALL",
    }
    assert tables(("byStatus",))["connections"] == TABLES["connections"]
    assert listing_index(tuple(RETIRED)) == listing_index((BY_WORKFLOW,)) == BY_WORKFLOW
    assert listing_index(("byStatus",)) == listing_index() == BY_WORKFLOW_SUMMARY
    with pytest.raises(ValueError, match="byOrganization"):
        tables(("byOrganization",))


def test_workflows_and_api_keys_are_keyed_as_their_stores_expect(aws: Aws) -> None:
    def keys(table: str) -> list[tuple[str, str]]:
        described = aws.dynamodb.describe_table(TableName=aws.tables[table])["Table"]
        return [(key["AttributeName"], key["KeyType"]) for key in described["KeySchema"]]

    assert keys("workflows") == [("organizationId", "HASH"), ("id", "RANGE")]
    assert keys("apiKeys") == [("keyHash", "HASH")]


def test_an_unknown_table_name_is_refused(aws: Aws) -> None:
    with pytest.raises(ValueError, match="pipelines"):
        create_tables(aws.dynamodb, {"pipelines": "x"})
