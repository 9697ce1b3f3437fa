"""The DynamoDB tables as data (keys, indexes, billing), and creating them.

The embedded engine and the component tests create tables from TABLES; the CDK stack
mirrors the same data (with the RETIRED indexes a stack that upgrades keeps), so the three
cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeDefinitionTypeDef,
        CreateTableInputTypeDef,
        GlobalSecondaryIndexTypeDef,
        KeySchemaElementTypeDef,
        ProjectionTypeDef,
    )


@dataclass(frozen=True, slots=True)
class Key:
    """One key attribute: its name and DynamoDB scalar type."""

    name: str
    type: Literal["S", "N", "B"] = "S"


@dataclass(frozen=True, slots=True)
class Index:
    """A global secondary index and what it projects besides its keys and the table's: the
    `projected` attributes (none: KEYS_ONLY), or every attribute (None: ALL).

    Each write of an item the index holds is written to it again, billed by its projected
    size: a unit per started KB.
    """

    name: str
    partition: Key
    sort: Key | None = None
    projected: tuple[str, ...] | None = None

    @property
    def projection(self) -> ProjectionTypeDef:
        """The index's Projection, as CreateTable and CloudFormation take it."""
        if self.projected is None:
            return {"ProjectionType": "ALL"}
        if not self.projected:
            return {"ProjectionType": "KEYS_ONLY"}
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.projected)}


