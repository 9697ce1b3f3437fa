"""What AWS calls need of IAM, and whether a role's policies allow it.

A call a function makes is recorded from its boto3 client (`Recorder`) and turned into what
IAM authorizes (`needs`): an action on a resource, with the condition keys the request
carries, per table of a batch and per item of a transaction, as AWS checks them. A state
machine's needs come from its definition (`machine_needs`): the functions its tasks invoke,
the executions its `.sync` tasks start and follow.

The evaluator (`allows`) is small and written here. moto's own (`moto.iam.access_control`)
was the candidate: it matches actions case-sensitively and ARN characters as regular
expressions, knows one condition operator (StringEquals, any other passes), and turns an Allow
whose condition fails into a Deny; policyuniverse expands actions but evaluates no resource
or condition. This one: Allow and Deny, Action and NotAction, Resource and NotResource with
IAM's wildcards, and the condition operators the stack's policies use; any other operator
fails the check by name rather than passing.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ACCOUNT = "123456789012"
CONTEXT_KEY = "stepthunk.iam.params"
# The rule Step Functions manages to follow `.sync` executions.
SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
# What Step Functions needs to deliver a machine's logs and traces (AWS's documented set).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
TRACE_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)


@dataclass(frozen=True)
class Need:
    """One authorization AWS makes: `who` (a function or a state machine, as the test names
    it) asks for `action` on `resource`, the request carrying the condition keys `context`."""

    who: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.who}: {self.action} on {self.resource}"


@dataclass(frozen=True)
class Call:
    """One AWS call as a client made it: its service, operation, parameters, and region,
    endpoint and answer where they name the resource."""

    who: str
    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    endpoint: str = ""
    answer: Mapping[str, Any] = field(default_factory=dict)


class Recorder:
    """Records every call of the clients it is attached to, whatever the answer."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def attach(self, client: Any, who: str) -> Any:
        service = client.meta.service_model.service_name
        region = client.meta.region_name
        endpoint = client.meta.endpoint_url

        def remember(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
            context[CONTEXT_KEY] = dict(params)

        def record(
            parsed: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any
        ) -> None:
            call = Call(who, service, model.name, context[CONTEXT_KEY], region, endpoint, parsed)
            with self._lock:
                self.calls.append(call)

        client.meta.events.register("before-parameter-build", remember)
        client.meta.events.register("after-call", record)
        return client


def needs(call: Call) -> list[Need]:
    """What IAM checks for `call`: one need per resource the request touches."""
    make = _NEEDS.get(call.service)
    if make is None:
        raise AssertionError(f"{call.who}: no IAM mapping for {call.service}:{call.operation}")
    return [
        Need(call.who, action, resource, tuple(sorted(context.items())))
        for action, resource, context in make(call)
    ]


Authorization = tuple[str, str, dict[str, str]]


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _dynamodb(call: Call) -> Iterator[Authorization]:
    params = call.params

    def table(name: str, index: str | None = None) -> str:
        arn = _arn("dynamodb", call.region, f"table/{name}")
        return f"{arn}/index/{index}" if index else arn

    if call.operation in ("BatchGetItem", "BatchWriteItem"):
        for name in params["RequestItems"]:
            yield f"dynamodb:{call.operation}", table(name), {}
    elif call.operation in ("TransactWriteItems", "TransactGetItems"):
        # No action of the transaction's own: each item is authorized as its single request.
        single = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        single |= {"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
        for item in params["TransactItems"]:
            ((kind, request),) = item.items()
            yield f"dynamodb:{single[kind]}", table(request["TableName"]), {}
    else:
        yield f"dynamodb:{call.operation}", table(params["TableName"], params.get("IndexName")), {}


_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
}


def _s3(call: Call) -> Iterator[Authorization]:
    params = call.params
    bucket = f"arn:aws:s3:::{params['Bucket']}"
    action = _S3_ACTIONS.get(call.operation, f"s3:{call.operation}")
    if call.operation == "DeleteObjects":
        for listed in params["Delete"]["Objects"]:
            yield "s3:DeleteObject", f"{bucket}/{listed['Key']}", {}
    elif "Key" in params:
        yield action, f"{bucket}/{params['Key']}", {}
    else:
        yield action, bucket, {}


def _kms(call: Call) -> Iterator[Authorization]:
    key = call.params.get("KeyId") or call.answer.get("KeyId")
    assert key, f"{call.who}: {call.operation} names no key"
    if not key.startswith("arn:"):
        key = _arn("kms", call.region, f"key/{key}")
    context = {
        f"kms:EncryptionContext:{name}": value
        for name, value in call.params.get("EncryptionContext", {}).items()
    }
    yield f"kms:{call.operation}", key, context


def _states(call: Call) -> Iterator[Authorization]:
    params = call.params
    action = f"states:{call.operation}"
    if call.operation == "ListStateMachines":
        yield action, "*", {}
        return
    if call.operation == "CreateStateMachine":
        machine = _arn("states", call.region, f"stateMachine:{params['name']}")
    else:
        machine = params.get("stateMachineArn") or params["executionArn"]
    yield action, machine, {}
    if params.get("publish"):
        yield "states:PublishStateMachineVersion", machine, {}
    if "roleArn" in params:
        yield "iam:PassRole", params["roleArn"], {"iam:PassedToService": "states.amazonaws.com"}
    if params.get("loggingConfiguration", {}).get("destinations"):
        # vended logs: who sets a machine's log delivery up needs the delivery actions too
        for delivery in LOG_DELIVERY_ACTIONS:
            yield delivery, "*", {}


_CONNECTION_METHODS = {"PostToConnection": "POST", "GetConnection": "GET"}
_CONNECTION_METHODS |= {"DeleteConnection": "DELETE"}


def _connections(call: Call) -> Iterator[Authorization]:
    # https://{api id}.execute-api.{region}.amazonaws.com/{stage}
    endpoint = urlsplit(call.endpoint)
    api = endpoint.hostname.split(".", 1)[0] if endpoint.hostname else ""
    stage = endpoint.path.strip("/")
    method = _CONNECTION_METHODS[call.operation]
    resource = f"{api}/{stage}/{method}/@connections/{call.params['ConnectionId']}"
    yield "execute-api:ManageConnections", _arn("execute-api", call.region, resource), {}


def _email(call: Call) -> Iterator[Authorization]:
    sender = call.params["FromEmailAddress"]
    identity = _arn("ses", call.region, f"identity/{sender}")
    yield f"ses:{call.operation}", identity, {"ses:FromAddress": sender}


_NEEDS = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "kms": _kms,
    "stepfunctions": _states,
    "apigatewaymanagementapi": _connections,
    "sesv2": _email,
}


