"""Events for waiting nodes: deliver one to a wait-for-event node, or reject its wait
(lambdas.lifecycle.event_wait does each; these routes translate requests and answers)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field

from lambdas.handlers.api.executions import ExecutionId
from lambdas.handlers.api.routing import (
    answers,
    deps_of,
    json_response,
    organization_of,
    parsed_body,
)
from lambdas.lifecycle.event_delivery import MAX_REASON_CHARACTERS, deliver
from statemachine.model import WireModel

router = Router()  # type: ignore[no-untyped-call]

NodeId = Annotated[str, Path(min_length=1, max_length=128)]


class Delivered(WireModel):
    """What a delivery or a rejection answers: the wait it ended."""

    execution_id: str
    node_id: str
    status: str = Field(description="delivered, or rejected")


class RejectRequest(BaseModel):
    """The body of a rejection: why (the node's error says it)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=MAX_REASON_CHARACTERS)


ENDED = answers(
    {202: ("The wait ends: the execution goes on", Delivered)},
    HTTPStatus.NOT_FOUND,
    HTTPStatus.CONFLICT,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
)


@router.post(
    "/executions/<execution_id>/nodes/<node_id>/event",
    summary="Deliver an event to a node waiting for one",
    description="The body, any JSON value (none: null), becomes the wait-for-event node's "
    "`payload`. 409 NOT_WAITING when the node does not wait (not yet, no more, or an event "
    "was delivered to it already).",
    responses=ENDED,
    operation_id="deliverEvent",
)
def deliver_event(execution_id: ExecutionId, node_id: NodeId) -> Response[str]:
    deps, organization = deps_of(router), organization_of(router)
    body = router.current_event.decoded_body
    payload = parsed_body(body) if body else None
    deliver(deps, organization, execution_id, node_id, payload)
    return _ended(execution_id, node_id, "delivered")


@router.post(
    "/executions/<execution_id>/nodes/<node_id>/reject",
    summary="Reject the event a node waits for: the node fails with the reason",
    responses=ENDED,
    operation_id="rejectEvent",
)
def reject_event(
    execution_id: ExecutionId,
    node_id: NodeId,
    request: Annotated[RejectRequest | None, Body()] = None,
) -> Response[str]:
    deps, organization = deps_of(router), organization_of(router)
    reason = (request or RejectRequest()).reason
    deliver(deps, organization, execution_id, node_id, rejection=reason)
    return _ended(execution_id, node_id, "rejected")


def _ended(execution_id: str, node_id: str, status: str) -> Response[str]:
    body = Delivered(execution_id=execution_id, node_id=node_id, status=status)
    return json_response(HTTPStatus.ACCEPTED, body.to_json())
