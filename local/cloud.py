"""A private AWS for this process: moto, with Step Functions really executing ASL and our
handlers answering as the Lambda functions, in-process.

moto's interpreter is the one AWS's behaviour was ported from (LocalStack's), so a compiled
state machine runs here as it would on AWS: Retry, Catch, Choice, Wait, history. A few of
moto's internals are patched, which is why moto is pinned exactly:
- Lambda invocations call the registered Python callable instead of a Docker container (the
  interpreter's own invocations directly, without a round trip through botocore and moto;
  the engine's functions are not created in moto's Lambda at all);
- the interpreter's boto3 clients and parsed JSONPaths are cached (it made both per state,
  which cost ~15 ms a task);
- retry back-off and Wait states sleep `time_scale` times their real duration (tests run
  them fast; `stepthunk run` keeps real time);
- posts to WebSocket connections reach in-process listeners (the CLI's live progress), and a
  post over API Gateway's 128 KB message limit is refused (PayloadTooLargeException), as on
  AWS (moto takes any size);
- a state machine definition is parsed once, not at every start, each of its repeated
  statements read with moto's grammar once (`local.asl_parse`), and its long strings are
  lexed in one step (`local.asl_lexer`); a state's data is copied as JSON and the literals of
  its parameters are evaluated once (`local.moto_stepfunctions`);
- DynamoDB and Step Functions requests of this process's clients are answered without the
  HTTP round trip (`local.direct`); DynamoDB requests are served one at a time (moto's tables
  are not thread-safe, `local.moto_dynamodb`), a query reads only the
  partition it asks for (moto sorted the whole table at every query), an update expression's
  static checks run once per expression and its parsed tree is copied from a pickle and
  walked without asking each node's processors anew, and each
  response class's methods are listed once, not at every request;
- a KMS key's key pair is made when first used (moto made an RSA pair for every key);
- the interpreter names errors and fields, reads number literals and enforces the size of a
  state's data as AWS does (`local.interpreter`);
- every request that may change a table or a bucket records the keys of the items and
  objects it wrote (`local.changes`), so that a saved copy of them knows without reading
  them whether, and where, it is out of date.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws
from moto.core.exceptions import JsonRESTError

from local import direct, interpreter, moto_dynamodb, moto_start, moto_stepfunctions, requests_first
from local.changes import ChangeLog
from local.mail import SentEmail, parsed
from local.moto_patches import replace
from local.requests_first import RequestsFirst
from statemachine import quotas

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Every API Gateway management endpoint under execute-api is served by moto.
WEBSOCKET_ENDPOINT = f"https://local.execute-api.{REGION}.amazonaws.com/embedded"

# What API Gateway's PostToConnection takes, in bytes (a WebSocket API's message quota).
MESSAGE_LIMIT = quotas.WEBSOCKET_MESSAGE_BYTES

_LAMBDA_PATCH = threading.Lock()
# How often a task waiting for its token checks that its execution still runs.
TOKEN_POLL_SECONDS = 0.2

LambdaCall = Callable[[dict[str, Any], float], dict[str, Any]]
Listener = Callable[[bytes], None]

_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
)
S3_READ_METHODS = frozenset({"GET", "HEAD"})
# What an execution worker's own cloud serves: its executions and their functions.
OWN_SERVICES = frozenset({"stepfunctions", "lambda"})


class LocalCloud:
    """The moto world of this process (one per process: moto's backends are global)."""

    _shared: LocalCloud | None = None
    _lock = threading.Lock()
    _started = False

    def __init__(self) -> None:
        if LocalCloud._started:
            # moto is patched for the first cloud, and starting it again would empty its tables
            raise RuntimeError("A process has one LocalCloud: use LocalCloud.shared()")
        moto_start.check_moto_version()
        LocalCloud._started = True
        moto_start.defer_unused_services()
        moto_start.read_models_once()
        # The interpreter logs every failed state as an error; our records already say it.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        _route_handler_logs()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.functions: dict[str, tuple[LambdaCall, int]] = {}
        self.listeners: dict[str, Listener] = {}
        self.closed: set[str] = set()
        self.time_scale = 1.0
        self._clients: dict[tuple[str, str | None, bool], Any] = {}
        self.changes = ChangeLog()
        self.direct: direct.DirectClients | None = None
        # the addresses engines send e-mail from, verified in moto's SES with its first client
        self.email_senders: set[str] = set()
        self.requests = RequestsFirst()  # serve's API requests, answered before tasks run
        # In an execution worker of serve (local.workers): makes the clients of every service
        # but Step Functions and Lambda, whose requests serve's own cloud answers.
        self.remote: Callable[[str, str | None], Any] | None = None
        _patch_moto(self)
        # The role state machines run as: moto checks its form only (it evaluates no policy,
        # and no function of the engine is created in moto's Lambda, which needs a real one).
        self.role_arn = f"arn:aws:iam::{ACCOUNT}:role/stepthunk-local"

    @classmethod
    def shared(cls) -> LocalCloud:
        """The process's cloud, started on first use."""
        with cls._lock:
            if cls._shared is None:
                with moto_start.long_lived():
                    cls._shared = LocalCloud()
            return cls._shared

    def client(self, service: str, endpoint_url: str | None = None, validate: bool = True) -> Any:
        """A boto3 client of this cloud, created once per service and endpoint; without
        `validate`, one that sends its requests' parameters unchecked (they were checked by
        the client that made them, in another process: `answer_request`)."""
        key = (service, endpoint_url, validate)
        if key not in self._clients and self.remote is not None and service not in OWN_SERVICES:
            self._clients[key] = self.remote(service, endpoint_url)
        if key not in self._clients:
            if service == "lambda":
                _serve_functions_in_moto_lambda(self)
            if service == "sesv2":
                self._verify_senders()
            self._clients[key] = boto3.client(
                service,
                region_name=REGION,
                endpoint_url=endpoint_url,  # type: ignore[call-overload]
                config=Config(parameter_validation=validate),
            )
        return self._clients[key]

    def add_function(self, name: str, call: LambdaCall, timeout: int = 900) -> str:
        """Register Lambda function `name`, answered by `call(event, deadline)`; return its ARN.

        Only Step Functions invokes these, and its invocations reach `call` directly: the
        function is not created in moto's Lambda (which would read Lambda's API model and
        store a code archive for each, a tenth of `stepthunk run`'s start).
        """
        self.functions[name] = (call, timeout)
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    def _verify_senders(self) -> None:
        """Verify the engines' senders in moto's SES (which refuses any other sender, as SES
        does), when a node first sends: most runs never load moto's SES."""
        from moto.ses.models import ses_backends

        backend = ses_backends[ACCOUNT][REGION]
        for sender in self.email_senders:
            backend.verify_email_identity(sender)

    def sent_emails(self) -> list[SentEmail]:
        """Every message sent through moto's SES, oldest first."""
        if not any(service == "sesv2" for service, _, _ in self._clients):
            return []  # nothing sent: moto's SES is not even loaded
        from moto.ses.models import RawMessage, ses_backends

        sent = ses_backends[ACCOUNT][REGION].sent_messages
        return [parsed(m.id, m.raw_data.encode()) for m in sent if isinstance(m, RawMessage)]

    def create_bucket(self, name: str) -> None:
        """Create S3 bucket `name` in moto's S3 itself: an engine's start need not make an S3
        client (its model is the largest it would read) for a bucket most runs never use."""
        from moto.s3.models import s3_backends

        s3_backends[ACCOUNT]["aws"].create_bucket(name, REGION)
        self.changes.throughout(name)

    def listen(self, connection_id: str, listener: Listener | None) -> None:
        """Deliver posts to WebSocket connection `connection_id` to `listener`.

        None closes the connection: later posts to it fail with GoneException (410), as they
        do on AWS once a client has gone.
        """
        if listener is None:
            self.listeners.pop(connection_id, None)
            self.closed.add(connection_id)
        else:
            self.listeners[connection_id] = listener
            self.closed.discard(connection_id)

    def answer_request(
        self, service: str, endpoint_url: str | None, operation: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """A request another process made (local.workers), made with this cloud's client
        of `service`: the HTTP status and the parsed answer, an error response as botocore
        parses it."""
        from botocore import xform_name
        from botocore.exceptions import ClientError

        client = self.client(service, endpoint_url, validate=False)
        try:
            parsed = getattr(client, xform_name(operation))(**params)
        except ClientError as error:
            parsed = error.response
        status = int(parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 200))
        return status, parsed

    def listened(self) -> bool:
        """Whether any WebSocket connection has a client now (serve's, or a run's progress)."""
        return bool(self.listeners)

    def executions(self, state_machine_name: str) -> list[Any]:
        """moto's executions of a state machine, Standard or Express, oldest first: Step
        Functions answers no request about an Express execution (local.interpreter), the
        engine still follows them. Each one's `execution_arn`, `status`, `error` and `cause`
        are DescribeExecution's."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        for machine in backend.state_machines:
            if machine.name == state_machine_name:
                return list(machine.executions)
        return []

    def execution(self, execution_arn: str) -> Any:
        """moto's execution at `execution_arn` (see `executions`)."""
        machine_name = execution_arn.split(":")[6] if execution_arn.count(":") >= 6 else ""
        for execution in reversed(self.executions(machine_name)):
            if execution.execution_arn == execution_arn:
                return execution
        raise LookupError(f"No execution {execution_arn}")

    def wait_for_execution(self, execution_arn: str, timeout: float | None = None) -> str:
        """Block until the execution stops; return its status (SUCCEEDED, FAILED, ...)."""
        execution = self.execution(execution_arn)
        until = None if timeout is None else time.monotonic() + timeout
        status = moto_stepfunctions.wait_until_ended(execution, until)
        if status == "RUNNING":
            raise TimeoutError(f"Execution {execution_arn} still running after {timeout} s")
        return status


class _PayloadTooLarge(JsonRESTError):
    """What API Gateway answers a post over its message quota."""

    code = 413

    def __init__(self, size: int) -> None:
        super().__init__(
            "PayloadTooLargeException",
            f"The message of {size:,} bytes exceeds the {MESSAGE_LIMIT:,} bytes a post may take",
        )


class _Gone(JsonRESTError):
    """What API Gateway answers a post to a connection whose client has gone."""

    code = 410

    def __init__(self) -> None:
        super().__init__("GoneException", "The connection is gone")


# A payload parsed and written again by json.dumps takes at most 4.5 times its bytes (a
# number sent as `1e15` is written `1000000000000000.0`; a separator gains a space; no string
# grows): an event sent in at most an eighth of the limit fits it, unmeasured.
_FITS_UNMEASURED = interpreter.STATE_DATA_LIMIT // 8


def _answer(
    registered: tuple[LambdaCall, int], event: Any, sent_bytes: int | None = None
) -> tuple[str, bool]:
    """What a registered function answers `event` (sent as `sent_bytes` of JSON, if known):
    its payload (JSON) and whether it is an error, with Lambda's and Step Functions' limits
    on the sizes of both."""
    call, timeout = registered
    event = event if isinstance(event, dict) else {}
    if (sent_bytes is None or sent_bytes > _FITS_UNMEASURED) and (
        size := interpreter.data_size(json.dumps(event, ensure_ascii=False))
    ) > interpreter.STATE_DATA_LIMIT:
        return interpreter.data_limit_exceeded("input", size), True
    try:
        result = call(event, time.monotonic() + timeout)
    except Exception as error:  # noqa: BLE001 - as on AWS: type and message go to the caller
        failure = {"errorType": type(error).__name__, "errorMessage": str(error)}
        return json.dumps(failure), True
    payload = json.dumps(result, ensure_ascii=False)
    if (size := interpreter.data_size(payload)) > interpreter.STATE_DATA_LIMIT:
        return interpreter.data_limit_exceeded("result", size), True
    return payload, False


class _DirectLambda:
    """The interpreter's Lambda client: an invoke of a registered function calls it
    directly, answering what moto's Lambda would (status, payload, `FunctionError`) without
    the round trip through botocore and moto's Lambda service, which cost several
    milliseconds a task; anything else goes to moto's client, made when first needed (it
    reads Lambda's API model, which an engine's own invocations never need)."""

    def __init__(self, cloud: LocalCloud, make_client: Callable[[], Any]) -> None:
        self._cloud = cloud
        self._make_client = make_client

    @functools.cached_property
    def _client(self) -> Any:
        _serve_functions_in_moto_lambda(self._cloud)
        return self._make_client()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def invoke(self, **parameters: Any) -> dict[str, Any]:
        name = str(parameters.get("FunctionName", ""))
        if name.startswith("arn:"):
            name = name.split(":function:", 1)[-1]
        registered = self._cloud.functions.get(name)
        if registered is None:
            return dict(self._client.invoke(**parameters))
        if extra := set(parameters) - {"FunctionName", "Payload"}:
            raise NotImplementedError(
                f"The embedded engine invokes {name} with a payload alone, not {sorted(extra)}"
            )
        raw = parameters.get("Payload") or b"{}"
        self._cloud.requests.yield_to_requests()
        sent = len(raw) if isinstance(raw, bytes) else None
        payload, errored = _answer(registered, json.loads(raw) if raw else {}, sent)
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(payload.encode())}
        if errored:
            response["FunctionError"] = "Handled"
        return response


