"""Executions: start one of a deployed workflow, read, list and cancel them."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any

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
    ApiDeps,
    ApiError,
    WorkflowId,
    answers,
    deployed,
    deps_of,
    json_response,
    not_found,
    organization_of,
)
from lambdas.handlers.notify import announce
from lambdas.lifecycle import records
from lambdas.lifecycle.start import context_of, start_state
from lambdas.runtime.credits import charge
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionHandle, ExecutionOrigin, StoredWorkflow, execution_arn
from lambdas.runtime.record import (
    FINAL_STATUSES,
    ExecutionRecord,
    ExecutionStatus,
    NodeExecution,
)
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.store_errors import MachineMissing
from statemachine.compiler import document_key, encode_document
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_overrides

router = Router()  # type: ignore[no-untyped-call]

# Executions started with the same Idempotency-Key get the same id (hence the same execution).
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c9a52-4d8e-4c55-9d1e-0f2b7c3a8e41")

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
    deps, organization = deps_of(router), organization_of(router)
    body = request or StartRequest()
    stored = deployed(deps, organization, workflow_id)
    workflow = Workflow.model_validate(stored.definition)
    try:
        overrides = validate_overrides(workflow, body.inputs, deps.registry.catalog)
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_INPUTS", str(error), problems) from None
    inputs = Payloads(deps.values, organization).pack_inputs(overrides)
    key = execution_key("start", organization, workflow_id, idempotency_key)
    return launch(deps, stored, Request(key, fingerprint(body)), body.session_id, inputs, {})


@dataclass(frozen=True)
class Request:
    """What makes a start idempotent: its Idempotency-Key (qualified by organization and
    target, see `execution_key`), if any, and the fingerprint of its body."""

    key: str | None
    fingerprint: str


def execution_key(
    scope: str, organization_id: str, target: str, idempotency_key: str | None
) -> str | None:
    """What names the execution an Idempotency-Key starts: the scope (a start or a retry),
    the organization, the workflow or execution started from, and the key, encoded as a
    JSON array so that no two different quadruples meet (whatever `/` or other character
    any of them holds); None without a key."""
    if idempotency_key is None:
        return None
    return json.dumps([scope, organization_id, target, idempotency_key], ensure_ascii=False)


def fingerprint(body: BaseModel) -> str:
    """A digest of a request body's meaning: equal for the same values, whatever their
    order, spacing or omitted defaults; kept with the execution an Idempotency-Key starts."""
    canonical = json.dumps(
        body.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def launch(
    deps: ApiDeps,
    stored: StoredWorkflow,
    request: Request,
    session_id: str | None,
    inputs: dict[str, Any],
    reused: dict[str, Any],
    retry_of: str | None = None,
) -> Response[str]:
    """Record the execution as submitted, with what it starts from (`inputs`, packed, and
    the version of the workflow: `stored`, started on `stored.version_arn`), then start it;
    202 with its id and status.

    A start repeated with the same Idempotency-Key starts nothing: it answers the execution
    the key started, as the first answer did (its status as it is now), when the body is
    the same, and 409 IDEMPOTENCY_KEY_REUSED when it differs."""
    workflow = Workflow.model_validate(stored.definition)
    execution_id = str(
        uuid.uuid5(IDEMPOTENCY_NAMESPACE, request.key) if request.key else uuid.uuid4()
    )
    machine = stored.version_arn or stored.state_machine_arn
    origin = ExecutionOrigin(
        inputs=inputs,
        workflow_version=stored.version,
        workflow_document=document_key(encode_document(stored.definition)),
        version_arn=machine,
    )
    started = {"executionId": execution_id, "workflowId": workflow.id}
    if retry_of is not None:
        started["retryOf"] = retry_of
    location = {"Location": f"/executions/{execution_id}"}
    context = context_of(execution_id, workflow, stored.organization_id, session_id)
    payloads = Payloads(deps.values, stored.organization_id)
    state = start_state(context, inputs, payloads.pack_map(reused))
    submitted = records.submitted(
        context,
        (node.id for node in workflow.nodes),
        {node_id: NodeExecution.model_validate(node) for node_id, node in reused.items()},
    )
    # Stored before the start, so that the execution's own writes always come after it; a
    # conditional write, so that a repeated start (same idempotency key) starts nothing,
    # also on an Express state machine, which does not refuse a repeated execution name.
    # An Express execution's ARN holds an id Step Functions picks at the start, and nothing
    # can be asked of it by that ARN: none is kept, and none means "cannot be stopped".
    new = deps.executions.submit(
        submitted,
        session_id=session_id,
        execution_arn=None
        if workflow.short_lived
        else execution_arn(stored.state_machine_arn, execution_id),
        fingerprint=request.fingerprint,
        origin=origin,
    )
    if not new:
        return _replayed(deps, execution_id, request, started, location)
    try:
        deps.machines.start(machine, execution_id, state.to_json())
    except MachineMissing:  # the workflow was deleted between the read and the start
        message = f"Workflow '{workflow.id}' was deleted before the execution started"
        deps.executions.put(
            submitted.model_copy(update={"status": ExecutionStatus.ERROR, "error": message})
        )
        raise not_found("Workflow", workflow.id) from None
    return json_response(HTTPStatus.ACCEPTED, {**started, "status": "submitted"}, location)


def _replayed(
    deps: ApiDeps,
    execution_id: str,
    request: Request,
    started: dict[str, Any],
    location: dict[str, str],
) -> Response[str]:
    """The answer to a start whose Idempotency-Key already started `execution_id`."""
    handle = deps.executions.handle(execution_id)
    if handle is None:  # gone since (never, unless deleted by hand): a conflict all the same
        raise _key_reused()
    # An execution stored before fingerprints were kept has none: taken as the same request.
    if handle.fingerprint is not None and handle.fingerprint != request.fingerprint:
        raise _key_reused()
    headers = {**location, "Idempotent-Replayed": "true"}
    return json_response(HTTPStatus.ACCEPTED, {**started, "status": handle.status}, headers)


def _key_reused() -> ApiError:
    return ApiError(
        HTTPStatus.CONFLICT,
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key already started an execution with another request body: "
        "send the same body to get that execution, or use a new key",
    )


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
    deps, organization = deps_of(router), organization_of(router)
    handle = deps.executions.handle(execution_id)
    if handle is None or handle.organization_id != organization:
        raise not_found("Execution", execution_id)
    if handle.status in FINAL_STATUSES:
        raise _already_finished(handle.status)
    if handle.execution_arn is None:
        raise ApiError(
            HTTPStatus.CONFLICT,
            "NOT_CANCELLABLE",
            "Executions of a short-lived workflow run on an Express state machine, which "
            "cannot stop them; it ends within minutes",
        )
    record = cancel(deps, handle, "Cancelled through the API")
    if record is None:
        current = deps.executions.handle(execution_id)
        raise _already_finished(current.status if current else handle.status)
    payloads = Payloads(deps.values, organization)
    return json_response(HTTPStatus.OK, record_body(payloads, record))


def cancel(deps: ApiDeps, handle: ExecutionHandle, cause: str) -> ExecutionRecord | None:
    """Stop a running execution and store its record as `cancelled` (its completed nodes
    charged), then send its final update; None when it was not running."""
    if handle.execution_arn is None or not deps.machines.stop(handle.execution_arn, cause):
        return None
    deps.progress.seal(handle.id)  # from here no task announces what the record misses
    record, kept = _cancelled_record(deps, handle)
    if not deps.development:
        charge(deps.organizations, record)
    deps.executions.put(record)
    deps.progress.delete(handle.id, kept)  # the record holds them now
    announce(deps.updates, records.execution_of(record, handle.session_id), record)
    return record


def _cancelled_record(deps: ApiDeps, handle: ExecutionHandle) -> tuple[ExecutionRecord, list[int]]:
    """The record of a stopped execution, from what its units kept and the last state its
    history holds (the number of units, the results a retry started with), and the units
    whose results it read."""
    stored = deps.executions.get(handle.id)
    node_ids = [e.node_id for e in stored.node_executions] if stored else []
    last = deps.machines.last_state(handle.execution_arn or "")
    state = WorkflowState.model_validate(last) if last else None
    if state is None:
        assert stored is not None
        state = WorkflowState(execution=records.execution_of(stored))
    # Before Initialize returns, the state names no units, but the waits it resolved may be
    # kept already: a workflow has no more units than nodes.
    units = range(state.units or len(node_ids))
    kept = deps.progress.get(handle.id, units)
    record = records.final(
        state,
        node_ids,
        Payloads(deps.values, handle.organization_id),
        (kept[u] for u in units if u in kept),
        cancelled=True,
    )
    return record, list(kept)


def stored_record(deps: ApiDeps, organization: str, execution_id: str) -> ExecutionRecord:
    record = deps.executions.get(execution_id)
    if record is None or record.organization_id != organization:
        raise not_found("Execution", execution_id)
    return record


def _already_finished(status: str) -> ApiError:
    return ApiError(
        HTTPStatus.CONFLICT, "NOT_RUNNING", f"The execution is {status}: nothing to cancel"
    )
