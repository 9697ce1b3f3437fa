"""Execution records in DynamoDB, the body of a large one in S3; final records are never undone.

A record is written at three points (exhausted, start, end) and each write may be retried or
arrive late, so the item only moves forward: a non-final record (submitted, executing) put
after a final one (completed, error, exhausted, cancelled) is silently dropped, while a final
record replaces a final one (a retried Finalize writes the same record again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.adapters.schema import BY_WORKFLOW_SUMMARY
from lambdas.runtime.pages import check_limit, decode_token, encode_token
from lambdas.runtime.ports import ExecutionHandle, ExecutionOrigin, Page
from lambdas.runtime.record import (
    FINAL_STATUSES,
    ExecutionRecord,
    ExecutionStatus,
    ExecutionSummary,
    utc_now,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutItemInputTypeDef,
        QueryInputTypeDef,
        UpdateItemInputTypeDef,
    )
    from mypy_boto3_s3 import S3Client

# Below DynamoDB's item quota (statemachine.quotas.ITEM_BYTES): the record JSON leaves room for
# the other attributes.
INLINE_LIMIT = 300_000
# Listings show the error as a top-level attribute, cut to this many characters.
ERROR_LIMIT = 1000
# The attributes of a start key of the listing's index (its keys plus the table's): the same
# for byWorkflowSummary and the byWorkflow it replaces, so a token of one pages the other.
BY_WORKFLOW_KEY = ("orgWorkflow", "createdAt", "id")
# A listing filtered by status reads at most this many batches before returning a short page.
FILTERED_QUERIES = 5
FILTERED_BATCH = 100


def record_key(execution_id: str) -> str:
    """The S3 key of a large record's JSON."""
    return f"records/{execution_id}.json"