@dataclass(frozen=True, slots=True)
class Table:
    """A table billed per request: its primary key, global secondary indexes, and the
    attribute (epoch seconds) past which DynamoDB deletes an item, if its items may expire."""

    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = ()
    expiry: str | None = None

    def create_request(self, table_name: str) -> CreateTableInputTypeDef:
        """The CreateTable parameters of this table under `table_name`."""
        attributes: dict[str, Key] = {}
        for key in (self.partition, self.sort, *self._index_keys()):
            if key is not None:
                attributes[key.name] = key
        definitions: list[AttributeDefinitionTypeDef] = [
            {"AttributeName": key.name, "AttributeType": key.type} for key in attributes.values()
        ]
        indexes: list[GlobalSecondaryIndexTypeDef] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition, index.sort),
                "Projection": index.projection,
            }
            for index in self.indexes
        ]
        request: CreateTableInputTypeDef = {
            "TableName": table_name,
            "KeySchema": _key_schema(self.partition, self.sort),
            "AttributeDefinitions": definitions,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if indexes:
            request["GlobalSecondaryIndexes"] = indexes
        return request

    def _index_keys(self) -> list[Key | None]:
        return [key for index in self.indexes for key in (index.partition, index.sort)]


def _key_schema(partition: Key, sort: Key | None) -> list[KeySchemaElementTypeDef]:
    schema: list[KeySchemaElementTypeDef] = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


# What a listing shows of an execution besides its `id` (the table's key): the attributes
# lambdas.adapters.executions writes for it and reads back from the index listings query,
# which projects these and nothing else of an item (not the record, up to 400 KB).
EXECUTION_SUMMARY = (
    "organizationId",
    "workflowId",
    "workflowName",
    "status",
    "error",
    "startedAt",
    "endedAt",
    "usage",
)
# The executions index listings query: "<org>#<workflow>" with createdAt, newest first.
BY_WORKFLOW_SUMMARY = "byWorkflowSummary"
# Its predecessor, with the same keys, projecting whole records (RETIRED).
BY_WORKFLOW = "byWorkflow"

TABLES: Mapping[str, Table] = MappingProxyType(
    {
        # The record (or the S3 key of a large one) plus the attributes executions are
        # listed by, newest first: "<org>#<workflow>" with createdAt (a status filters them).
        # Only the items of running executions' units expire (lambdas.adapters.progress):
        # those of an execution stopped from outside stepthunk would otherwise stay forever.
        "executions": Table(
            partition=Key("id"),
            indexes=(
                Index(
                    BY_WORKFLOW_SUMMARY,
                    Key("orgWorkflow"),
                    Key("createdAt"),
                    projected=EXECUTION_SUMMARY,
                ),
            ),
            expiry="expiresAt",
        ),
        # "ORG#<id>" / "ORG" is the account; "ORG#<id>" / "CHARGE#<execution>" the ledger.
        "organizations": Table(partition=Key("pk"), sort=Key("sk")),
        "secrets": Table(partition=Key("organizationId"), sort=Key("name")),
        "integrations": Table(partition=Key("organizationId"), sort=Key("id")),
        # $disconnect knows only the connection id, hence the index. It projects every
        # attribute: an item is a few hundred bytes, one write unit in the index whatever it
        # projects.
        "connections": Table(
            partition=Key("sessionId"),
            sort=Key("connectionId"),
            indexes=(Index("byConnection", Key("connectionId")),),
        ),
        # Deployed workflows: name, version (N), the definition JSON (or `definitionKey`, its
        # S3 key, when large), stateMachineArn, versionArn, createdAt, updatedAt.
        "workflows": Table(partition=Key("organizationId"), sort=Key("id")),
        # API keys by the hex SHA-256 of the key (never the key itself): organizationId, createdAt.
        "apiKeys": Table(partition=Key("keyHash")),
    }
)

# The executions table's former indexes, both projecting whole records. A stack deployed with
# them keeps them while it upgrades (its `keepIndexes`; README, "Upgrading a stack deployed
# before byWorkflowSummary"), since CloudFormation creates or deletes one index of a table per
# update, and a new index answers no query until DynamoDB has filled it.
RETIRED: Mapping[str, Index] = MappingProxyType(
    {
        # What listings read until byWorkflowSummary, with the same keys.
        BY_WORKFLOW: Index(BY_WORKFLOW, Key("orgWorkflow"), Key("createdAt")),
        # "<org>#<status>", read by no query; removed in 3e0c16e.
        "byStatus": Index("byStatus", Key("orgStatus"), Key("createdAt")),
    }
)


def tables(keep: Collection[str] = ()) -> Mapping[str, Table]:
    """TABLES, the executions table also with the RETIRED indexes named in `keep`."""
    unknown = sorted(set(keep) - set(RETIRED))
    if unknown:
        raise ValueError(f"Unknown retired indexes {unknown}; known: {sorted(RETIRED)}")
    kept = tuple(index for name, index in RETIRED.items() if name in keep)
    executions = TABLES["executions"]
    return MappingProxyType(
        {**TABLES, "executions": replace(executions, indexes=(*executions.indexes, *kept))}
    )


def listing_index(keep: Collection[str] = ()) -> str:
    """The executions index listings query on a stack that keeps the RETIRED indexes in
    `keep`: byWorkflow while it is kept (byWorkflowSummary, created next to it, answers no
    query until DynamoDB has filled it), else byWorkflowSummary."""
    return BY_WORKFLOW if BY_WORKFLOW in keep else BY_WORKFLOW_SUMMARY


def create_tables(client: DynamoDBClient, names: Mapping[str, str]) -> None:
    """Create the tables named in `names` (logical name -> table name) and wait until active.

    A table that already exists is left as it is, so a local deployment can be re-created.
    """
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise ValueError(f"Unknown tables {unknown}; known: {sorted(TABLES)}")
    created: dict[str, str] = {}
    for logical, table_name in names.items():
        with translated(f"CreateTable {table_name}"):
            try:
                client.create_table(**TABLES[logical].create_request(table_name))
                created[logical] = table_name
            except ClientError as error:
                if error_code(error) != "ResourceInUseException":
                    raise
    waiter = client.get_waiter("table_exists")
    for table_name in names.values():
        with translated(f"DescribeTable {table_name}"):
            waiter.wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    for logical, table_name in created.items():
        expiry = TABLES[logical].expiry
        if expiry is not None:
            with translated(f"UpdateTimeToLive {table_name}"):
                client.update_time_to_live(
                    TableName=table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": expiry},
                )
