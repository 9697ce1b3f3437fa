"""Live updates over API Gateway WebSockets: the connections of a session, kept in DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.errors import TransientError
from lambdas.runtime.record import utc_now
from lambdas.runtime.store_errors import StoreError

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

BY_CONNECTION = "byConnection"


class ApiGatewayLiveUpdates:
    """LiveUpdates on the connections table (sessionId, connectionId) and the management API.

    A send reaches every connection it can: when one fails for a reason other than a gone
    client, the others are still tried and the first failure is raised afterwards.

    `listening`, where this process holds the WebSocket clients itself (the embedded engine):
    whether any client is connected at all; while none is, no session's connections are
    looked up (a query at every live update of every execution).
    """

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        management: ApiGatewayManagementApiClient,
        *,
        clock: Callable[[], str] = utc_now,
        listening: Callable[[], bool] | None = None,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._management = management
        self._clock = clock
        self._listening = listening

    def send(
        self, session_id: str, message: Mapping[str, Any], organization_id: str | None = None
    ) -> int:
        """Post `message` (as JSON) to the session's connections; return how many got it.

        Session ids are chosen by clients, so two organizations may use the same one: with
        `organization_id`, only the connections that organization opened receive `message`.
        """
        return self.deliver(session_id, self.connections(session_id, organization_id), [message])

    def deliver(
        self, session_id: str, connection_ids: list[str], messages: Sequence[Mapping[str, Any]]
    ) -> int:
        """Post `messages` (as JSON), in order, to each of these connections of the session;
        return how many got them all.

        A connection whose client is gone gets no more of them and is deleted; one whose post
        fails gets no more either (the messages after a missing one would mislead), and the
        first failure is raised once the other connections were tried.
        """
        data = [_encoded(message) for message in messages]
        delivered = 0
        failure: StoreError | TransientError | None = None
        for connection_id in connection_ids:
            try:
                if all(self._post(connection_id, part) for part in data):
                    delivered += 1
                else:
                    self._delete(session_id, connection_id)
            except (StoreError, TransientError) as error:
                failure = failure or error
        if failure is not None:
            raise failure
        return delivered

    def add(self, session_id: str, connection_id: str, organization_id: str) -> None:
        """Record a connection of a session (the WebSocket $connect route)."""
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "sessionId": {"S": session_id},
                    "connectionId": {"S": connection_id},
                    "organizationId": {"S": organization_id},
                    "connectedAt": {"S": self._clock()},
                },
            )

    def remove(self, connection_id: str) -> bool:
        """Forget a connection (the $disconnect route); False when it was not recorded."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=BY_CONNECTION,
            KeyConditionExpression="connectionId = :connection",
            ExpressionAttributeValues={":connection": {"S": connection_id}},
        )
        with translated(f"Query {self._table}"):
            sessions = [item["sessionId"]["S"] for page in pages for item in page.get("Items", [])]
        for session_id in sessions:
            self._delete(session_id, connection_id)
        return bool(sessions)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Post `message` (as JSON) to one connection; False (and the connection forgotten)
        when its client is gone."""
        if self._post(connection_id, _encoded(message)):
            return True
        self.remove(connection_id)
        return False

    def organization_of(self, connection_id: str) -> tuple[str, str] | None:
        """The (session id, organization id) a connection was added with; None when unknown."""
        with translated(f"Query {self._table}"):
            items = self._dynamodb.query(
                TableName=self._table,
                IndexName=BY_CONNECTION,
                KeyConditionExpression="connectionId = :connection",
                ExpressionAttributeValues={":connection": {"S": connection_id}},
            ).get("Items", [])
        if not items:
            return None
        return items[0]["sessionId"]["S"], items[0]["organizationId"]["S"]

    def connections(self, session_id: str, organization_id: str | None = None) -> list[str]:
        """The ids of the session's connections (only those `organization_id` opened).

        Asked at every live update of every execution, mostly of sessions nobody holds: the
        query's pages are read in a loop of our own, without a paginator's machinery (a
        fifth of each ask's cost)."""
        if self._listening is not None and not self._listening():
            return []
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "sessionId = :session",
            "ExpressionAttributeValues": {":session": {"S": session_id}},
            "ProjectionExpression": "connectionId, organizationId",
            "ConsistentRead": True,
        }
        items = []
        with translated(f"Query {self._table}"):
            while True:
                page = self._dynamodb.query(**request)
                items += page.get("Items", [])
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [
            item["connectionId"]["S"]
            for item in items
            if organization_id is None or item.get("organizationId", {}).get("S") == organization_id
        ]

    def _post(self, connection_id: str, data: bytes) -> bool:
        """True when the connection got `data`, False when its client is gone (410)."""
        with translated(f"PostToConnection {connection_id}"):
            try:
                self._management.post_to_connection(Data=data, ConnectionId=connection_id)
            except ClientError as error:
                if error_code(error) == "GoneException":
                    return False
                raise
        return True

    def _delete(self, session_id: str, connection_id: str) -> None:
        with translated(f"DeleteItem {self._table}"):
            self._dynamodb.delete_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}, "connectionId": {"S": connection_id}},
            )


def _encoded(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
