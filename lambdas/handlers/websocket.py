"""The WebSocket API Lambda: connect with an API key and a session, subscribe to executions.

`$connect` needs `sessionId` (query) and the API key (`Authorization: Bearer <key>`, or the
`apiKey` query parameter for browsers, which cannot set headers); executions started with
that session send their `execution_update` messages to it. `{"action": "subscribe",
"executionId"}` follows any running execution of the organization: it replies with the
current record (in pages when it exceeds a message), then updates follow, each with the
nodes a unit changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from pydantic import BaseModel, Field, ValidationError

from lambdas.handlers import wiring
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import ApiKeysTable, BlobBucket, Connections, ExecutionsTable
from lambdas.handlers.wiring import Clients
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import (
    ApiKeyStore,
    ConnectionRegistry,
    ExecutionStore,
    ProgressStore,
    ValueStore,
)
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus
from lambdas.runtime.updates import execution_updates, subscribers

RUNNING = (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING)


class Settings(ApiKeysTable, ExecutionsTable, BlobBucket, Connections):
    pass


@dataclass(frozen=True)
class Deps:
    api_keys: ApiKeyStore
    executions: ExecutionStore
    progress: ProgressStore
    values: ValueStore
    connections: ConnectionRegistry


def deps_from(settings: Settings, clients: Clients) -> Deps:
    connections = wiring.live_updates(settings, clients)
    if connections is None:
        raise ValueError("The WebSocket handler needs WEBSOCKET_ENDPOINT to answer its clients")
    return Deps(
        api_keys=wiring.api_keys(settings, clients),
        executions=wiring.executions(settings, settings, clients),
        progress=wiring.progress(settings, clients),
        values=wiring.values(settings, clients),
        connections=connections,
    )


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    query: dict[str, str] | None = Field(default=None, alias="queryStringParameters")


class Subscribe(BaseModel):
    action: str
    execution_id: str = Field(alias="executionId", min_length=1, max_length=80)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    context = event.get("requestContext", {})
    route = context.get("routeKey")
    connection_id = context.get("connectionId", "")
    if route == "$connect":
        answer = connect(ConnectEvent.model_validate(event), deps)
    elif route == "$disconnect":
        deps.connections.remove(connection_id)
        answer = {"statusCode": 200}
    else:
        answer = message(APIGatewayWebSocketMessageEventModel.model_validate(event), deps)
    # The stage's access log, which API Gateway writes only with an account-wide role.
    logger.info(
        "WebSocket request",
        extra={
            "route": route,
            "connectionId": connection_id,
            "sourceIp": context.get("identity", {}).get("sourceIp"),
            "status": answer.get("statusCode"),
        },
    )
    return answer


def connect(event: ConnectEvent, deps: Deps) -> dict[str, Any]:
    query = event.query or {}
    session_id = query.get("sessionId", "")
    if not 0 < len(session_id) <= 128:
        return _refuse(
            400, "INVALID_REQUEST", "A sessionId query parameter (1-128 characters) is required"
        )
    headers = {name.lower(): value for name, value in event.headers.items()}
    scheme, _, key = headers.get("authorization", "").partition(" ")
    key = key.strip() if scheme.lower() == "bearer" else query.get("apiKey", "")
    organization = deps.api_keys.organization_of(key) if key else None
    if organization is None:
        return _refuse(
            401, "UNAUTHORIZED", "A valid API key is required (Authorization header or apiKey)"
        )
    deps.connections.add(session_id, event.request_context.connection_id, organization)
    return {"statusCode": 200}


def message(event: APIGatewayWebSocketMessageEventModel, deps: Deps) -> dict[str, Any]:
    connection_id = event.request_context.connection_id
    try:
        request = Subscribe.model_validate(json.loads(str(event.body or "")))
    except (ValueError, ValidationError):
        return _reply(
            deps,
            connection_id,
            "INVALID_MESSAGE",
            'Send {"action": "subscribe", "executionId": "..."}',
        )
    if request.action != "subscribe":
        return _reply(deps, connection_id, "UNKNOWN_ACTION", f"Unknown action '{request.action}'")
    known = deps.connections.organization_of(connection_id)
    record = deps.executions.get(request.execution_id)
    if known is None or record is None or record.organization_id != known[1]:
        return _reply(
            deps, connection_id, "NOT_FOUND", f"Execution '{request.execution_id}' not found"
        )
    deps.connections.add(subscribers(record.id), connection_id, record.organization_id)
    record = current(record, deps)
    # large values by reference, as the final update carries them
    pages = execution_updates(
        execution_id=record.id,
        workflow_id=record.workflow_id,
        status=record.status,
        node_executions=(e.to_json() for e in record.node_executions),
        error=record.error,
    )
    for page in pages:
        if not deps.connections.post(connection_id, page):
            break  # the client has gone
    return {"statusCode": 200}


def current(record: ExecutionRecord, deps: Deps) -> ExecutionRecord:
    """The record of a running execution as it stands: the record persisted at its start,
    with the results its units have kept since (ProgressStore). A finished execution's
    record is complete."""
    if record.status not in RUNNING:
        return record
    payloads = Payloads(deps.values, record.organization_id)
    latest = {e.node_id: e for e in record.node_executions}
    # a workflow has no more units than nodes
    for kept in deps.progress.get(record.id, range(len(latest))).values():
        for node_id, entry in payloads.unpack_results(kept).items():
            if node_id in latest:
                latest[node_id] = entry
    return record.model_copy(update={"node_executions": list(latest.values())})


def _reply(deps: Deps, connection_id: str, code: str, text: str) -> dict[str, Any]:
    deps.connections.post(
        connection_id, {"type": "error", "error": {"code": code, "message": text}}
    )
    return {"statusCode": 400, "body": text}


def _refuse(status: int, code: str, text: str) -> dict[str, Any]:
    """A refused `$connect`: API Gateway answers the upgrade with this status and body."""
    return {"statusCode": status, "body": json.dumps({"error": {"code": code, "message": text}})}


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
