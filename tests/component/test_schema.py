"""create_tables on moto: the layout the adapters rely on, safe to apply twice."""

from __future__ import annotations

import pytest

from lambdas.adapters.schema import create_tables
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
    assert indexes("executions") == {"byWorkflow"}
    assert indexes("connections") == {"byConnection"}


def test_workflows_and_api_keys_are_keyed_as_their_stores_expect(aws: Aws) -> None:
    def keys(table: str) -> list[tuple[str, str]]:
        described = aws.dynamodb.describe_table(TableName=aws.tables[table])["Table"]
        return [(key["AttributeName"], key["KeyType"]) for key in described["KeySchema"]]

    assert keys("workflows") == [("organizationId", "HASH"), ("id", "RANGE")]
    assert keys("apiKeys") == [("keyHash", "HASH")]


def test_an_unknown_table_name_is_refused(aws: Aws) -> None:
    with pytest.raises(ValueError, match="pipelines"):
        create_tables(aws.dynamodb, {"pipelines": "x"})