def machine_needs(
    who: str,
    definition: Mapping[str, Any],
    *,
    logs: bool,
    traces: bool,
    children: Sequence[str] = (),
    items: str | None = None,
    itself: str | None = None,
) -> list[Need]:
    """What a state machine's role must allow for the machine to run `definition`: each
    function its tasks invoke, each machine its `.sync` tasks start and follow (`children`:
    the machines a task that reads the machine from its state, a run-workflow node's, may
    start), what a Distributed Map reads its items from (`items`: an object its ItemReader
    reads, named in the state) and the map runs it starts (child executions of the machine
    `itself`), and the delivery of its logs and traces when it has them."""
    found: list[Need] = []
    for state in _states_of(definition):
        if state.get("Type") == "Map":
            found += _map_needs(who, state, items, itself)
        if state.get("Type") != "Task":
            continue
        resource = state["Resource"]
        if resource.startswith("arn:aws:lambda:"):
            found.append(Need(who, "lambda:InvokeFunction", resource))
        elif resource.startswith("arn:aws:states:::lambda:invoke"):  # .waitForTaskToken
            found.append(Need(who, "lambda:InvokeFunction", state["Parameters"]["FunctionName"]))
        elif resource.startswith("arn:aws:states:::states:startExecution"):
            parameters = state["Parameters"]
            machines = [parameters["StateMachineArn"]] if "StateMachineArn" in parameters else []
            if "StateMachineArn.$" in parameters:
                assert children, f"{who}: name the machines its calls may start"
                machines = list(children)
            found += _starts(who, machines, ".sync" in resource)
        else:
            raise AssertionError(f"{who}: no IAM mapping for the task resource {resource}")
    found += [Need(who, action, "*") for action in LOG_DELIVERY_ACTIONS if logs]
    found += [Need(who, action, "*") for action in TRACE_ACTIONS if traces]
    return found


