"""`/forms?token=...`: a form's page, and its answer (lambdas.lifecycle.form_delivery does
each; these routes translate requests and answers). No API key: the token is the credential,
in the query string so that no access log keeps it (the log keeps paths).

The page's own post (`application/x-www-form-urlencoded`) is answered with a page; a JSON
answer (or a post that accepts only JSON) with JSON, as every other route answers.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from lambdas.handlers.api.bodies import Error
from lambdas.handlers.api.form_pages import HEADERS, HTML, form_page, message_page
from lambdas.handlers.api.routing import (
    ApiError,
    deps_of,
    error_response,
    json_response,
    parsed_body,
)
from lambdas.lifecycle.errors import Conflict, Gone, Invalid, LifecycleError, NotFound
from lambdas.lifecycle.event_delivery import invalid_answer
from lambdas.lifecycle.form_delivery import answer_form, read_form
from lambdas.runtime.forms import FORMS_PATH, TOKEN_PARAMETER
from lambdas.runtime.schema_fields import form_fields, posted_answer
from statemachine.model import WireModel

router = Router()  # type: ignore[no-untyped-call]

ROUTE = f"/{FORMS_PATH}"

# The longest token a form could have (ours are 43 characters): past it, 400.
MAX_TOKEN_LENGTH = 256
URLENCODED = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
# What a refusal is, as a page shows it.
STATUSES = {NotFound: HTTPStatus.NOT_FOUND, Gone: HTTPStatus.GONE, Conflict: HTTPStatus.CONFLICT}
TITLES = {
    HTTPStatus.NOT_FOUND: "No such form",
    HTTPStatus.GONE: "This form is closed",
    HTTPStatus.CONFLICT: "Not ready for your answer yet",
    HTTPStatus.BAD_REQUEST: "Your answer is not complete",
}
# How soon to answer again a form whose workflow does not wait for it yet.
RETRY_AFTER_SECONDS = 1


class Answered(WireModel):
    """What an answer answers: it resumed the workflow."""

    status: str = Field(description="answered")


def _html(description: str) -> Any:  # an OpenAPI response
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def _either(description: str) -> Any:  # an OpenAPI response
    return {
        "description": description,
        "content": {JSON_TYPE: {"model": Error}, HTML: {"schema": {"type": "string"}}},
    }


def _json_error(description: str) -> Any:  # an OpenAPI response
    return {"description": description, "content": {JSON_TYPE: {"model": Error}}}


THROTTLED = _json_error(
    "Too many requests to form routes: try again after Retry-After seconds (serve's answer; "
    "API Gateway's route throttling answers its own body)"
)


@router.get(
    ROUTE,
    summary="A form's page (no API key: the token is the credential)",
    description="The form's title, description and one input per field of its schema, "
    "posting the answer to the same address (its token in the query string).",
    responses={
        200: _html("The form's page"),
        400: _json_error("No token, or one no form can have"),
        404: _html("No form has this token"),
        410: _html("The form was answered, or its wait ended"),
        429: THROTTLED,
    },
    operation_id="getForm",
    security=[],
)
def get_form() -> Response[str]:
    token = _token()
    try:
        form = read_form(deps_of(router), token)
    except LifecycleError as refusal:
        return _refusal_page(refusal)
    return _page(HTTPStatus.OK, form_page(form, token))


@router.post(
    ROUTE,
    summary="Answer a form (no API key: the token is the credential)",
    description="A JSON object of the form's fields, or the page's own post "
    "(application/x-www-form-urlencoded, answered with a page). Checked against the form's "
    "schema (400 INVALID_ANSWER naming the field), then it resumes the wait-for-form node "
    "that waits for it. 409 NOT_WAITING (with Retry-After) before that node waits; 410 once "
    "the form was answered, its wait timed out or its execution ended.",
    responses={
        202: {
            "description": "Answered: the workflow goes on",
            "content": {JSON_TYPE: {"model": Answered}, HTML: {"schema": {"type": "string"}}},
        },
        400: _either(
            "The answer does not fit the form's schema (or no token, or one no form can have)"
        ),
        404: _either("No form has this token"),
        409: _either("The workflow does not wait for the form yet"),
        410: _either("The form was answered, or its wait ended"),
        415: _json_error("Not JSON, nor the page's post"),
        429: THROTTLED,
    },
    operation_id="answerForm",
    security=[],
)
def post_form() -> Response[str]:
    token = _token()
    event = router.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    from_page = content_type == URLENCODED
    as_page = from_page and JSON_TYPE not in (event.headers.get("accept") or "")
    deps = deps_of(router)
    body = event.decoded_body or ""
    answer: Any
    try:
        if from_page:
            form = read_form(deps, token)
            posted = parse_qs(body, keep_blank_values=True)
            answer, problems = posted_answer(form_fields(form.form_schema), posted)
            if problems:
                raise invalid_answer(problems)
        elif content_type in ("", JSON_TYPE):
            answer = parsed_body(body) if body else None
        else:
            return error_response(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                f"Send the answer as JSON ({JSON_TYPE}) or as the form's page posts it "
                f"({URLENCODED})",
            )
        answer_form(deps, token, answer)
    except LifecycleError as refusal:
        if as_page:
            return _refusal_page(refusal)
        if isinstance(refusal, Conflict):
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return error_response(HTTPStatus.CONFLICT, refusal.code, refusal.message, None, retry)
        raise
    if as_page:
        page = message_page("Thank you", "Your answer was sent.")
        return _page(HTTPStatus.ACCEPTED, page)
    return json_response(HTTPStatus.ACCEPTED, Answered(status="answered").to_json())


def _token() -> str:
    """The request's token, read here rather than given to the route as a parameter: the
    resolver logs a route's parameters at DEBUG level, and no log may keep a token. 400
    INVALID_REQUEST when it is missing, empty or longer than any form's (the message never
    repeats it); a token no form has is read_form's 404."""
    parameters = router.current_event.query_string_parameters or {}
    token = parameters.get(TOKEN_PARAMETER) or ""
    if not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "INVALID_REQUEST",
            f"Give the form's token in the query string: /{FORMS_PATH}?{TOKEN_PARAMETER}=... "
            "(the form's url, as create-form gave it)",
        )
    return token


