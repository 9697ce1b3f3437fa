"""`/workflows`: deploy (validate, compile, create or update the state machine), read, delete."""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from lambdas.handlers.api.bodies import WorkflowPage
from lambdas.handlers.api.executions import cancel
from lambdas.handlers.api.node_pages import RESPONSE_BUDGET, size
from lambdas.handlers.api.routing import (
    ApiDeps,
    ApiError,
    WorkflowId,
    answers,
    deployed,
    deps_of,
    json_response,
    organization_of,
)
from lambdas.runtime.ports import DeployedMachine, DeployedWorkflow, StoredWorkflow
from lambdas.runtime.record import ExecutionStatus, utc_now
from statemachine.asl import definition_json
from statemachine.compiler import (
    Compiled,
    compile_machines,
    document_key,
    encode_document,
    machine_type,
)
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.model import Workflow
from statemachine.parts import MAX_MACHINE_NAME_LENGTH, part_machine_name
from statemachine.validation import validate_workflow

router = Router()  # type: ignore[no-untyped-call]

# GET /workflows/{id} answers a workflow whole, in one Lambda response.
MAX_WORKFLOW_BYTES = RESPONSE_BUDGET


def state_machine_name(organization_id: str, workflow_id: str, kind: str = "STANDARD") -> str:
    """Readable, unique per organization, workflow and type (STANDARD or EXPRESS), within
    Step Functions' 80 characters.

    The type is in the name because a machine's type cannot change: a workflow that turns
    short-lived (or back) gets a new machine, and the old one's name stays taken while Step
    Functions deletes it (CreateStateMachine answers StateMachineDeleting meanwhile)."""
    digest = hashlib.sha256(f"{organization_id}/{workflow_id}".encode()).hexdigest()[:12]
    prefix = f"stepthunk-{digest}-" if kind == "STANDARD" else f"stepthunk-express-{digest}-"
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", workflow_id)[: MAX_MACHINE_NAME_LENGTH - len(prefix)]
    return prefix + readable


def machine_name_of(organization_id: str, workflow: Workflow) -> str:
    """The name of the workflow's own state machine, of its type."""
    return state_machine_name(organization_id, workflow.id, machine_type(workflow))


def summary(workflow: StoredWorkflow) -> dict[str, Any]:
    """A deployed workflow as the API shows it."""
    hidden = {"organization_id"} | (set() if workflow.part_arns else {"part_arns"})
    return workflow.model_dump(mode="json", exclude=hidden, exclude_none=True)


@router.put(
    "/workflows/<workflow_id>",
    summary="Deploy a workflow (create or update)",
    description="A change of `shortLived` replaces the workflow's state machine (a Standard "
    "or an Express one): 409 EXECUTIONS_RUNNING while executions of the workflow run.",
    responses=answers(
        {201: ("Deployed", DeployedWorkflow), 200: ("Deployed again", DeployedWorkflow)},
        HTTPStatus.CONFLICT,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
    operation_id="deployWorkflow",
)
def put_workflow(
    workflow_id: WorkflowId,
    workflow: Annotated[dict[str, Any], Body(description="The workflow, Dafthunk format")],
) -> Response[str]:
    deps, organization = deps_of(router), organization_of(router)
    body_id = workflow.get("id", workflow_id)
    if body_id != workflow_id:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "INVALID_REQUEST",
            f"The workflow's id '{body_id}' differs from the id '{workflow_id}' in the path",
        )
    refuse_if_too_large(workflow)
    try:
        valid = validate_workflow({**workflow, "id": workflow_id}, deps.registry.catalog)
        refuse_if_too_large(valid.to_json())
        compiled = compile_for(deps, organization, valid)
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_WORKFLOW", str(error), problems) from None
    except CompileError as error:  # the problem `stepthunk validate` reports, with its code
        details = [error.problem().to_json()]
        raise ApiError(HTTPStatus.BAD_REQUEST, error.code, str(error), details) from None
    existing = deps.workflows.get(organization, workflow_id)
    replaced = existing is not None and not existing.state_machine_arn.endswith(
        f":{machine_name_of(organization, valid)}"
    )
    if replaced:
        # A new type (or a machine deployed before each type had its name) is a new machine:
        # the old one goes, and Step Functions ends its running executions at their next
        # state once it is deleted, with no Finalize to record it.
        running = running_executions(deps, organization, workflow_id)
        if running:
            raise _executions_running(
                f"{len(running)} execution(s) of this workflow are running on the state "
                "machine that a change of `shortLived` replaces; deploy it once they end "
                "(or cancel those that can be)"
            )
    machine, parts = deploy_machines(deps, organization, valid, compiled, existing)
    definition = valid.to_json()
    # Kept for good, for retries of this version's executions after the workflow changed.
    document = encode_document(definition)
    deps.values.put_document(document_key(document), document)
    now = utc_now()
    stored = StoredWorkflow(
        organization_id=organization,
        id=workflow_id,
        name=valid.name,
        version=existing.version + 1 if existing else 1,
        definition=definition,
        state_machine_arn=machine.state_machine_arn,
        version_arn=machine.version_arn,
        part_arns=parts,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
    deps.workflows.put(stored)
    status = HTTPStatus.OK if existing else HTTPStatus.CREATED
    return json_response(status, summary(stored))


def refuse_if_too_large(document: dict[str, Any]) -> None:
    """413 for a workflow larger than the API can answer (measured as a response carries
    it): refused as it comes in, and once more with its ports completed."""
    taken = size(document)
    if taken > MAX_WORKFLOW_BYTES:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            f"The workflow takes {taken:,} bytes as JSON in a response; at most "
            f"{MAX_WORKFLOW_BYTES:,} can be deployed (GET /workflows/{{id}} answers it whole "
            "in one Lambda response, at most 6 MB): give large values as inputs at run time",
        )


