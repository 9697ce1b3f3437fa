"""Retrying a failed or cancelled execution: on the version it ran, or on the current one."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from lambdas.handlers.api.executions import (
    STARTED,
    ExecutionId,
    IdempotencyKey,
    Request,
    execution_key,
    fingerprint,
    launch,
    stored_record,
)
from lambdas.handlers.api.routing import (
    ApiDeps,
    ApiError,
    deployed,
    deps_of,
    organization_of,
)
from lambdas.handlers.api.workflows import compile_for
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionHandle, ExecutionOrigin, StoredWorkflow
from lambdas.runtime.record import ExecutionStatus
from lambdas.runtime.retry import reusable
from lambdas.runtime.store_errors import MachineMissing, ObjectMissing
from statemachine.asl import definition_json
from statemachine.compiler import document_key, encode_document, machine_type
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_overrides, validate_workflow

router = Router()  # type: ignore[no-untyped-call]

RETRYABLE = frozenset({ExecutionStatus.ERROR, ExecutionStatus.CANCELLED})


class RetryRequest(BaseModel):
    """The body of a retry: which version of the workflow runs, the WebSocket session."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    session_id: str | None = Field(default=None, alias="sessionId", min_length=1, max_length=128)
    workflow: Literal["original", "current"] = Field(
        default="original",
        description="original: the version the execution ran; current: the workflow as "
        "deployed now, rerunning every node whose definition (or an upstream one) changed",
    )


@router.post(
    "/executions/<execution_id>/retry",
    summary="Retry a failed or cancelled execution: completed nodes are reused, the rest runs",
    responses=STARTED,
    operation_id="retryExecution",
)
def retry_execution(
    execution_id: ExecutionId,
    request: Annotated[RetryRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    """A new execution with the inputs the execution was started with, starting with the
    results of the nodes that completed and still hold (they are not run, nor charged,
    again), of the version of the workflow it ran, or of the current one."""
    deps, organization = deps_of(router), organization_of(router)
    body = request or RetryRequest()
    record = stored_record(deps, organization, execution_id)
    if record.status not in RETRYABLE:
        raise ApiError(
            HTTPStatus.CONFLICT,
            "NOT_RETRYABLE",
            f"The execution is {record.status}: only a failed or cancelled one can be retried",
        )
    current = deployed(deps, organization, record.workflow_id)
    handle = deps.executions.handle(execution_id)
    origin = handle.origin if handle is not None else None
    ran = _version_ran(deps, origin, current)
    if body.workflow == "current":
        run = current
    elif ran is None:
        assert origin is not None
        raise _version_unavailable(origin.workflow_version, "its definition was not kept")
    else:
        run = ran
    if run.definition.get("shortLived"):
        raise ApiError(
            HTTPStatus.CONFLICT,
            "NOT_RETRYABLE",
            "Executions of a short-lived workflow (an Express state machine) keep no "
            "history to retry from: start a new one",
        )
    workflow = Workflow.model_validate(run.definition)
    if origin is None:  # stored before origins were kept
        inputs = _inputs_from_history(deps, handle)
    elif run is ran:
        inputs = origin.inputs
    else:
        inputs = _inputs_for(deps, organization, workflow, origin.inputs)
    payloads = Payloads(deps.values, organization)
    if ran is None:
        kept = []  # which results still hold is unknown: everything runs again
    else:
        before = None if ran is run else Workflow.model_validate(ran.definition)
        kept = reusable(workflow, record.node_executions, before)
    reused = {e.node_id: payloads.pack_execution(e) for e in kept}
    if run is not current:
        run = _runnable(deps, organization, run, current)
    key = execution_key("retry", organization, execution_id, idempotency_key)
    return launch(
        deps, run, Request(key, fingerprint(body)), body.session_id, inputs, reused, execution_id
    )


def _version_ran(
    deps: ApiDeps, origin: ExecutionOrigin | None, current: StoredWorkflow
) -> StoredWorkflow | None:
    """The version of the workflow the execution ran: `current` when it is defined as that
    one (the same version, or one deployed alike) or when the execution was stored before
    versions were kept; None when its definition is gone."""
    if origin is None or origin.workflow_document == document_key(
        encode_document(current.definition)
    ):
        return current
    try:
        definition = json.loads(deps.values.get_value(origin.workflow_document))
    except ObjectMissing:
        return None
    return current.model_copy(
        update={
            "version": origin.workflow_version,
            "name": definition.get("name", current.name),
            "definition": definition,
            "version_arn": origin.version_arn,
            "part_arns": [],
        }
    )


def _inputs_from_history(deps: ApiDeps, handle: ExecutionHandle | None) -> dict[str, Any]:
    """The inputs of an execution stored before its origin was: from the input Step
    Functions keeps in its history (while it keeps it)."""
    arn = handle.execution_arn if handle is not None else None
    first = deps.machines.start_state(arn) if arn else None
    inputs = first.get("inputs", {}) if first else {}
    return dict(inputs) if isinstance(inputs, dict) else {}


def _inputs_for(
    deps: ApiDeps, organization: str, workflow: Workflow, packed: dict[str, Any]
) -> dict[str, Any]:
    """The execution's inputs checked against another version of its workflow (packed)."""
    payloads = Payloads(deps.values, organization)
    try:
        overrides = validate_overrides(
            workflow, payloads.unpack_inputs(packed), deps.registry.catalog
        )
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise ApiError(
            HTTPStatus.CONFLICT,
            "INVALID_INPUTS",
            f"The execution's inputs do not fit the workflow as it is now: {error}",
            problems,
        ) from None
    return payloads.pack_inputs(overrides)


def _runnable(
    deps: ApiDeps, organization: str, version: StoredWorkflow, current: StoredWorkflow
) -> StoredWorkflow:
    """`version`, an earlier version of `current`, with a state machine version that runs
    it: the one it ran on, if it still runs that definition, else one published again from
    its definition (a state machine replaced since, or a local server restarted, numbers
    its versions anew)."""
    number = version.version
    try:
        valid = validate_workflow(version.definition, deps.registry.catalog)
        compiled = compile_for(deps, organization, valid)
    except (WorkflowValidationError, CompileError) as error:
        raise _version_unavailable(number, f"it no longer compiles ({error})") from None
    if compiled.parts:
        raise _version_unavailable(number, "it ran in parts, which only run the latest version")
    current_workflow = Workflow.model_validate(current.definition)
    if machine_type(valid) != machine_type(current_workflow):
        raise _version_unavailable(number, "its state machine has been replaced")
    for key, data in compiled.documents.items():
        deps.values.put_document(key, data)
    definition = definition_json(compiled.definition)
    arn = version.version_arn
    ran_on = deps.machines.definition_of(arn) if arn else None
    if ran_on is None or json.loads(ran_on) != json.loads(definition):
        try:
            arn = deps.machines.publish(current.state_machine_arn, definition, deps.role_arn)
        except MachineMissing:
            raise _version_unavailable(number, "its state machine is gone") from None
    return version.model_copy(update={"version_arn": arn})


def _version_unavailable(version: int, reason: str) -> ApiError:
    return ApiError(
        HTTPStatus.CONFLICT,
        "VERSION_UNAVAILABLE",
        f"Version {version} of the workflow, which the execution ran, cannot run again: "
        f'{reason}. Retry with {{"workflow": "current"}} to run the workflow as it is now',
    )
