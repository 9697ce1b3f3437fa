"""Forms (lambdas.runtime.forms) in the executions table, beside the task tokens of the
nodes that wait for them (lambdas.adapters.event_waits).

A form is the item `form/<key>` (the key its token's digest: the token is in no item), its
state in attributes of their own so that claiming it and closing it are conditional writes:
one node claims an open form, one answer marks it answered, one retry takes it over.
`executionId` is the execution it belongs to (the `form` JSON says too; an item stored
without the attribute was never taken over, so its JSON's is right).
`<execution id>/form/<node id>` names the form a node waits for. Both expire a day after
the form's wait would have timed out; a form no node waits for yet a day after a year, the
longest an execution runs.
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
                    "executionId": {"S": form.execution_id},
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
        self._name_for_node(key, form.execution_id, node_id, expires)
        return form

    def take_over(
        self, key: str, read: Form, execution_id: str, node_id: str, expires_at: str, seconds: int
    ) -> Form | None:
        if read.status == FormStatus.ANSWERED:
            return None
        expires = int(time.time()) + seconds + MARGIN_SECONDS
        taken = read.model_copy(
            update={
                "execution_id": execution_id,
                "status": FormStatus.WAITING,
                "node_id": node_id,
                "expires_at": expires_at,
            }
        )
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"id": {"S": form_item_id(key)}},
                    UpdateExpression="SET #form = :form, executionId = :execution, "
                    "formStatus = :waiting, nodeId = :node, endsAt = :ends, expiresAt = :expires",
                    ConditionExpression="formStatus = :read AND "
                    "(executionId = :was OR attribute_not_exists(executionId))",
                    ExpressionAttributeNames={"#form": "form"},
                    ExpressionAttributeValues={
                        ":form": {"S": taken.model_dump_json(by_alias=True)},
                        ":execution": {"S": execution_id},
                        ":waiting": {"S": FormStatus.WAITING},
                        ":node": {"S": node_id},
                        ":ends": {"S": expires_at},
                        ":expires": {"N": str(expires)},
                        ":read": {"S": read.status},
                        ":was": {"S": read.execution_id},
                    },
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return None
                raise
        self._name_for_node(key, execution_id, node_id, expires)
        return taken

    def _name_for_node(self, key: str, execution_id: str, node_id: str, expires: int) -> None:
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": node_item_id(execution_id, node_id)},
                    "formKey": {"S": key},
                    "expiresAt": {"N": str(expires)},
                },
            )

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
                    ConditionExpression="attribute_exists(formStatus) AND formStatus <> :answered",
                    ExpressionAttributeValues={
                        ":closed": {"S": FormStatus.CLOSED},
                        ":answered": {"S": FormStatus.ANSWERED},
                    },
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise

    def answer(self, key: str, execution_id: str, node_id: str) -> bool:
        return self._move(key, execution_id, node_id, FormStatus.WAITING, FormStatus.ANSWERED)

    def unanswer(self, key: str, execution_id: str, node_id: str, status: FormStatus) -> None:
        self._move(key, execution_id, node_id, FormStatus.ANSWERED, status)

    def _move(
        self, key: str, execution_id: str, node_id: str, was: FormStatus, status: FormStatus
    ) -> bool:
        """Set the form's status from `was` to `status` while `node_id` of `execution_id`
        waits (or waited) for it; False when it does not. (An item without `executionId`
        was never taken over: the node item that named it to the caller is its execution's.)"""
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"id": {"S": form_item_id(key)}},
                    UpdateExpression="SET formStatus = :status",
                    ConditionExpression="formStatus = :was AND nodeId = :node AND "
                    "(executionId = :execution OR attribute_not_exists(executionId))",
                    ExpressionAttributeValues={
                        ":status": {"S": status},
                        ":was": {"S": was},
                        ":node": {"S": node_id},
                        ":execution": {"S": execution_id},
                    },
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return False
                raise
        return True
