"""The task tokens of waiting wait-for-event nodes, kept in the executions table, and Step
Functions' callbacks that end their waits.

A node's token has an item of its own, `<execution id>/event/<node id>`, taken (deleted and
read in one conditional request) by the one delivery that may use it: a second delivery
finds none. The item expires a day after its wait's timeout, when no delivery could use it.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient

TOKEN = "taskToken"
# Kept past its wait's timeout this long, before DynamoDB's TTL deletes it.
MARGIN_SECONDS = 24 * 3600
# What Step Functions answers a callback for a task that no longer waits.
ENDED_CODES = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def event_item_id(execution_id: str, node_id: str) -> str:
    """The id of the item that keeps a waiting node's task token."""
    return f"{execution_id}/event/{node_id}"


class DynamoEventWaits:
    """EventWaits on the executions table (lambdas.adapters.executions' layout)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def hold(self, execution_id: str, node_id: str, token: str, seconds: int) -> None:
        expires = int(time.time()) + seconds + MARGIN_SECONDS
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": event_item_id(execution_id, node_id)},
                    TOKEN: {"S": token},
                    "expiresAt": {"N": str(expires)},
                },
            )

    def take(self, execution_id: str, node_id: str) -> str | None:
        with translated(f"DeleteItem {self._table}"):
            try:
                response = self._dynamodb.delete_item(
                    TableName=self._table,
                    Key={"id": {"S": event_item_id(execution_id, node_id)}},
                    ConditionExpression="attribute_exists(#token)",
                    ExpressionAttributeNames={"#token": TOKEN},
                    ReturnValues="ALL_OLD",
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return None
                raise
        return str(response["Attributes"][TOKEN]["S"])


class StepFunctionsCallbacks:
    """TaskCallbacks on Step Functions: SendTaskSuccess and SendTaskFailure."""

    def __init__(self, stepfunctions: SFNClient) -> None:
        self._stepfunctions = stepfunctions

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        body = json.dumps(output, ensure_ascii=False, separators=(",", ":"))
        return self._send(
            "SendTaskSuccess",
            lambda: self._stepfunctions.send_task_success(taskToken=token, output=body),
        )

    def fail(self, token: str, error: str, cause: str) -> bool:
        return self._send(
            "SendTaskFailure",
            lambda: self._stepfunctions.send_task_failure(
                taskToken=token, error=error, cause=cause
            ),
        )

    def _send(self, action: str, send: Any) -> bool:
        with translated(action):
            try:
                send()
            except ClientError as failure:
                if error_code(failure) in ENDED_CODES:
                    return False
                raise
        return True
