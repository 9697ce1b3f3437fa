"""The local cloud's DynamoDB and Step Functions, served to this process's boto3 clients
without HTTP.

A request through moto costs a boto3 client most of its time in the round trip, not in the
service: botocore signs the request and hands it to moto as HTTP, moto parses it back against
the service model, runs the operation, serializes the answer against the model again, and
botocore parses that. Here a client's requests of the actions below are answered at botocore's
`before-call` event instead: the parameters the client validated and serialized as for AWS are
given to moto's own handler of the service. What the client does before sending (its parameter
validation, its events) and after (its errors, raised as the same exception classes with the
same codes and fields) is unchanged; only the transport is skipped.

- DynamoDB's item requests (reads, writes, queries, batches, transactions): moto's answer is
  already in the shape the client returns (its attribute values built for the client), and
  runs under the tables' lock (`local.moto_dynamodb.Tables`); so do the requests an engine's
  start makes of its tables (create, describe, time to live), answered as on the wire.
- Step Functions' requests that create and run machines and executions: moto's answer is
  serialized and parsed as on the wire (dates become datetimes as botocore makes them), and
  moto's handler reads the parameters as given, not by parsing the request body again for
  each parameter (a 1 MB definition was parsed ten times).

A request answered here is not made for the wire either: a client of these services resolves
no endpoint for it and serializes no body (`AnsweredHere`), two fifths of what botocore did
per request; its parameters are validated against the service model as before, and every
event a client emits (the hooks of tests, IAM's record of calls) is emitted as before.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore import parsers
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ParamValidationError
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores
from werkzeug.exceptions import HTTPException

from local.moto_stepfunctions import json_copy

_PARAMS = "stepthunk.direct.params"
# Set in a request's context when it is answered here without being made for the wire.
_HERE = "stepthunk.direct.here"
# Runs a request: (action, its parameters once run, the call) -> moto's result.
Runner = Callable[[str, Callable[[], Any], Callable[[], Any]], Any]


def _run(action: str, params: Callable[[], Any], call: Callable[[], Any]) -> Any:
    return call()


@dataclass(frozen=True)
class Service:
    """A moto service answered directly: its handler class, the `X-Amz-Target` prefix of its
    JSON protocol, the actions answered so, how a request runs (`run`), and the actions whose
    answer moto builds in the client's shape (`as_is`: DynamoDB's items); any other answer is
    serialized and parsed as on the wire."""

    handler: Callable[[], BaseResponse]
    target: str
    actions: frozenset[str]
    run: Runner = _run
    as_is: frozenset[str] = frozenset()


def step_functions() -> Service:
    from moto.stepfunctions.responses import StepFunctionResponse

    actions = {
        "CreateStateMachine",
        "UpdateStateMachine",
        "DescribeStateMachine",
        "StartExecution",
        "StopExecution",
        "DescribeExecution",
    }
    return Service(StepFunctionResponse, "AWSStepFunctions.", frozenset(actions))


def dynamodb(run: Runner) -> Service:
    from moto.dynamodb.responses import DynamoHandler

    items = {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
    tables = {"CreateTable", "DescribeTable", "UpdateTimeToLive"}  # an engine's start
    actions = frozenset(items | tables)
    return Service(DynamoHandler, "DynamoDB_20120810.", actions, run, as_is=frozenset(items))


class DirectClients:
    """The botocore event handlers that answer clients' requests from moto directly; by
    botocore's name of each service ("dynamodb", "sfn")."""

    def __init__(
        self, services: dict[str, Service], account: str, enabled: Callable[[], bool]
    ) -> None:
        self._services = services
        self._account = account
        self._enabled = enabled

    def install(self) -> None:
        """Answer the requests of every client created from now on, and of the clients of
        boto3's default session if it exists already."""
        import boto3
        from botocore import handlers

        # Last, so that a handler a test registers (botocore's Stubber) answers first.
        for event, handler in self._handlers():
            handlers.BUILTIN_HANDLERS.append((event, handler, handlers.REGISTER_LAST))
            if boto3.DEFAULT_SESSION is not None:
                boto3.DEFAULT_SESSION.events.register_last(event, handler)

    def uninstall(self, events: Any) -> None:
        """Send the requests of a client (its `meta.events`) the whole way again."""
        for event, handler in self._handlers():
            events.unregister(event, handler)

    def answers_here(self, context: dict[str, Any]) -> bool:
        """Whether the request of `context` (its parameters kept) is answered here."""
        return _PARAMS in context and self._enabled()

    def _handlers(self) -> list[tuple[str, Callable[..., Any]]]:
        return [
            (f"{event}.{name}", handler)
            for name in self._services
            for event, handler in (
                ("creating-client-class", self._answering_class),
                ("before-parameter-build", self._keep_params),
                ("before-call", self._answer),
            )
        ]

    def _answering_class(
        self, class_attributes: dict[str, Any], base_classes: list[type], **_: Any
    ) -> None:
        class_attributes["_stepthunk_direct"] = self
        base_classes.insert(0, AnsweredHere)

    def _keep_params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        service = self._services.get(model.service_model.service_id.hyphenize())
        if service is not None and model.name in service.actions:
            context[_PARAMS] = params

    def _answer(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        requested = context.pop(_PARAMS, None)
        if requested is None or not (context.get(_HERE) or self._enabled()):
            return None
        service = self._services[model.service_model.service_id.hyphenize()]
        action = model.name
        # moto may keep parts of the request (in items, executions): not the caller's own.
        requested = json_copy(requested)
        handler = _handler(service, self._account, context["client_region"], action, requested)
        method = getattr(handler, _method_name(action))
        try:
            result = service.run(action, lambda: handler.params, method)
        except (ServiceException, HTTPException) as error:
            return _error(handler, model, error)
        if action in service.as_is:
            answer = _modeled(result.result, model.output_shape)
            answer["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}}
            return AWSResponse(params["url"], 200, HTTPHeaders(), None), answer
        status, headers, body = handler.serialized(result)
        return _parsed(model, status, headers, body)


class UnsentRequests:
    """What a client does differently for a request answered without the wire (which ones,
    `_unsent` says): no endpoint resolved, no body serialized, its parameters validated all
    the same. Any other request is made as botocore makes it."""

    def _unsent(self, context: Any) -> bool:
        raise NotImplementedError

    def _resolve_endpoint_ruleset(
        self, operation_model: Any, params: Any, request_context: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if self._unsent(request_context):
            return self.meta.endpoint_url, {}, {}  # type: ignore[attr-defined]
        return super()._resolve_endpoint_ruleset(  # type: ignore[misc]
            operation_model, params, request_context, *args, **kwargs
        )

    def _convert_to_request_dict(
        self,
        api_params: Any,
        operation_model: Any,
        endpoint_url: str,
        context: Any = None,
        **kwargs: Any,
    ) -> Any:
        if context is None or not self._unsent(context):
            return super()._convert_to_request_dict(  # type: ignore[misc]
                api_params, operation_model, endpoint_url, context, **kwargs
            )
        validator = getattr(self._serializer, "_param_validator", None)  # type: ignore[attr-defined]
        if validator is not None:
            report = validator.validate(api_params, operation_model.input_shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
        return {
            "url_path": "/",
            "query_string": "",
            "method": "POST",
            "headers": {},
            "body": b"",
            "url": endpoint_url,
            "context": context,
        }


class AnsweredHere(UnsentRequests):
    """A client of a directly answered service: the requests answered here are unsent."""

    _stepthunk_direct: DirectClients

    def _unsent(self, context: Any) -> bool:
        if not self._stepthunk_direct.answers_here(context):
            return False
        context[_HERE] = True
        return True


@functools.cache
def _method_name(action: str) -> str:
    return camelcase_to_underscores(action)


def _handler(
    service: Service, account: str, region: str, action: str, params: dict[str, Any]
) -> Any:
    handler: Any = service.handler()
    handler.current_account = account
    handler.region = region
    handler.headers = {
        "X-Amz-Target": service.target + action,
        "Content-Type": "application/x-amz-json-1.0",
    }
    handler.response_headers = {"server": "amazon.com"}
    handler.automated_parameter_parsing = True  # its parameters are `params`
    handler.params = params
    handler.uri_match = {}
    handler.querystring = {}
    handler.body = params
    return handler


def _modeled(value: Any, shape: Any) -> Any:
    """`value` as the client would parse it off the wire: only the members its shape models,
    none that is None (moto's answers carry a few more, which its serializer leaves out).
    Items are taken as they are: moto builds their attribute values in the client's shape."""
    kind = shape.type_name
    if kind == "structure":
        if shape.name == "AttributeValue":
            return value
        members = shape.members
        return {
            name: _modeled(member, members[name])
            for name, member in value.items()
            if name in members and member is not None
        }
    if kind == "list":
        return [_modeled(member, shape.member) for member in value]
    if kind == "map":
        if shape.value.name == "AttributeValue":
            return value
        return {key: _modeled(member, shape.value) for key, member in value.items()}
    return value


# The headers botocore reads a request id from (JSON and query protocols).
REQUEST_ID_HEADERS = frozenset({"x-amzn-requestid", "x-amz-request-id"})


def _error(
    handler: Any, model: Any, error: ServiceException | HTTPException
) -> tuple[AWSResponse, dict[str, Any]]:
    """The error moto answers, parsed as botocore parses it off the wire (modeled fields too)."""
    if isinstance(error, ServiceException):
        status, headers, body = handler.serialized(ActionResult(error))
    else:
        status, body = error.code or 400, error.description or ""
        headers = dict(error.get_headers() or [])
    return _parsed(model, status, headers, body)


def _parsed(
    model: Any, status: int, headers: dict[str, Any], body: str | bytes
) -> tuple[AWSResponse, dict[str, Any]]:
    """An answer as botocore parses it off the wire (an error's modeled fields too), with a
    request id, as AWS gives every answer (moto's interpreter names it in a failed service
    task's cause)."""
    given = (value for name, value in headers.items() if name.lower() in REQUEST_ID_HEADERS)
    request_id = next(given, None) or str(uuid.uuid4())
    raw = body.encode() if isinstance(body, str) else body
    response = {"status_code": status, "headers": headers, "body": raw}
    parser = parsers.create_parser(model.service_model.protocol)
    parsed = parser.parse(response, model.output_shape)
    code = parsed.get("Error", {}).get("Code") if status >= 300 else None
    shape = model.service_model.shape_for_error_code(code) if code else None
    if shape is not None:
        parsed.update(parser.parse(response, shape))
    parsed.setdefault("ResponseMetadata", {}).setdefault("RequestId", request_id)
    return AWSResponse("", status, HTTPHeaders.from_dict(headers), None), parsed