TOKEN_QUERY = {
    "name": TOKEN_PARAMETER,
    "in": "query",
    "required": True,
    "description": "The form's token (create-form's `token`; its `url` carries it)",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_LENGTH},
}


def document(openapi: dict[str, Any]) -> None:
    """Say in the OpenAPI document what Powertools cannot: these routes take no API key,
    their token is a query parameter (read by the routes themselves), and the answer's body
    is a JSON object or the page's post."""
    operations = openapi.get("paths", {}).get(ROUTE, {})
    for operation in operations.values():
        operation["security"] = []
        operation["parameters"] = [TOKEN_QUERY]
    if "post" in operations:
        operations["post"]["requestBody"] = {
            "description": "The value of each field of the form, by name",
            "content": {
                JSON_TYPE: {"schema": {"type": "object", "additionalProperties": True}},
                URLENCODED: {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                },
            },
        }


def _refusal_page(refusal: LifecycleError) -> Response[str]:
    status = next(
        (status for kind, status in STATUSES.items() if isinstance(refusal, kind)),
        HTTPStatus.BAD_REQUEST,
    )
    if isinstance(refusal, Invalid) and isinstance(refusal.details, list):
        message = " ".join(str(detail.get("message")) for detail in refusal.details)
        message += " Go back, and send it again."
    elif isinstance(refusal, Conflict):
        message = f"{refusal.message}: go back, and send it again."
    else:
        message = refusal.message
    return _page(status, message_page(TITLES.get(status, "Not sent"), message))


def _page(status: HTTPStatus, html: str) -> Response[str]:
    headers = dict(HEADERS)
    if status == HTTPStatus.CONFLICT:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return Response(status_code=status, content_type=HTML, body=html, headers=headers)
