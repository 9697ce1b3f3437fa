"""Deployed workflows in DynamoDB by organization and id; a large definition's JSON in S3."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lambdas.adapters.errors import translated
from lambdas.runtime.pages import check_limit, decode_token, encode_token
from lambdas.runtime.ports import Page, StoredWorkflow, WorkflowSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef
    from mypy_boto3_s3 import S3Client

# Below DynamoDB's item quota (statemachine.quotas.ITEM_BYTES): the definition leaves room for
# the other attributes.
INLINE_LIMIT = 300_000
TABLE_KEY = ("organizationId", "id")


def definition_key(organization_id: str, workflow_id: str, version: int) -> str:
    """The S3 key of a large definition's JSON."""
    return f"workflows/{organization_id}/{workflow_id}/{version}.json"


class DynamoWorkflowStore:
    """WorkflowStore on the workflows table (organizationId, id) and an S3 bucket.

    A put replaces the whole item. The S3 body of a large definition is deleted once no
    item refers to it any more (replaced by another version, or the workflow deleted).
    """

    def __init__(self, dynamodb: DynamoDBClient, table: str, s3: S3Client, bucket: str) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._s3 = s3
        self._bucket = bucket

    def put(self, workflow: StoredWorkflow) -> None:
        body = json.dumps(workflow.definition, ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8")
        item: dict[str, AttributeValueTypeDef] = {
            "organizationId": {"S": workflow.organization_id},
            "id": {"S": workflow.id},
            "name": {"S": workflow.name},
            "version": {"N": str(workflow.version)},
            "stateMachineArn": {"S": workflow.state_machine_arn},
            "createdAt": {"S": workflow.created_at},
            "updatedAt": {"S": workflow.updated_at},
        }
        if workflow.version_arn is not None:
            item["versionArn"] = {"S": workflow.version_arn}
        if workflow.part_arns:
            item["partArns"] = {"L": [{"S": arn} for arn in workflow.part_arns]}
        if len(data) > INLINE_LIMIT:
            key = definition_key(workflow.organization_id, workflow.id, workflow.version)
            with translated(f"PutObject {key}"):
                self._s3.put_object(
                    Bucket=self._bucket, Key=key, Body=data, ContentType="application/json"
                )
            item["definitionKey"] = {"S": key}
        else:
            item["definition"] = {"S": body}
        with translated(f"PutItem {self._table}"):
            old = self._dynamodb.put_item(
                TableName=self._table, Item=item, ReturnValues="ALL_OLD"
            ).get("Attributes", {})
        if old.get("definitionKey") != item.get("definitionKey"):
            self._forget_body(old)

    def get(self, organization_id: str, workflow_id: str) -> StoredWorkflow | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key=_key(organization_id, workflow_id),
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return None
        if "definition" in item:
            body = item["definition"]["S"].encode("utf-8")
        else:
            key = item["definitionKey"]["S"]
            with translated(f"GetObject {key}"):
                body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return StoredWorkflow(
            organization_id=organization_id,
            id=workflow_id,
            name=item["name"]["S"],
            version=int(item["version"]["N"]),
            definition=json.loads(body),
            state_machine_arn=item["stateMachineArn"]["S"],
            version_arn=item["versionArn"]["S"] if "versionArn" in item else None,
            part_arns=[arn["S"] for arn in item.get("partArns", {}).get("L", [])],
            created_at=item["createdAt"]["S"],
            updated_at=item["updatedAt"]["S"],
        )

    def list(
        self, organization_id: str, *, limit: int = 50, next_token: str | None = None
    ) -> Page[WorkflowSummary]:
        """The organization's workflows ordered by id."""
        check_limit(limit)
        action = f"Query {self._table}"
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "#organizationId = :organizationId",
            "ProjectionExpression": "#organizationId, #id, #name, #version, #updatedAt",
            "ExpressionAttributeNames": {
                f"#{name}": name
                for name in ("organizationId", "id", "name", "version", "updatedAt")
            },
            "ExpressionAttributeValues": {":organizationId": {"S": organization_id}},
            # One more than a page, so that the last page says there is no next one.
            "Limit": limit + 1,
        }
        if next_token is not None:
            partition = ("organizationId", organization_id)
            request["ExclusiveStartKey"] = decode_token(next_token, TABLE_KEY, partition, action)
        with translated(action):
            response = self._dynamodb.query(**request)
        items = response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if len(items) > limit:
            items, last = items[:limit], items[limit - 1]
        token = None if last is None else encode_token(last, TABLE_KEY)
        return Page(items=[_summary(item) for item in items], next_token=token)

    def delete(self, organization_id: str, workflow_id: str) -> bool:
        with translated(f"DeleteItem {self._table}"):
            old = self._dynamodb.delete_item(
                TableName=self._table,
                Key=_key(organization_id, workflow_id),
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        if old is None:
            return False
        self._forget_body(old)
        return True

    def _forget_body(self, item: Mapping[str, AttributeValueTypeDef]) -> None:
        """Delete the S3 body a former item referred to, if any."""
        key = item.get("definitionKey", {}).get("S")
        if key is not None:
            with translated(f"DeleteObject {key}"):
                self._s3.delete_object(Bucket=self._bucket, Key=key)


def _key(organization_id: str, workflow_id: str) -> dict[str, AttributeValueTypeDef]:
    return {"organizationId": {"S": organization_id}, "id": {"S": workflow_id}}


def _summary(item: Mapping[str, AttributeValueTypeDef]) -> WorkflowSummary:
    return WorkflowSummary(
        id=item["id"]["S"],
        name=item["name"]["S"],
        version=int(item["version"]["N"]),
        updated_at=item["updatedAt"]["S"],
    )
