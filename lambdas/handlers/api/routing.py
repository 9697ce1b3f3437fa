"""What every route shares: the API's dependencies, the caller's organization, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from lambdas.handlers.api.bodies import Error
from lambdas.lifecycle.ports import Ports
from lambdas.runtime.blobs import BlobStore
from lambdas.runtime.ports import ApiKeyStore, SecretVault
from statemachine.port_types import DuplicateKeyError, loads_strict

# Any text: a deploy judges its id as validation judges one in a file
# (statemachine.identifiers), and other routes answer 404 for an id no workflow can have.
WorkflowId = Annotated[str, Path(min_length=1)]


@dataclass(frozen=True, kw_only=True)
class ApiDeps(Ports):
    """Everything the HTTP API reads and writes: the lifecycle's ports, and the secrets, API
    keys and blobs its routes keep."""

    secrets: SecretVault
    api_keys: ApiKeyStore
    blobs: Callable[[str], BlobStore]


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "details"?}}` with `status`."""

    def __init__(self, status: HTTPStatus, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def answers(
    success: dict[int, tuple[str, type[BaseModel]] | str], *errors: HTTPStatus
) -> dict[int, Any]:
    """A route's OpenAPI responses: its `success` statuses, each with what it means and the
    model of its body (lambdas.handlers.api.bodies; a 204 has none), and the errors it may
    answer besides 400 and 401, each in the error envelope."""
    responses: dict[int, Any] = {}
    for status, answer in success.items():
        meaning, model = answer if isinstance(answer, tuple) else (answer, None)
        responses[status] = {"description": meaning}
        if model is not None:
            responses[status]["content"] = {content_types.APPLICATION_JSON: {"model": model}}
    for error in sorted({HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, *errors}):
        responses[int(error)] = {
            "description": error.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": Error}},
        }
    return responses


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return json_response(status, {"error": error}, headers)


def json_response(
    status: HTTPStatus, body: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=_json_text(body),
        headers=headers,
    )


def _json_text(body: Any) -> str:
    """JSON with its characters as they are, unless a string carries a lone surrogate (a
    request can, through a JSON escape): such text has no UTF-8 form, so all is escaped."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body)
    return text


def parsed_body(body: str) -> Any:
    """A body's JSON, read as every body is (lambdas.handlers.http_api.strict_json): by a
    route that reads its body itself."""
    try:
        return loads_strict(body, unique_keys=True)
    except (json.JSONDecodeError, DuplicateKeyError):
        raise
    except ValueError as error:
        raise json.JSONDecodeError(str(error), body, 0) from None


def deps_of(router: Router | ApiGatewayResolver) -> ApiDeps:
    deps: ApiDeps = router.context["deps"]
    return deps


def organization_of(router: Router | ApiGatewayResolver) -> str:
    """The organization of the caller's API key (set by the authentication middleware)."""
    organization: str = router.context["organization_id"]
    return organization
