"""`/workflows`: deploy, read, list and delete workflows (lambdas.lifecycle.deploy does the
deploying and deleting; these routes translate). A deploy and a delete import it when they
run: it loads the ASL compiler, which a cold start serving any other route never uses."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from lambdas.handlers.api.bodies import WorkflowPage
from lambdas.handlers.api.node_pages import RESPONSE_BUDGET, size
from lambdas.handlers.api.routing import (
    ApiError,
    WorkflowId,
    answers,
    deps_of,
    json_response,
    organization_of,
)
from lambdas.lifecycle.owned import deployed
from lambdas.runtime.ports import DeployedWorkflow, StoredWorkflow

router = Router()  # type: ignore[no-untyped-call]

# GET /workflows/{id} answers a workflow whole, in one Lambda response.
MAX_WORKFLOW_BYTES = RESPONSE_BUDGET


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
    from lambdas.lifecycle.deploy import deploy

    deps, organization = deps_of(router), organization_of(router)
    body_id = workflow.get("id", workflow_id)
    if body_id != workflow_id:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "INVALID_REQUEST",
            f"The workflow's id '{body_id}' differs from the id '{workflow_id}' in the path",
        )
    refuse_if_too_large(workflow)
    done = deploy(deps, organization, {**workflow, "id": workflow_id}, refuse_if_too_large)
    status = HTTPStatus.CREATED if done.created else HTTPStatus.OK
    return json_response(status, summary(done.workflow))


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
    from lambdas.lifecycle.deploy import delete_workflow as delete

    delete(deps_of(router), organization_of(router), workflow_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