def _route_handler_logs() -> None:
    """The handlers' logs go to stderr here (stdout is the CLI's, `--json` must stay clean),
    at STEPTHUNK_LOG_LEVEL (default WARNING)."""
    from lambdas.handlers.observability import logger

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)
    logger.setLevel(os.environ.get("STEPTHUNK_LOG_LEVEL", "WARNING").upper())


def _serve_functions_in_moto_lambda(cloud: LocalCloud) -> None:
    """Make moto's Lambda answer an invocation of a registered function with it (once).

    Step Functions' invocations reach the registered functions without moto's Lambda; a
    Lambda client of this cloud (made by whoever needs one) reaches them through it. moto's
    Lambda imports much of moto (ECR, IAM, X.509): it is patched when a client is made.
    """
    from moto.awslambda.models import LambdaFunction

    with _LAMBDA_PATCH:
        if getattr(LambdaFunction._invoke_lambda, "serves_registered", False):
            return
        original_invoke = LambdaFunction._invoke_lambda

        def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            registered = cloud.functions.get(function.function_name)
            if registered is None:
                return original_invoke(function, event)
            payload, errored = _answer(registered, event)
            return payload, errored, ""

        invoke.serves_registered = True  # type: ignore[attr-defined]
        replace(LambdaFunction, "_invoke_lambda", invoke)