def compile_for(deps: ApiDeps, organization_id: str, valid: Workflow) -> Compiled:
    """The state machines of a validated workflow, as the organization deploys them (or
    CompileError)."""
    name = state_machine_name(organization_id, valid.id)

    def part_arn(number: int) -> str:
        part = part_machine_name(name, number)
        return deps.machines.arn_of(part, deps.role_arn) or part

    return compile_machines(valid, deps.registry.catalog, deps.functions, part_arn=part_arn)


def deploy_machines(
    deps: ApiDeps,
    organization_id: str,
    valid: Workflow,
    compiled: Compiled,
    existing: StoredWorkflow | None,
) -> tuple[DeployedMachine, list[str]]:
    """Store the workflow's documents, create or update its parts and its machine, delete
    the parts it no longer has; the machine and the ARNs of its parts."""
    name = state_machine_name(organization_id, valid.id)
    kind = machine_type(valid)
    for key, data in compiled.documents.items():
        deps.values.put_document(key, data)
    parts = [
        deps.machines.deploy(part_machine_name(name, n), definition_json(part), deps.role_arn)
        for n, part in enumerate(compiled.parts, 1)
    ]
    definition = definition_json(compiled.definition)
    own_name = machine_name_of(organization_id, valid)
    machine = deps.machines.deploy(own_name, definition, deps.role_arn, kind)
    for stale in (existing.part_arns if existing else [])[len(parts) :]:
        deps.machines.delete(stale)
    if existing is not None and existing.state_machine_arn != machine.state_machine_arn:
        deps.machines.delete(existing.state_machine_arn)  # of the workflow's other type
    return machine, [part.state_machine_arn for part in parts]


@router.get(
    "/workflows/<workflow_id>",
    summary="Read a deployed workflow",
    responses=answers({200: ("The workflow", DeployedWorkflow)}, HTTPStatus.NOT_FOUND),
    operation_id="getWorkflow",
)
def get_workflow(workflow_id: WorkflowId) -> Response[str]:
    stored = deployed(deps_of(router), organization_of(router), workflow_id)
    return json_response(HTTPStatus.OK, summary(stored))


@router.get(
    "/workflows",
    summary="List the organization's workflows",
    responses=answers({200: ("A page of workflows", WorkflowPage)}),
    operation_id="listWorkflows",
)
def list_workflows(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(alias="nextToken")] = None,
) -> Response[str]:
    deps, organization = deps_of(router), organization_of(router)
    page = deps.workflows.list(organization, limit=limit, next_token=next_token)
    return json_response(HTTPStatus.OK, page.to_json())


@router.delete(
    "/workflows/<workflow_id>",
    summary="Delete a workflow and its state machine, cancelling its running executions",
    description="A short-lived workflow (an Express state machine, which cannot stop its "
    "executions) is deleted only once none of its executions runs: 409 until then.",
    responses=answers({204: "Deleted"}, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
    operation_id="deleteWorkflow",
)
def delete_workflow(workflow_id: WorkflowId) -> Response[None]:
    deps, organization = deps_of(router), organization_of(router)
    stored = deployed(deps, organization, workflow_id)
    running = [
        handle
        for execution_id in running_executions(deps, organization, workflow_id)
        if (handle := deps.executions.handle(execution_id)) is not None
    ]
    unstoppable = [handle for handle in running if handle.execution_arn is None]
    if unstoppable:
        # Step Functions cannot stop an Express execution, and deleting its machine ends it
        # at its next state with no Finalize: its record would say `executing` for ever.
        raise _executions_running(
            f"{len(unstoppable)} execution(s) of this short-lived workflow are running and "
            "cannot be stopped (an Express state machine); delete it once they end, "
            "within 5 minutes"
        )
    # Gone first, so that no new start finds it; then what runs is cancelled while its
    # state machine can still stop it and tell what it did.
    deps.workflows.delete(organization, workflow_id)
    for handle in running:
        cancel(deps, handle, "Its workflow was deleted through the API")
    for arn in [stored.state_machine_arn, *stored.part_arns]:
        deps.machines.delete(arn)
    return Response(status_code=HTTPStatus.NO_CONTENT)


def _executions_running(message: str) -> ApiError:
    return ApiError(HTTPStatus.CONFLICT, "EXECUTIONS_RUNNING", message)


def running_executions(deps: ApiDeps, organization_id: str, workflow_id: str) -> list[str]:
    """The ids of the workflow's executions that have not ended."""
    found = []
    for status in (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING):
        token: str | None = None
        while True:
            page = deps.executions.list(
                organization_id, workflow_id, status=status, limit=100, next_token=token
            )
            found += [summary.id for summary in page.items]
            token = page.next_token
            if token is None:
                break
    return found
