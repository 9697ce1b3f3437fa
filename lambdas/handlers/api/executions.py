"""Executions: start one of a deployed workflow, read, list and cancel them (the lifecycle
does each; these routes translate requests and answers).

A start and a cancel import their part of the lifecycle when they run: the start's loads the
ASL compiler, which a cold start serving any other route never uses.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from lambdas.handlers.api.bodies import (
    ExecutionPage,
    NodeExecutionPage,
    RecordBody,
    Started,
)
from lambdas.handlers.api.node_pages import MAX_NODE_PAGE, nodes_body, record_body
from lambdas.handlers.api.routing import (
    WorkflowId,
    answers,
    deps_of,
    json_response,
    organization_of,
)
from lambdas.lifecycle.idempotency import execution_key, fingerprint
from lambdas.lifecycle.owned import deployed, stored_record
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import ExecutionStatus

if TYPE_CHECKING:
    from lambdas.lifecycle import start

router = Router()  # type: ignore[no-untyped-call]

ExecutionId = Annotated[str, Path(min_length=1, max_length=80)]
IdempotencyKey = Annotated[
    str | None, Header(alias="idempotency-key", min_length=1, max_length=200)
]
NextToken = Annotated[str | None, Query(alias="nextToken", max_length=4096)]


class StartRequest(BaseModel):
    """The body of a start: per-run input overrides and the WebSocket session to update."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    inputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="node id -> input name -> value"
    )
    session_id: str | None = Field(default=None, alias="sessionId", min_length=1, max_length=128)


# What a start answers, and a retry (which starts an execution too).
STARTED = answers(
    {202: ("Started; read it at /executions/{executionId}", Started)},
    HTTPStatus.NOT_FOUND,
    HTTPStatus.CONFLICT,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
)


@router.post(
    "/workflows/<workflow_id>/executions",
    summary="Start an execution",
    responses=STARTED,
    operation_id="startExecution",
)
def start_execution(
    workflow_id: WorkflowId,
    request: Annotated[StartRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    from lambdas.lifecycle import start

    deps, organization = deps_of(router), organization_of(router)
    body = request or StartRequest()
    stored = deployed(deps, organization, workflow_id)
    key = execution_key("start", organization, workflow_id, idempotency_key)
    asked = start.Request(key, fingerprint_of(body, key), body.session_id)
    return started_response(start.start_workflow(deps, stored, body.inputs, asked))


def fingerprint_of(body: BaseModel, key: str | None) -> str | None:
    """The fingerprint of a start's or a retry's body, as its JSON reads (aliases, defaults),
    when a key names its execution; None without one (no later request can name the same
    execution, so nothing compares it)."""
    if key is None:
        return None
    return fingerprint(body.model_dump(mode="json", by_alias=True))


def started_response(started: start.Started, retry_of: str | None = None) -> Response[str]:
    """202 with the execution's id and status; `Idempotent-Replayed` when its key had
    started it before."""
    body: dict[str, Any] = {"executionId": started.execution_id, "workflowId": started.workflow_id}
    if retry_of is not None:
        body["retryOf"] = retry_of
    headers = {"Location": f"/executions/{started.execution_id}"}
    if started.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(HTTPStatus.ACCEPTED, {**body, "status": started.status}, headers)


@router.get(
    "/executions/<execution_id>",
    summary="Read an execution's record",
    description="A record too large for one response holds its leading node executions and "
    "`nodeExecutionsNextToken`, to read the rest from /executions/{executionId}/nodes.",
    responses=answers({200: ("The execution's record", RecordBody)}, HTTPStatus.NOT_FOUND),
    operation_id="getExecution",
)
def get_execution(execution_id: ExecutionId) -> Response[str]:
    deps = deps_of(router)
    record = stored_record(deps, organization_of(router), execution_id)
    payloads = Payloads(deps.values, record.organization_id)
    return json_response(HTTPStatus.OK, record_body(payloads, record))


@router.get(
    "/executions/<execution_id>/nodes",
    summary="Read an execution's node executions, a page at a time, in the record's order",
    description="A page holds up to `limit` nodes, fewer when their values would make the "
    "response too large.",
    responses=answers(
        {200: ("A page of node executions", NodeExecutionPage)}, HTTPStatus.NOT_FOUND
    ),
    operation_id="getNodeExecutions",
)
def get_node_executions(
    execution_id: ExecutionId,
    limit: Annotated[int, Query(ge=1, le=MAX_NODE_PAGE)] = 100,
    next_token: NextToken = None,
) -> Response[str]:
    deps = deps_of(router)
    record = stored_record(deps, organization_of(router), execution_id)
    payloads = Payloads(deps.values, record.organization_id)
    return json_response(HTTPStatus.OK, nodes_body(payloads, record, limit, next_token))


@router.get(
    "/workflows/<workflow_id>/executions",
    summary="List a workflow's executions, newest first",
    responses=answers({200: ("A page of executions", ExecutionPage)}, HTTPStatus.NOT_FOUND),
    operation_id="listExecutions",
)
def list_executions(
    workflow_id: WorkflowId,
    status: Annotated[ExecutionStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: NextToken = None,
) -> Response[str]:
    deps, organization = deps_of(router), organization_of(router)
    deployed(deps, organization, workflow_id)  # 404 for an unknown workflow, as GET answers
    page = deps.executions.list(
        organization, workflow_id, status=status, limit=limit, next_token=next_token
    )
    return json_response(HTTPStatus.OK, page.to_json())


@router.post(
    "/executions/<execution_id>/cancel",
    summary="Cancel a running execution",
    responses=answers(
        {200: ("Cancelled: the execution's record", RecordBody)},
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
    operation_id="cancelExecution",
)
def cancel_execution(execution_id: ExecutionId) -> Response[str]:
    from lambdas.lifecycle.cancel import cancel_execution as cancel

    deps, organization = deps_of(router), organization_of(router)
    record = cancel(deps, organization, execution_id)
    payloads = Payloads(deps.values, organization)
    return json_response(HTTPStatus.OK, record_body(payloads, record))
