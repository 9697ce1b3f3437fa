"""Forms (lambdas.runtime.forms) in the executions table, beside the task tokens of the
nodes that wait for them (lambdas.adapters.event_waits).

A form is the item `form/<key>` (the key its token's digest: the token is in no item), its
state in attributes of their own so that claiming it and closing it are conditional writes:
one node claims an open form. `<execution id>/form/<node id>` names the form a node waits
for. Both expire a day after the form's wait would have timed out; a form no node waits for
yet a day after a year, the longest an execution runs.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.adapters.event_waits import MARGIN_SECONDS
from lambdas.runtime.forms import Form, FormStatus
from statemachine.event_waits import MAX_EVENT_WAIT_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def form_item_id(key: str) -> str:
    return f"form/{key}"


def node_item_id(execution_id: str, node_id: str) -> str:
    return f"{execution_id}/form/{node_id}"


class DynamoForms:
    """FormStore on the executions table (lambdas.adapters.executions' layout)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def create(self, key: str, form: Form) -> None:
        expires = int(time.time()) + MAX_EVENT_WAIT_SECONDS + MARGIN_SECONDS
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": form_item_id(key)},
                    "form": {"S": form.model_dump_json(by_alias=True)},
                    "formStatus": {"S": str(form.status)},
                    "expiresAt": {"N": str(expires)},
                },
            )

    def get(self, key: str) -> Form | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": form_item_id(key)}},
                ConsistentRead=True,
            ).get("Item")
        if item is None or "form" not in item:
            return None
        stored = json.loads(item["form"]["S"])
        form = Form.model_validate(stored)
        update: dict[str, Any] = {"status": FormStatus(item["formStatus"]["S"])}
        if "nodeId" in item:
            update["node_id"] = item["nodeId"]["S"]
        if "endsAt" in item:
            update["expires_at"] = item["endsAt"]["S"]
        return form.model_copy(update=update)

    def link(self, key: str, node_id: str, expires_at: str, seconds: int) -> Form | None:
        expires = int(time.time()) + seconds + MARGIN_SECONDS
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"id": {"S": form_item_id(key)}},
                    UpdateExpression="SET formStatus = :waiting, nodeId = :node, "
                    "endsAt = :ends, expiresAt = :expires",
                    ConditionExpression="formStatus = :open OR "
                    "(formStatus = :waiting AND nodeId = :node)",
                    ExpressionAttributeValues={
                        ":open": {"S": FormStatus.OPEN},
                        ":waiting": {"S": FormStatus.WAITING},
                        ":node": {"S": node_id},
                        ":ends": {"S": expires_at},
                        ":expires": {"N": str(expires)},
                    },
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return None
                raise
        form = self.get(key)
        if form is None:
            return None
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": node_item_id(form.execution_id, node_id)},
                    "formKey": {"S": key},
                    "expiresAt": {"N": str(expires)},
                },
            )
        return form

    def of_node(self, execution_id: str, node_id: str) -> str | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": node_item_id(execution_id, node_id)}},
                ConsistentRead=True,
            ).get("Item")
        return None if item is None else str(item["formKey"]["S"])

    def close(self, key: str) -> None:
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"id": {"S": form_item_id(key)}},
                    UpdateExpression="SET formStatus = :closed",
                    ConditionExpression="attribute_exists(formStatus)",
                    ExpressionAttributeValues={":closed": {"S": FormStatus.CLOSED}},
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
