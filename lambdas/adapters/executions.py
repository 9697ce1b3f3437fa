"""Execution records in DynamoDB, the body of a large one in S3; final records are never undone.

A record is written at three points (exhausted, start, end) and each write may be retried or
arrive late, so the item only moves forward: a non-final record (submitted, executing) put
after a final one (completed, error, exhausted, cancelled) is silently dropped, while a final
record replaces a final one (a retried Finalize writes the same record again).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, UpdateItemInputTypeDef
    from mypy_boto3_s3 import S3Client

FINAL_STATUSES = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.ERROR,
        ExecutionStatus.EXHAUSTED,
        ExecutionStatus.CANCELLED,
    }
)
# DynamoDB items are capped at 400 KB; the record JSON leaves room for the other attributes.
INLINE_LIMIT = 300_000


def record_key(execution_id: str) -> str:
    """The S3 key of a large record's JSON."""
    return f"records/{execution_id}.json"


class DynamoExecutionStore:
    """ExecutionStore on a DynamoDB table (layout in lambdas.adapters.schema) and an S3 bucket.

    `createdAt` is set by the first write (the record's startedAt, else now) and never
    changes; a put without `session_id` keeps the session id stored by an earlier put.
    """

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        s3: S3Client,
        bucket: str,
        *,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def put(self, record: ExecutionRecord, *, session_id: str | None = None) -> None:
        final = record.status in FINAL_STATUSES
        body = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8")
        large = len(data) > INLINE_LIMIT
        if large and not final and self._is_final(record.id):
            # Checked before the upload so that a late start record cannot replace the body
            # of the final one in S3 (the conditional write below protects the item itself).
            return
        if large:
            with translated(f"PutObject {record_key(record.id)}"):
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=record_key(record.id),
                    Body=data,
                    ContentType="application/json",
                )
        request = self._update_request(record, None if large else body, session_id)
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(**request)
            except ClientError as error:
                if not final and error_code(error) == "ConditionalCheckFailedException":
                    return
                raise

    def _update_request(
        self, record: ExecutionRecord, body: str | None, session_id: str | None
    ) -> UpdateItemInputTypeDef:
        """The UpdateItem of a record, `body` inline or (None) by reference to S3."""
        attributes: dict[str, str | None] = {
            "organizationId": record.organization_id,
            "workflowId": record.workflow_id,
            "status": record.status.value,
            "orgWorkflow": f"{record.organization_id}#{record.workflow_id}",
            "orgStatus": f"{record.organization_id}#{record.status.value}",
            "startedAt": record.started_at,
            "endedAt": record.ended_at,
            "record": body,
            "recordKey": record_key(record.id) if body is None else None,
        }
        if session_id is not None:
            attributes["sessionId"] = session_id
        kept = {name: value for name, value in attributes.items() if value is not None}
        removed = [name for name, value in attributes.items() if value is None]
        assignments = [f"#{name} = :{name}" for name in kept]
        assignments.append("#createdAt = if_not_exists(#createdAt, :createdAt)")
        values: dict[str, AttributeValueTypeDef] = {f":{n}": {"S": v} for n, v in kept.items()}
        values[":createdAt"] = {"S": record.started_at or self._clock()}
        names = {f"#{name}": name for name in [*attributes, "createdAt"]}
        request: UpdateItemInputTypeDef = {
            "TableName": self._table,
            "Key": {"id": {"S": record.id}},
            "UpdateExpression": f"SET {', '.join(assignments)} "
            f"REMOVE {', '.join(f'#{name}' for name in removed)}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if record.status not in FINAL_STATUSES:
            finals = sorted(FINAL_STATUSES)
            placeholders = ", ".join(f":final{i}" for i in range(len(finals)))
            request["ConditionExpression"] = (
                f"attribute_not_exists(#id) OR NOT (#status IN ({placeholders}))"
            )
            values.update({f":final{i}": {"S": status.value} for i, status in enumerate(finals)})
            names["#id"] = "id"
        return request

    def get(self, execution_id: str) -> ExecutionRecord | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression="#record, #recordKey",
                ExpressionAttributeNames={"#record": "record", "#recordKey": "recordKey"},
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return None
        if "record" in item:
            body = item["record"]["S"].encode("utf-8")
        else:
            key = item["recordKey"]["S"]
            with translated(f"GetObject {key}"):
                body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return ExecutionRecord.model_validate(json.loads(body))

    def _is_final(self, execution_id: str) -> bool:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression="#status",
                ExpressionAttributeNames={"#status": "status"},
                ConsistentRead=True,
            ).get("Item")
        return item is not None and item["status"]["S"] in FINAL_STATUSES