def _patch_moto(cloud: LocalCloud) -> None:
    from moto.apigatewaymanagementapi.models import ApiGatewayManagementApiBackend
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    original_post = ApiGatewayManagementApiBackend.post_to_connection

    def post(backend: ApiGatewayManagementApiBackend, data: bytes, connection_id: str) -> None:
        if len(data) > MESSAGE_LIMIT:
            raise _PayloadTooLarge(len(data))
        listener = cloud.listeners.get(connection_id)
        if listener is not None:
            listener(data)
        elif connection_id in cloud.closed:
            raise _Gone()
        else:
            original_post(backend, data, connection_id)

    @functools.cache
    def cached_client(region: str, service: str) -> Any:
        if service == "lambda":
            return _DirectLambda(cloud, lambda: original_client_for(region, service))
        return original_client_for(region, service)

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        return cached_client(region, service)

    class ScaledTime:
        """`time` for moto's retrier: sleeps scaled by the cloud's time_scale."""

        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        def sleep(self, seconds: float) -> None:
            time.sleep(seconds * cloud.time_scale)

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * cloud.time_scale)

    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution
    original_execution_start = Execution.start
    starting = threading.local()  # the definition of the version this thread starts

    def start_execution(backend: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        if name:
            # AWS's name rules (at most 80 characters, no wildcards or controls), which moto
            # checks for its other backend only
            backend._validate_name(name)
        # moto cannot start a published version (AWS can): start its state machine (which
        # lists its executions) on the version's definition.
        machine = backend.describe_state_machine(state_machine_arn)
        source = getattr(machine, "source_arn", None)
        if source is None:
            return original_start(backend, state_machine_arn, *args, **kwargs)
        starting.definition = machine.definition
        try:
            return original_start(backend, source, *args, **kwargs)
        finally:
            starting.definition = None

    requests_first.yield_between_states(cloud.requests)

    def start_execution_worker(execution: Any) -> None:
        definition = getattr(starting, "definition", None)
        if definition is not None:  # the execution's own copy of its state machine
            execution.state_machine.definition = definition
        interpreter.name_as_on_aws(execution)
        original_execution_start(execution)

    from moto.core.models import botocore_stubber
    from moto.dynamodb.parsing.expressions import (  # type: ignore[attr-defined]
        UpdateExpressionParser,
    )
    from moto.dynamodb.responses import DynamoHandler

    original_dynamodb_call = DynamoHandler.call_action
    tables = moto_dynamodb.Tables(cloud.changes, _key_names)

    def dynamodb_call(handler: DynamoHandler) -> Any:
        return tables.serve(
            handler._get_action(),
            lambda: getattr(handler, "params", None),
            lambda: original_dynamodb_call(handler),
        )

    from moto import settings as moto_settings

    def answering() -> bool:
        # only while moto answers requests, and none is checked against IAM policies (moto
        # does that for a test that asks, on the HTTP path only)
        checked = float("inf") != moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        return bool(botocore_stubber.enabled) and not checked

    services = {"dynamodb": direct.dynamodb(tables.serve), "sfn": direct.step_functions()}
    cloud.direct = direct.DirectClients(services, ACCOUNT, answering)
    cloud.direct.install()
    moto_dynamodb.query_within_partitions()
    moto_dynamodb.check_update_expressions_once()
    moto_dynamodb.walk_expression_trees_directly()
    moto_dynamodb.parse_conditions_once()
    moto_dynamodb.update_simple_items_directly()

    from moto.s3.responses import S3Response

    def counted(respond: Callable[..., Any], *, keyed: bool) -> Callable[..., Any]:
        def call(response: S3Response, request: Any, full_url: str, headers: Any) -> Any:
            try:
                return respond(response, request, full_url, headers)
            finally:
                if request.method not in S3_READ_METHODS:
                    bucket = getattr(response, "bucket_name", "")
                    if keyed:
                        cloud.changes.object(bucket, response.parse_key_name())
                    else:
                        cloud.changes.throughout(bucket)

        return call

    from moto.kms import models as kms_models

    from lambdas.handlers.wiring import OnFirstUse

    original_private_key = kms_models.generate_private_key  # type: ignore[attr-defined]

    def private_key(key_spec: str) -> Any:
        # moto makes a key pair (RSA, 2048 bits) for every KMS key, though only signing uses
        # it, and an engine's key only encrypts: made when first used
        return OnFirstUse(lambda: original_private_key(key_spec))

    # first: what behave_as_on_aws wraps of moto's (DescribeExecution) is then the faster one
    moto_stepfunctions.speed_up()
    interpreter.behave_as_on_aws()
    replace(kms_models, "generate_private_key", private_key)
    # A task waiting for a part's execution polls it every 50 ms, not every 0.5 s.
    callback_module = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
        "state_task_service_callback"
    )
    replace(callback_module, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 0.05)
    original_client_for = boto_client.boto_client_for
    replace(DynamoHandler, "call_action", dynamodb_call)
    replace(S3Response, "bucket_response", counted(S3Response.bucket_response, keyed=False))
    replace(S3Response, "key_response", counted(S3Response.key_response, keyed=True))
    replace(StepFunctionsParserBackend, "start_execution", start_execution)
    replace(Execution, "start", start_execution_worker)
    replace(ApiGatewayManagementApiBackend, "post_to_connection", post)
    for name in _CLIENT_USERS:
        module = importlib.import_module(name)
        replace(module, "boto_client_for", client_for)
    # A state machine's definition is parsed into evaluation components once, not at every
    # start: the components keep execution state in the environment they are given, so one
    # parsed program serves concurrent executions (parsing took most of a start's time), and
    # a statement repeated in every task is read with moto's grammar once.
    from local import asl_lexer, asl_parse

    asl_lexer.install()
    asl_parse.install()
    # An UpdateItem's expression is parsed twice per request, and its validation works on a
    # copy of the parsed tree: the few expressions the stores write are parsed once each.
    replace(
        UpdateExpressionParser,
        "make",
        functools.lru_cache(maxsize=256)(UpdateExpressionParser.make),
    )
    # moto lists a response class's methods (inspect.getmembers) at every request to find
    # the one the action names: a class's methods are listed once.
    from moto.core import responses as core_responses

    replace(
        core_responses,
        "method_names_from_class",
        functools.cache(core_responses.method_names_from_class),  # type: ignore[attr-defined]
    )
    replace(json_path, "parse", functools.lru_cache(maxsize=4096)(json_path.parse))  # type: ignore[attr-defined]
    replace(result_path, "parse", functools.lru_cache(maxsize=4096)(result_path.parse))  # type: ignore[attr-defined]
    replace(retrier_decl, "time", ScaledTime())
    replace(wait_function.WaitFunction, "_wait_interval", wait_interval)
    _scale_token_waits(cloud)


