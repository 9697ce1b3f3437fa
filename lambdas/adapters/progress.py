"""What live updates announced while an execution ran, kept in the executions table.

A unit's results reach the execution's history only when its task returns, but its live
update is sent before that; a cancel that reads the history in between would lose what the
user was told. So a result is kept here first (an item of its own, whose id joins the
execution item's `reportedUnits` set on condition that the execution is neither sealed nor
final), announced only when kept, and a cancel seals the execution before it reads them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.adapters.executions import FINAL_STATUSES

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

UNITS = "reportedUnits"
SEALED = "sealed"
# BatchGetItem reads at most 100 keys a call.
BATCH = 100


class DynamoProgressStore:
    """ProgressStore on the executions table (lambdas.adapters.executions' layout)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def record(self, execution_id: str, results: Mapping[str, Any]) -> bool:
        # The item first, then its id into the execution's set on the condition that
        # decides: a cancel reads only ids that made it into the set, and each names an
        # item written before. (One transaction would do both, at twice the cost.)
        item_id = f"{execution_id}/progress/{uuid.uuid4().hex}"
        body = json.dumps(dict(results), ensure_ascii=False, separators=(",", ":"))
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table, Item={"id": {"S": item_id}, "results": {"S": body}}
            )
        finals = sorted(FINAL_STATUSES)
        values: dict[str, AttributeValueTypeDef] = {":unit": {"SS": [item_id]}}
        values.update({f":final{i}": {"S": status.value} for i, status in enumerate(finals)})
        placeholders = ", ".join(f":final{i}" for i in range(len(finals)))
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"id": {"S": execution_id}},
                    UpdateExpression="ADD #units :unit",
                    ConditionExpression="attribute_exists(#id) AND attribute_not_exists(#sealed)"
                    f" AND NOT (#status IN ({placeholders}))",
                    ExpressionAttributeNames={
                        "#units": UNITS,
                        "#id": "id",
                        "#sealed": SEALED,
                        "#status": "status",
                    },
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def seal(self, execution_id: str) -> None:
        with translated(f"UpdateItem {self._table}"):
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                UpdateExpression="SET #sealed = :true",
                ExpressionAttributeNames={"#sealed": SEALED},
                ExpressionAttributeValues={":true": {"BOOL": True}},
            )

    def recorded(self, execution_id: str) -> list[dict[str, Any]]:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression="#units",
                ExpressionAttributeNames={"#units": UNITS},
                ConsistentRead=True,
            ).get("Item", {})
        units = item.get(UNITS, {}).get("SS", [])
        pending: list[Mapping[str, AttributeValueTypeDef]] = [
            {"id": {"S": item_id}} for item_id in sorted(units)
        ]
        found: list[dict[str, Any]] = []
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            with translated(f"BatchGetItem {self._table}"):
                response = self._dynamodb.batch_get_item(
                    RequestItems={self._table: {"Keys": batch, "ConsistentRead": True}}
                )
            found += [
                json.loads(got["results"]["S"])
                for got in response["Responses"].get(self._table, [])
            ]
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table)
            pending += unprocessed["Keys"] if unprocessed else []
        return found