class DynamoExecutionStore:
    """ExecutionStore on a DynamoDB table (layout in lambdas.adapters.schema) and an S3 bucket.

    `createdAt` is set by the first write (the record's startedAt, else now) and never
    changes; a put without `session_id` or `execution_arn` keeps the one an earlier put
    stored. Listings query the index `listing_index` and read only the attributes
    schema.EXECUTION_SUMMARY names (and `id`), which is all that index projects.
    """

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        s3: S3Client,
        bucket: str,
        *,
        clock: Callable[[], str] = utc_now,
        listing_index: str = BY_WORKFLOW_SUMMARY,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock
        self._listing_index = listing_index

    def put(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None = None,
        execution_arn: str | None = None,
    ) -> None:
        self._write(record, session_id, execution_arn, new=False)

    def submit(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None,
        execution_arn: str | None,
        fingerprint: str | None = None,
        origin: ExecutionOrigin | None = None,
    ) -> bool:
        """Store the first record of a new execution, the `fingerprint` of the request
        that started it and its `origin` (at most the 32 KiB of inputs a state carries, and
        a few names); False (nothing written) when an execution with its id exists
        already: a start repeated with the same idempotency key, which must not start a
        second execution."""
        kept = {
            "requestFingerprint": fingerprint,
            "origin": None if origin is None else origin.model_dump_json(exclude_none=True),
        }
        return self._write(record, session_id, execution_arn, new=True, kept=kept)

    def _write(
        self,
        record: ExecutionRecord,
        session_id: str | None,
        execution_arn: str | None,
        *,
        new: bool,
        kept: dict[str, str | None] | None = None,
    ) -> bool:
        final = record.status in FINAL_STATUSES
        body = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8")
        large = len(data) > INLINE_LIMIT
        if large and not final and self.status(record.id) in FINAL_STATUSES:
            # Checked before the upload so that a late start record cannot replace the body
            # of the final one in S3 (the conditional write below protects the item itself).
            return False
        if large and not (new and self.handle(record.id) is not None):
            with translated(f"PutObject {record_key(record.id)}"):
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=record_key(record.id),
                    Body=data,
                    ContentType="application/json",
                )
        inline = None if large else body
        kept_once = {"sessionId": session_id, "executionArn": execution_arn, **(kept or {})}
        with translated(f"{'PutItem' if new else 'UpdateItem'} {self._table}"):
            try:
                if new:
                    self._dynamodb.put_item(**self._put_request(record, inline, kept_once))
                else:
                    self._dynamodb.update_item(**self._update_request(record, inline, kept_once))
            except ClientError as error:
                if not final and error_code(error) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _put_request(
        self, record: ExecutionRecord, body: str | None, kept_once: dict[str, str | None]
    ) -> PutItemInputTypeDef:
        """The PutItem of a new execution's first record, only if no item of that execution
        exists: the item an UpdateItem would create, without an update expression to
        evaluate clause by clause (in moto, 8x the cost of this put)."""
        attributes = self._attributes(record, body)
        attributes.update({name: value for name, value in kept_once.items() if value is not None})
        item: dict[str, AttributeValueTypeDef] = {"id": {"S": record.id}}
        item.update({name: {"S": value} for name, value in attributes.items() if value is not None})
        item["usage"] = {"N": str(record.usage)}
        item["createdAt"] = {"S": record.started_at or self._clock()}
        return {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": {"#id": "id"},
        }

    def _attributes(self, record: ExecutionRecord, body: str | None) -> dict[str, str | None]:
        """The record's top-level attributes (None: absent), `body` inline or (None) by
        reference to S3."""
        error = record.error
        if error is not None and len(error) > ERROR_LIMIT:
            error = error[: ERROR_LIMIT - 1] + "…"
        return {
            "organizationId": record.organization_id,
            "workflowId": record.workflow_id,
            "workflowName": record.workflow_name,
            "status": record.status.value,
            "orgWorkflow": f"{record.organization_id}#{record.workflow_id}",
            "startedAt": record.started_at,
            "endedAt": record.ended_at,
            "error": error,
            "record": body,
            "recordKey": record_key(record.id) if body is None else None,
        }

    def _update_request(
        self,
        record: ExecutionRecord,
        body: str | None,
        kept_once: dict[str, str | None],
    ) -> UpdateItemInputTypeDef:
        """The UpdateItem of a record, `body` inline or (None) by reference to S3; a
        non-final record only while the stored one is not final.

        `kept_once` attributes are set when given and otherwise left as stored.
        """
        attributes = self._attributes(record, body)
        attributes.update({name: value for name, value in kept_once.items() if value is not None})
        kept = {name: value for name, value in attributes.items() if value is not None}
        removed = [name for name, value in attributes.items() if value is None]
        assignments = [f"#{name} = :{name}" for name in kept]
        assignments.append("#usage = :usage")
        assignments.append("#createdAt = if_not_exists(#createdAt, :createdAt)")
        values: dict[str, AttributeValueTypeDef] = {f":{n}": {"S": v} for n, v in kept.items()}
        values[":usage"] = {"N": str(record.usage)}
        values[":createdAt"] = {"S": record.started_at or self._clock()}
        names = {f"#{name}": name for name in [*attributes, "usage", "createdAt"]}
        request: UpdateItemInputTypeDef = {
            "TableName": self._table,
            "Key": {"id": {"S": record.id}},
            "UpdateExpression": f"SET {', '.join(assignments)}"
            + (f" REMOVE {', '.join(f'#{name}' for name in removed)}" if removed else ""),
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
        if item is None or not ("record" in item or "recordKey" in item):
            return None  # none, or what an execution's live updates announced (progress)
        if "record" in item:
            body = item["record"]["S"].encode("utf-8")
        else:
            key = item["recordKey"]["S"]
            with translated(f"GetObject {key}"):
                body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return ExecutionRecord.model_validate(json.loads(body))

    def status(self, execution_id: str) -> ExecutionStatus | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression="#status",
                ExpressionAttributeNames={"#status": "status"},
                ConsistentRead=True,
            ).get("Item")
        if item is None or "status" not in item:
            return None
        return ExecutionStatus(item["status"]["S"])

    def handle(self, execution_id: str) -> ExecutionHandle | None:
        names = (
            "id",
            "organizationId",
            "workflowId",
            "status",
            "executionArn",
            "sessionId",
            "requestFingerprint",
            "origin",
        )
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"id": {"S": execution_id}},
                ProjectionExpression=", ".join(f"#{name}" for name in names),
                ExpressionAttributeNames={f"#{name}": name for name in names},
                ConsistentRead=True,
            ).get("Item")
        if item is None or "organizationId" not in item:
            return None
        origin = _text(item, "origin")
        return ExecutionHandle(
            id=execution_id,
            organization_id=_text(item, "organizationId") or "",
            workflow_id=_text(item, "workflowId") or "",
            status=ExecutionStatus(_text(item, "status") or ExecutionStatus.SUBMITTED),
            execution_arn=_text(item, "executionArn"),
            session_id=_text(item, "sessionId"),
            fingerprint=_text(item, "requestFingerprint"),
            origin=None if origin is None else ExecutionOrigin.model_validate_json(origin),
        )

    def list(
        self,
        organization_id: str,
        workflow_id: str,
        *,
        status: str | None = None,
        limit: int = 20,
        next_token: str | None = None,
    ) -> Page[ExecutionSummary]:
        """Newest first. With `status`, a page may hold fewer than `limit` items (even none)
        while `next_token` is set: the filter applies to a bounded number of reads."""
        check_limit(limit)
        partition = ("orgWorkflow", f"{organization_id}#{workflow_id}")
        action = f"Query {self._table}"
        start = (
            None
            if next_token is None
            else decode_token(next_token, BY_WORKFLOW_KEY, partition, action)
        )
        names = {"#orgWorkflow": "orgWorkflow"}
        values: dict[str, AttributeValueTypeDef] = {":orgWorkflow": {"S": partition[1]}}
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": self._listing_index,
            "KeyConditionExpression": "#orgWorkflow = :orgWorkflow",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            # One more than a page, so that the last page says there is no next one.
            "Limit": limit + 1 if status is None else max(limit + 1, FILTERED_BATCH),
        }
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            names["#status"] = "status"
            values[":status"] = {"S": status}
        items: list[dict[str, AttributeValueTypeDef]] = []
        for _ in range(FILTERED_QUERIES if status is not None else 1):
            if start is not None:
                request["ExclusiveStartKey"] = start
            with translated(action):
                response = self._dynamodb.query(**request)
            for item in response.get("Items", []):
                if len(items) == limit:
                    token = encode_token(items[-1], BY_WORKFLOW_KEY)
                    return Page(items=[_summary(i) for i in items], next_token=token)
                items.append(item)
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        rest = None if start is None else encode_token(start, BY_WORKFLOW_KEY)
        return Page(items=[_summary(item) for item in items], next_token=rest)


def _text(item: Mapping[str, AttributeValueTypeDef], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else value.get("S")


def _summary(item: Mapping[str, AttributeValueTypeDef]) -> ExecutionSummary:
    """An execution as listed, from `id` and the item's schema.EXECUTION_SUMMARY attributes
    (the listing's index projects no other)."""
    usage = item.get("usage", {}).get("N")
    return ExecutionSummary(
        id=_text(item, "id") or "",
        workflow_id=_text(item, "workflowId") or "",
        workflow_name=_text(item, "workflowName") or "",
        organization_id=_text(item, "organizationId") or "",
        status=ExecutionStatus(_text(item, "status") or ExecutionStatus.SUBMITTED),
        error=_text(item, "error"),
        started_at=_text(item, "startedAt"),
        ended_at=_text(item, "endedAt"),
        usage=int(usage) if usage else 0,
    )
