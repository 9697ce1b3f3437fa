"""Retrying a failed or cancelled execution: on the version it ran, or on the current one
(lambdas.lifecycle.retry, imported when the route runs: it loads the ASL compiler, which a
cold start serving any other route never uses; this route translates)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from lambdas.handlers.api.executions import (
    STARTED,
    ExecutionId,
    IdempotencyKey,
    fingerprint_of,
    started_response,
)
from lambdas.handlers.api.routing import deps_of, organization_of
from lambdas.lifecycle.idempotency import execution_key

router = Router()  # type: ignore[no-untyped-call]


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
    from lambdas.lifecycle.retry import retry
    from lambdas.lifecycle.start import Request

    deps, organization = deps_of(router), organization_of(router)
    body = request or RetryRequest()
    key = execution_key("retry", organization, execution_id, idempotency_key)
    asked = Request(key, fingerprint_of(body, key), body.session_id)
    started = retry(deps, organization, execution_id, body.workflow, asked)
    return started_response(started, retry_of=execution_id)