def _map_needs(
    who: str, state: Mapping[str, Any], items: str | None, itself: str | None
) -> list[Need]:
    """A Map state's own needs: the S3 object its ItemReader reads, and for a Distributed
    Map the child workflow executions of its map run, executions of the machine itself."""
    found = []
    reader = state.get("ItemReader")
    if reader is not None:
        assert reader["Resource"] == "arn:aws:states:::s3:getObject", reader
        assert items is not None, f"{who}: name an object its ItemReader reads"
        found.append(Need(who, "s3:GetObject", items))
    mode = state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode")
    if mode == "DISTRIBUTED":
        assert itself is not None, f"{who}: name the machine its map runs execute"
        region, name = itself.split(":")[3], itself.split(":")[6]
        label = state.get("Label", "map")
        execution = _arn("states", region, f"execution:{name}/{label}:an-iteration")
        found.append(Need(who, "states:StartExecution", itself))
        found += [
            Need(who, f"states:{a}", execution) for a in ("DescribeExecution", "StopExecution")
        ]
    return found


def _starts(who: str, machines: Sequence[str], sync: bool) -> list[Need]:
    """Starting each of `machines` (a machine or a version of it) and, with `sync`,
    following and stopping its executions through Step Functions' managed rule."""
    found = []
    for machine in machines:
        found.append(Need(who, "states:StartExecution", machine))
        if sync:
            region, name = machine.split(":")[3], machine.split(":")[6]
            execution = _arn("states", region, f"execution:{name}:*")
            found += [
                Need(who, f"states:{a}", execution) for a in ("DescribeExecution", "StopExecution")
            ]
            rule = _arn("events", region, f"rule/{SYNC_RULE}")
            found += [
                Need(who, f"events:{a}", rule) for a in ("PutTargets", "PutRule", "DescribeRule")
            ]
    return found


def _states_of(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for state in definition.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states_of(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states_of(state[key])


Statement = Mapping[str, Any]


def allows(statements: Iterable[Statement], need: Need) -> bool:
    """Whether `statements` (one principal's, resolved) allow `need`: an Allow matches it and
    no Deny does."""
    matching = [s for s in statements if _matches(s, need)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(
        s["Effect"] == "Deny" for s in matching
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case: bool = True) -> bool:
    # IAM's wildcards are * and ?; fnmatch's [...] is not one of them.
    translated = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.match(translated, value, 0 if case else re.IGNORECASE) is not None


def _matches(statement: Statement, need: Need) -> bool:
    def any_of(key: str, value: str, *, case: bool) -> bool:
        return any(_glob(pattern, value, case=case) for pattern in _listed(statement[key]))

    if "Action" in statement:
        action = any_of("Action", need.action, case=False)
    else:
        action = not any_of("NotAction", need.action, case=False)
    if "Resource" in statement:
        resource = any_of("Resource", need.resource, case=True)
    else:
        resource = not any_of("NotResource", need.resource, case=True)
    return action and resource and _conditions_hold(statement.get("Condition", {}), need)


def _equal(expected: str, value: str) -> bool:
    return expected == value


_STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _equal,
    "StringLike": _glob,
    "ArnEquals": _equal,
    "ArnLike": _glob,
}


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], need: Need) -> bool:
    context = {key.lower(): value for key, value in need.context}
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            value = context.get(key.lower())
            if operator == "Null":
                # "true": the key must be absent; "false": present
                if (value is None) != (str(expected).lower() == "true"):
                    return False
                continue
            base = operator.removesuffix("IfExists")
            compare = _STRING_OPERATORS.get(base)
            if compare is None:
                raise AssertionError(f"Condition operator {operator} is not evaluated here")
            if value is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not any(compare(str(item), value) for item in _listed(expected)):
                return False
    return True
