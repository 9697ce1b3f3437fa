"""`/node-types`: the node catalog this deployment runs."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.handlers.api.bodies import NodeTypes
from lambdas.handlers.api.routing import answers, deps_of, json_response

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/node-types",
    summary="Every node type, with its ports",
    responses=answers({200: ("The catalog", NodeTypes)}),
    operation_id="listNodeTypes",
)
def list_node_types() -> Response[str]:
    catalog = deps_of(router).registry.catalog
    return json_response(
        HTTPStatus.OK, {"nodeTypes": [spec.model_dump(mode="json") for spec in catalog.values()]}
    )
