"""The results of running executions' units, kept in the executions table.

Each plan unit of an execution has an item of its own, `<execution id>/unit/<index>`, holding
its packed results: a unit writes its own and reads those of the units it depends on, and
Finalize (or a cancel) reads them all once to assemble the record, then deletes them. So a
unit's work never grows with the workflow, and a unit's results are kept before its live
update announces them: a cancel seals the execution item, then reads what was kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from lambdas.adapters.errors import translated
from lambdas.runtime.record import FINAL_STATUSES

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        WriteRequestTypeDef,
    )

SEALED = "sealed"
FAILED = "failedAttempts"
# BatchGetItem reads at most 100 keys a call, BatchWriteItem writes at most 25 items.
READ_BATCH = 100
WRITE_BATCH = 25
# A unit's item is deleted when its execution ends; one left by an execution stopped from
# outside stepthunk (the console, a timeout) expires once no execution could still need it:
# a Standard execution lasts at most a year.
LIFETIME_SECONDS = 366 * 24 * 3600


def unit_item_id(execution_id: str, unit: int) -> str:
    """The id of the item that keeps one unit's results."""
    return f"{execution_id}/unit/{unit}"


def attempts_item_id(execution_id: str, node_id: str) -> str:
    """The id of the item that counts a node's failed attempts (it expires, as a unit's left
    behind does: LIFETIME_SECONDS)."""
    return f"{execution_id}/attempts/{node_id}"


class DynamoProgressStore:
    """ProgressStore on the executions table (lambdas.adapters.executions' layout)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def put(self, execution_id: str, units: Mapping[int, Mapping[str, Any]]) -> None:
        if len(units) == 1:  # the common case: one unit, one plain write
            [(unit, results)] = units.items()
            with translated(f"PutItem {self._table}"):
                self._dynamodb.put_item(
                    TableName=self._table, Item=_item(execution_id, unit, results)
                )
            return
        requests: list[WriteRequestTypeDef] = [
            {"PutRequest": {"Item": _item(execution_id, unit, results)}}
            for unit, results in units.items()
        ]
        self._write(requests)

    def get(self, execution_id: str, units: Iterable[int]) -> dict[int, dict[str, Any]]:
        by_id = {unit_item_id(execution_id, unit): unit for unit in dict.fromkeys(units)}
        pending: list[Mapping[str, AttributeValueTypeDef]] = [
            {"id": {"S": item_id}} for item_id in by_id
        ]
        found: dict[int, dict[str, Any]] = {}
        while pending:
            batch, pending = pending[:READ_BATCH], pending[READ_BATCH:]
            with translated(f"BatchGetItem {self._table}"):
                response = self._dynamodb.batch_get_item(
                    RequestItems={self._table: {"Keys": batch, "ConsistentRead": True}}
                )
            for got in response["Responses"].get(self._table, []):
                found[by_id[got["id"]["S"]]] = json.loads(got["results"]["S"])
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table)
            pending += unprocessed["Keys"] if unprocessed else []
        return found

    def delete(self, execution_id: str, units: Iterable[int]) -> None:
        requests: list[WriteRequestTypeDef] = [
            {"DeleteRequest": {"Key": {"id": {"S": unit_item_id(execution_id, unit)}}}}
            for unit in dict.fromkeys(units)
        ]
        self._write(requests)

    def seal(self, execution_id: str) -> None:
        with translated(f"UpdateItem {self._table}"):
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                UpdateExpression="SET #sealed = :true",
                ExpressionAttributeNames={"#sealed": SEALED},
                ExpressionAttributeValues={":true": {"BOOL": True}},
            )

    def sealed(self, execution_id: str) -> bool:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression="#sealed, #status",
                ExpressionAttributeNames={"#sealed": SEALED, "#status": "status"},
                ConsistentRead=True,
            ).get("Item")
        if item is None:  # no execution item: nothing may be announced for it
            return True
        status = item.get("status", {}).get("S")
        return SEALED in item or status in {s.value for s in FINAL_STATUSES}

    def failed_attempts(self, execution_id: str, node_id: str) -> int:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": attempts_item_id(execution_id, node_id)}},
                ProjectionExpression="#failed",
                ExpressionAttributeNames={"#failed": FAILED},
                ConsistentRead=True,
            ).get("Item")
        return 0 if item is None else int(item[FAILED]["N"])

    def fail_attempt(self, execution_id: str, node_id: str) -> None:
        with translated(f"UpdateItem {self._table}"):
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"id": {"S": attempts_item_id(execution_id, node_id)}},
                UpdateExpression="ADD #failed :one SET #expires = :expires",
                ExpressionAttributeNames={"#failed": FAILED, "#expires": "expiresAt"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":expires": {"N": str(int(time.time()) + LIFETIME_SECONDS)},
                },
            )

    def _write(self, requests: list[WriteRequestTypeDef]) -> None:
        while requests:
            batch, requests = requests[:WRITE_BATCH], requests[WRITE_BATCH:]
            with translated(f"BatchWriteItem {self._table}"):
                response = self._dynamodb.batch_write_item(RequestItems={self._table: batch})
            unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
            requests += cast("list[WriteRequestTypeDef]", unprocessed)


def _item(
    execution_id: str, unit: int, results: Mapping[str, Any]
) -> dict[str, AttributeValueTypeDef]:
    body = json.dumps(dict(results), ensure_ascii=False, separators=(",", ":"))
    return {
        "id": {"S": unit_item_id(execution_id, unit)},
        "results": {"S": body},
        "expiresAt": {"N": str(int(time.time()) + LIFETIME_SECONDS)},
    }