def _scale_token_waits(cloud: LocalCloud) -> None:
    """A task waiting for its token (`.waitForTaskToken`, a wait-for-event node's) times out
    at the cloud's time scale, as Wait states and retries do, and stops waiting when its
    execution is stopped (moto's waited for the whole timeout, a thread held meanwhile)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_task,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeTimedOut

    service = callback_task.StateTaskServiceCallback
    original = service._eval_wait_for_task_token

    def wait_for_token(
        self: Any, env: Any, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        if heartbeat_endpoint is not None:  # stepthunk's tasks send no heartbeats
            return original(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        ends = time.monotonic() + timeout_seconds * cloud.time_scale
        while env.is_running() and (left := ends - time.monotonic()) > 0:
            outcome = callback_endpoint.wait(min(left, TOKEN_POLL_SECONDS))
            if outcome is not None:
                return outcome
        return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)

    replace(service, "_eval_wait_for_task_token", wait_for_token)


def _key_names(table: str) -> tuple[str, ...] | None:
    """The key attributes of moto's table `table` (partition, then sort), None if none exists."""
    from moto.dynamodb.models import dynamodb_backends

    found = dynamodb_backends[ACCOUNT][REGION].tables.get(table)
    if found is None:
        return None
    if found.range_key_attr is None:
        return (found.hash_key_attr,)
    return (found.hash_key_attr, found.range_key_attr)
