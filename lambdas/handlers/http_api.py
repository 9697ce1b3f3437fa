"""The HTTP API Lambda: workflows, executions, secrets and node types, per organization.

Every route but `/openapi.json` and a form's (`GET` and `POST /forms?token=...`, the token its
credential) needs `Authorization: Bearer <api key>`; each request sees only
its key's organization (another organization's resources answer 404). Errors are
`{"error": {"code", "message", "details"?}}` with a 4xx status for anything a caller sent.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.handlers import wiring
from lambdas.handlers.api import (
    blobs,
    catalog,
    events,
    executions,
    forms,
    retries,
    secrets,
    workflows,
)
from lambdas.handlers.api.routing import (
    ApiDeps,
    ApiError,
    deps_of,
    error_response,
)
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import (
    ApiKeysTable,
    BlobBucket,
    Connections,
    ExecutionsTable,
    Mode,
    OrganizationsTable,
    RuntimeDeployment,
    SecretsTable,
    WorkflowsTable,
)
from lambdas.handlers.wiring import Clients
from lambdas.lifecycle.errors import Conflict, Gone, Invalid, LifecycleError, NotFound
from lambdas.nodes import default_registry
from lambdas.runtime.errors import TransientError
from lambdas.runtime.registry import Registry
from lambdas.runtime.store_errors import (
    ExecutionNameTaken,
    InvalidPageToken,
    MachineDeleting,
    StoreError,
    ValueTooLarge,
)
from statemachine.port_types import DuplicateKeyError, loads_strict

API_TITLE = "stepthunk API"
API_VERSION = "1"
PUBLIC_PATHS = frozenset({"/openapi.json"})
# A form's page and answer: the token in their query string is their credential (no API key).
FORM_ROUTES = frozenset({("GET", forms.ROUTE), ("POST", forms.ROUTE)})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Settings(
    WorkflowsTable,
    ExecutionsTable,
    OrganizationsTable,
    SecretsTable,
    ApiKeysTable,
    BlobBucket,
    Connections,
    RuntimeDeployment,
    Mode,
):
    pass


def deps_from(settings: Settings, clients: Clients, registry: Registry | None = None) -> ApiDeps:
    return ApiDeps(
        registry=registry or default_registry(),
        workflows=wiring.workflows(settings, settings, clients),
        executions=wiring.executions(settings, settings, clients),
        progress=wiring.progress(settings, clients),
        organizations=wiring.organizations(settings, clients),
        secrets=wiring.secrets(settings, clients),
        api_keys=wiring.api_keys(settings, clients),
        machines=wiring.machines(settings, clients),
        values=wiring.values(settings, clients),
        blobs=wiring.blobs(settings, clients),
        updates=wiring.live_updates(settings, clients),
        functions=settings.task_functions,
        role_arn=settings.state_machine_role_arn,
        development=settings.development,
        machine_prefix=settings.state_machine_prefix,
        event_waits=wiring.event_waits(settings, clients),
        callbacks=wiring.callbacks(clients),
        forms=wiring.forms(settings, clients),
    )


def strict_json(text: str) -> Any:
    """Bodies are parsed as workflow files are: NaN, Infinity and unpaired surrogates, which
    no store holds, are malformed JSON (a 400), not values that fail later; a key given twice
    in an object is refused (a 400), not settled by keeping the last."""
    try:
        return loads_strict(text, unique_keys=True)
    except (json.JSONDecodeError, DuplicateKeyError):
        raise
    except ValueError as error:
        raise json.JSONDecodeError(str(error), text, 0) from None


class Resolver(APIGatewayHttpResolver):
    """Powertools' resolver, with two differences: a path parameter takes any character but
    `/` (Powertools' takes letters, digits and URI punctuation only, so that an emoji workflow
    id, valid in a file, found no route), and it knows which methods a path has (for a 405)."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}$") -> re.Pattern[str]:
        return re.compile(base_regex.format(re.sub(r"(<\w+>)", r"(?P\1[^/]+)", rule)))

    def methods_of(self, path: str) -> list[str]:
        """The methods of the routes matching `path`, sorted; empty for an unknown path."""
        routes = self._static_routes + self._dynamic_routes
        return sorted({route.method for route in routes if route.rule.match(path)})


app = Resolver(enable_validation=True, json_body_deserializer=strict_json)
for module in (workflows, executions, retries, events, forms, secrets, catalog, blobs):
    app.include_router(module.router)


def authenticate(event: APIGatewayProxyEventV2, deps: ApiDeps) -> str | Response[str]:
    """The caller's organization, from its API key; else the 401 to answer."""
    scheme, _, key = (event.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return error_response(
            HTTPStatus.UNAUTHORIZED,
            "UNAUTHORIZED",
            "Send your API key as 'Authorization: Bearer <key>'",
        )
    organization = deps.api_keys.organization_of(key.strip())
    if organization is None:
        return error_response(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED", "Unknown API key")
    return organization


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    """The OpenAPI document of these routes, generated from them."""
    # Powertools' OpenAPI models take longer to import than the rest of this handler:
    # only this route needs them (the resolver itself imports them here too).
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    schema = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={"apiKey": HTTPBearer(description="An API key: Bearer <key>")},
        security=[{"apiKey": []}],
    )
    document = as_answered(with_node_types(json.loads(schema), deps_of(app).registry))
    forms.document(document)
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, json.dumps(document))


def as_answered(document: dict[str, Any]) -> dict[str, Any]:
    """`document` without the 422 Powertools lists on every route (this API answers a
    malformed request 400), nor a body for a 204."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            responses.get("204", {}).pop("content", None)  # no body: none described
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return document


def with_node_types(document: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """`document` with the catalog's node types: a `NodeTypeId` schema (the ids, each with its
    name, description and usage in `x-enumDescriptions`, which documentation tools show) that
    a workflow's nodes' `type` refers to. An enum, not a oneOf of constants: clients generated
    from the document parse a oneOf by its first constant alone."""
    specs = [node_type.spec for node_type in registry.values()]
    document.setdefault("components", {}).setdefault("schemas", {})["NodeTypeId"] = {
        "type": "string",
        "description": "A node type of the catalog (GET /node-types lists their ports)",
        "enum": [spec.id for spec in specs],
        "x-enumDescriptions": {
            spec.id: f"{spec.name}: {spec.description} Usage: {spec.usage} per run."
            for spec in specs
        },
    }
    put = document["paths"]["/workflows/{workflow_id}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    body.setdefault("properties", {})["nodes"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"type": {"$ref": "#/components/schemas/NodeTypeId"}},
            "additionalProperties": True,
        },
    }
    return document


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def api_error(error: ApiError) -> Response[str]:
    return error_response(error.status, error.code, error.message, error.details)


# What the lifecycle refuses, as the API answers it.
REFUSALS = {
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    Gone: HTTPStatus.GONE,
    Invalid: HTTPStatus.BAD_REQUEST,
}


@app.exception_handler(LifecycleError)  # type: ignore[untyped-decorator]
def refused(error: LifecycleError) -> Response[str]:
    status = next(status for kind, status in REFUSALS.items() if isinstance(error, kind))
    return error_response(status, error.code, error.message, error.details)


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def invalid_request(error: RequestValidationError) -> Response[str]:
    details = [
        {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in error.errors()
    ]
    if any(detail["type"] == "json_invalid" for detail in details):
        return error_response(
            HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", "The body is not valid JSON", details
        )
    return error_response(
        HTTPStatus.BAD_REQUEST, "INVALID_REQUEST", "The request is not valid", details
    )


@app.exception_handler(json.JSONDecodeError)  # type: ignore[untyped-decorator]
def malformed_json(error: json.JSONDecodeError) -> Response[str]:
    return error_response(
        HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", f"The body is not valid JSON: {error.msg}"
    )


@app.exception_handler(DuplicateKeyError)  # type: ignore[untyped-decorator]
def duplicate_key(error: DuplicateKeyError) -> Response[str]:
    return error_response(
        HTTPStatus.BAD_REQUEST, "DUPLICATE_JSON_KEY", f"The body is ambiguous JSON: {error}"
    )


@app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
def unsupported_content_type(error: RequestUnsupportedContentType | None) -> Response[str]:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the body as JSON (Content-Type: application/json)",
    )


@app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
def undecodable_body(error: UnicodeDecodeError) -> Response[str]:
    # A binary body arrives base64-encoded; Powertools decodes it as UTF-8 before parsing.
    return error_response(
        HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", "The body is not valid JSON: it is not UTF-8"
    )


@app.exception_handler(RecursionError)  # type: ignore[untyped-decorator]
def nested_too_deeply(error: RecursionError) -> Response[str]:
    # Python's JSON parser gives up on a body nested thousands of levels deep.
    return error_response(HTTPStatus.BAD_REQUEST, "INVALID_REQUEST", "The body nests too deeply")


@app.exception_handler(InvalidPageToken)  # type: ignore[untyped-decorator]
def invalid_page_token(error: InvalidPageToken) -> Response[str]:
    return error_response(HTTPStatus.BAD_REQUEST, "INVALID_REQUEST", "nextToken is not valid")


@app.exception_handler(ExecutionNameTaken)  # type: ignore[untyped-decorator]
def execution_name_taken(error: ExecutionNameTaken) -> Response[str]:
    return error_response(
        HTTPStatus.CONFLICT,
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key already started an execution with other inputs",
    )


@app.exception_handler(TransientError)  # type: ignore[untyped-decorator]
def unavailable(error: TransientError) -> Response[str]:
    logger.warning("Transient failure", exc_info=True)
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE, "UNAVAILABLE", "A service is busy; try again"
    )


@app.exception_handler(MachineDeleting)  # type: ignore[untyped-decorator]
def machine_deleting(error: MachineDeleting) -> Response[str]:
    return error_response(
        HTTPStatus.CONFLICT,
        "STATE_MACHINE_DELETING",
        "Step Functions is still deleting this workflow's earlier state machine (a change of "
        "`shortLived` replaces it): try again in a minute",
    )


@app.exception_handler(ValueTooLarge)  # type: ignore[untyped-decorator]
def too_large(error: ValueTooLarge) -> Response[str]:
    # The message names the limit, never the value.
    return error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE", str(error))


@app.exception_handler(StoreError)  # type: ignore[untyped-decorator]
def store_failure(error: StoreError) -> Response[str]:
    logger.exception("Store failure")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal error")


@app.not_found
def no_route(error: NotFoundError) -> Response[str]:
    """404 for a path the API does not have; 405 and the methods it has for a known one."""
    event = app.current_event
    allowed = app.methods_of(event.path)
    if allowed:
        return error_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            f"{event.http_method} is not allowed on {event.path}: use {' or '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    return error_response(
        HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No route {event.http_method} {event.path}"
    )


def process(event: dict[str, Any], deps: ApiDeps, invocation: Invocation) -> dict[str, Any]:
    """Answer one API Gateway (HTTP API, payload 2.0) event.

    The key is checked before the resolver runs (Powertools validates a request before any
    middleware): a caller without a valid key learns nothing, not even what a valid request is.
    """
    request = APIGatewayProxyEventV2(event)
    form = (request.http_method.upper(), request.path) in FORM_ROUTES
    public = request.path in PUBLIC_PATHS or form
    caller = None if public else authenticate(request, deps)
    if isinstance(caller, Response):
        return _proxy_response(caller)
    content_type = (request.headers.get("content-type") or "").lower()
    if request.body and content_type.startswith(FORM_TYPES) and not form:
        # Powertools would parse a form into something no route expects (curl's `-d` sends
        # this type by default): say what the API takes instead.
        return _proxy_response(unsupported_content_type(None))
    app.append_context(deps=deps, organization_id=caller)  # type: ignore[no-untyped-call]
    return app.resolve(_media_type_lowered(event), cast(LambdaContext, None))


def _media_type_lowered(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type's media type in lower case: media types are
    case-insensitive (RFC 9110), Powertools compares them as given."""
    headers = event.get("headers") or {}
    content_type = headers.get("content-type")
    if not content_type:
        return event
    media_type, separator, parameters = content_type.partition(";")
    lowered = f"{media_type.strip().lower()}{separator}{parameters}"
    return {**event, "headers": {**headers, "content-type": lowered}}


def _proxy_response(response: Response[str]) -> dict[str, Any]:
    """An answer given without the resolver, as it would have built it."""
    return {
        "statusCode": int(response.status_code),
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": response.body,
        "isBase64Encoded": False,
    }


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
