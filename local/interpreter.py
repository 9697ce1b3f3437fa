"""moto's Step Functions interpreter made to behave as AWS's where stepthunk relies on it.

moto's interpreter was ported from LocalStack's; where it differs from AWS in what a compiled
workflow meets, it is patched here (moto is pinned exactly for that):
- a failure of the Lambda service itself (a throttle) is named `Lambda.<code>`, so that Retry
  rules match it (moto names it `Exception`);
- a `states:startExecution.sync` task names its parameters and result fields as AWS does
  (`StateMachineArn`, `Output`; moto passes them to boto3 unchanged);
- a number literal in a definition keeps its JSON type (moto's parser reads `-3` as the float
  -3.0 and `-9007199254740993` as a rounded float; AWS keeps both exact);
- a task input or result over 256 KiB fails its state with `States.DataLimitExceeded`, which
  no Catch of `States.ALL` catches (moto checks no size; local.cloud measures the Lambda
  payloads and reports the failure with `data_limit_exceeded`);
- an execution whose history reaches 25,000 events fails with `States.Runtime`, naming the
  limit (moto records any number);
- each iteration of a Distributed Map's map run has a history of its own, as each is a child
  workflow execution on AWS (moto records every iteration's events in one list for the whole
  map run, which met the history limit after about 4,000 items, and kept them all until the
  map run ended);
- a Map state's worker runs any number of items (moto's worker called itself once per item
  it ran, so a `maxConcurrency` of 1 over 1,000 items passed Python's recursion limit);
- a definition with a state name over 80 characters is refused (InvalidDefinition), as AWS
  refuses it (moto takes any);
- a task's timeout is what its definition says even when the execution is stopped while the
  task is being scheduled (moto then skips evaluating it and records whatever else is on its
  stack, the task's input, as the scheduled event's `timeoutInSeconds`, which breaks every
  later GetExecutionHistory of that execution).
- an Express execution is one Step Functions answers nothing about: its ARN is
  `express:<machine>:<name>:<id>` (a new one at every start: AWS does not deduplicate Express
  names, so local.moto_stepfunctions finds no earlier execution of that name), and
  DescribeExecution, StopExecution, GetExecutionHistory and DescribeStateMachineForExecution
  refuse it (InvalidArn), ListExecutions refuses an Express machine
  (StateMachineTypeNotSupported). moto treats an Express machine as a Standard one. The
  engine itself still follows its executions (local.cloud.LocalCloud.execution).
- a SendTaskFailure's `cause` reaches the failed task's error output, as its `error` does
  (moto's response handler dropped it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from local.moto_patches import replace
from statemachine import quotas
from statemachine.limits import HISTORY_EVENT_LIMIT
from statemachine.state_names import MAX_STATE_NAME_LENGTH

# What a task's input or result may take, in bytes of JSON (Step Functions' payload quota).
STATE_DATA_LIMIT = quotas.STATE_PAYLOAD_BYTES
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME_ERROR = "States.Runtime"
# Errors States.ALL does not match: a Retry or Catch names them or they end the execution.
TERMINAL_ERRORS = frozenset({DATA_LIMIT_EXCEEDED, RUNTIME_ERROR})


def behave_as_on_aws() -> None:
    """Apply every patch of this module (once per process, with moto's other patches)."""
    _name_lambda_service_errors()
    _name_step_functions_fields()
    _keep_number_literals_exact()
    _leave_data_limit_uncaught()
    _evaluate_timeouts_of_stopped_executions()
    _refuse_long_state_names()
    _fail_executions_at_the_history_limit()
    _give_map_run_iterations_histories_of_their_own()
    _run_map_items_in_a_loop()
    _refuse_requests_about_express_executions()
    _pass_task_failure_causes()


def _pass_task_failure_causes() -> None:
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: StepFunctionResponse) -> Any:
        token, error = self._get_param("taskToken"), self._get_param("error")
        # the backend serving executions is moto's parser backend, which takes the cause
        backend: Any = self.stepfunction_backend
        backend.send_task_failure(token, error, self._get_param("cause"))
        return EmptyResult()

    replace(StepFunctionResponse, "send_task_failure", send_task_failure)


def is_express(machine: Any) -> bool:
    """Whether a moto state machine (or an execution's copy of it) is an Express one: moto
    keeps the type a machine was created with in `type` (its `sm_type` says STANDARD)."""
    return bool(getattr(machine, "type", None) == "EXPRESS")


def name_as_on_aws(execution: Any) -> None:
    """Give an Express execution, before it starts, the ARN Step Functions gives it."""
    if is_express(execution.state_machine):
        parts = execution.exec_arn.split(":")
        arn = ":".join([*parts[:5], "express", parts[6], execution.name, str(uuid.uuid4())])
        execution.exec_arn = execution.execution_arn = arn


def data_size(payload: str) -> int:
    """Bytes of a payload as Step Functions counts them (UTF-8)."""
    return len(payload.encode("utf-8", "surrogatepass"))


def data_limit_exceeded(what: str, size: int) -> str:
    """The Lambda error payload that fails a task's state for its data's size."""
    message = (
        f"The task's {what} of {size:,} bytes exceeds the {STATE_DATA_LIMIT:,} bytes Step "
        "Functions allows a state's data"
    )
    return json.dumps({"errorType": DATA_LIMIT_EXCEEDED, "errorMessage": message})


def _name_lambda_service_errors() -> None:
    """A Lambda task whose invocation the Lambda service refuses (TooManyRequestsException,
    ServiceException) fails with `Lambda.<code>`, as on AWS and as moto's own `lambda:invoke`
    integration names it; moto's plain-ARN tasks call every such failure `Exception`. A task
    whose data passes the quota fails with `States.DataLimitExceeded`."""
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils import (
        LambdaFunctionErrorException,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateTaskLambda._from_error

    def from_error(task: StateTaskLambda, env: Any, ex: Exception) -> FailureEvent:
        if isinstance(ex, LambdaFunctionErrorException) and DATA_LIMIT_EXCEEDED in ex.payload:
            # Step Functions' own error (see STATE_DATA_LIMIT), which moto would refuse as a
            # custom error name for its `States.` prefix.
            payload = json.loads(ex.payload)
            failed = LambdaFunctionFailedEventDetails(
                error=DATA_LIMIT_EXCEEDED, cause=str(payload.get("errorMessage", ""))
            )
            return FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded),
                event_type=HistoryEventType.LambdaFunctionFailed,
                event_details=EventDetails(lambdaFunctionFailedEventDetails=failed),  # type: ignore[typeddict-item]
            )
        if not isinstance(ex, ClientError):
            return original(task, env, ex)
        code = str(ex.response.get("Error", {}).get("Code", ""))
        message = str(ex.response.get("Error", {}).get("Message", ""))
        status = ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        error = f"Lambda.{code}"
        cause = f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code})"
        details = LambdaFunctionFailedEventDetails(error=error, cause=cause)
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.LambdaFunctionFailed,
            # moto's EventDetails is a total TypedDict of which one key is ever set
            event_details=EventDetails(lambdaFunctionFailedEventDetails=details),  # type: ignore[typeddict-item]
        )

    replace(StateTaskLambda, "_from_error", from_error)


def _name_step_functions_fields() -> None:
    """A Step Functions service task (`arn:aws:states:::states:startExecution.sync:2`)
    takes `StateMachineArn`, `Input` and `Name` and answers `ExecutionArn`, `Output`, ...,
    as on AWS: moto's interpreter hands the ASL names to boto3 (which wants
    `stateMachineArn`) and boto3's answer back as it is."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (  # noqa: E501
        StateTaskServiceSfn,
    )

    def renamed(fields: dict[str, Any], first: Callable[[str], str]) -> None:
        for key in list(fields):
            name = first(key[:1]) + key[1:]
            if name != key:
                fields[name] = fields.pop(key)

    original_parameters = StateTaskServiceSfn._normalise_parameters
    original_response = StateTaskServiceSfn._normalise_response
    original_eval = StateTaskServiceSfn._eval_service_task

    def normalise_parameters(
        task: Any, parameters: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_parameters(task, parameters, *args, **kwargs)
        renamed(parameters, str.lower)

    def normalise_response(task: Any, response: Any, *args: Any, **kwargs: Any) -> None:
        original_response(task, response, *args, **kwargs)
        if isinstance(response, dict):
            renamed(response, str.upper)

    def eval_service_task(task: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original_eval(task, env, *args, **kwargs)
        if env.stack and isinstance(env.stack[-1], dict):
            renamed(env.stack[-1], str.upper)

    replace(StateTaskServiceSfn, "_normalise_parameters", normalise_parameters)
    replace(StateTaskServiceSfn, "_normalise_response", normalise_response)
    replace(StateTaskServiceSfn, "_eval_service_task", eval_service_task)


def _keep_number_literals_exact() -> None:
    """A number in a definition (`Parameters`, `Result`, `Assign`, JSONata templates) is the
    value its JSON text says: `-3` an integer, `-9007199254740993` every digit of it.

    moto's grammar reads unsigned integers as INT and every other number, negative integers
    included, as NUMBER, which its preprocessor turns into a float. Reading NUMBER's text as
    JSON gives Python's own JSON types back: int for integers, float otherwise.
    """
    from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (  # noqa: E501
        AssignTemplateValueTerminalLit,
    )
    from moto.stepfunctions.parser.asl.component.common.jsonata.jsonata_template_value_terminal import (  # noqa: E501
        JSONataTemplateValueTerminalLit,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_float import (  # noqa: E501
        PayloadValueFloat,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_int import (  # noqa: E501
        PayloadValueInt,
    )
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def number(context: Any) -> Any:
        return json.loads(context.NUMBER().getText())

    def payload_number(self: Preprocessor, context: Any) -> PayloadValueInt | PayloadValueFloat:
        value = number(context)
        return PayloadValueInt(value) if isinstance(value, int) else PayloadValueFloat(value)

    def assign_number(self: Preprocessor, context: Any) -> AssignTemplateValueTerminalLit:
        return AssignTemplateValueTerminalLit(value=number(context))

    def jsonata_number(self: Preprocessor, context: Any) -> JSONataTemplateValueTerminalLit:
        return JSONataTemplateValueTerminalLit(value=number(context))

    replace(Preprocessor, "visitPayload_value_float", payload_number)
    replace(Preprocessor, "visitAssign_template_value_terminal_float", assign_number)
    replace(Preprocessor, "visitJsonata_template_value_terminal_float", jsonata_number)


def _leave_data_limit_uncaught() -> None:
    """`States.ALL` in a Retry or Catch matches every error but the terminal ones,
    `States.DataLimitExceeded` and `States.Runtime` (the history limit's): the execution fails
    without reaching its `Catch`, as on AWS."""
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
        ErrorEqualsDecl,
    )

    original = ErrorEqualsDecl._eval_body

    def eval_body(decl: ErrorEqualsDecl, env: Any) -> None:
        error_name = env.stack[-1]
        if getattr(error_name, "error_name", None) in TERMINAL_ERRORS:
            env.stack.pop()
            env.stack.append(error_name in decl.error_names)
            return
        original(decl, env)

    replace(ErrorEqualsDecl, "_eval_body", eval_body)


def _evaluate_timeouts_of_stopped_executions() -> None:
    """A timeout is evaluated whether or not its execution still runs.

    moto evaluates a component only while its execution runs, and its tasks pop each
    result off a shared stack: a StopExecution between the start of a task and its timeout
    left the task's input on the stack, recorded as the timeout of the scheduled event. A
    timeout is a constant or a read of the state, safe to evaluate after a stop.
    """
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import Timeout

    def evaluate(timeout: Timeout, env: Any) -> None:
        timeout._eval_body(env)

    replace(Timeout, "eval", evaluate)


def _refuse_long_state_names() -> None:
    """CreateStateMachine and UpdateStateMachine refuse a state name over 80 characters, in
    any branch or Map of the definition, as AWS does."""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class InvalidDefinition(AWSError):  # moto's own answers with no error code
        TYPE = "InvalidDefinition"
        STATUS = 400

    validate: Callable[[str], None] = StepFunctionsParserBackend._validate_definition

    def validated(definition: str) -> None:
        try:
            document = json.loads(definition)
        except ValueError:
            document = None  # moto's parser names what is wrong
        for path, name in _state_names(document):
            if len(name) > MAX_STATE_NAME_LENGTH:
                raise InvalidDefinition(
                    "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: State name "
                    f"'{name}' is longer than {MAX_STATE_NAME_LENGTH} characters at {path}'"
                )
        validate(definition)

    replace(StepFunctionsParserBackend, "_validate_definition", staticmethod(validated))


def _state_names(document: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, name) of every state of a definition, branches and Map processors included."""
    if not isinstance(document, dict) or not isinstance(document.get("States"), dict):
        return
    for name, state in document["States"].items():
        here = f"{path}/States/{name}"
        yield here, name
        if not isinstance(state, dict):
            continue
        for index, branch in enumerate(state.get("Branches") or []):
            yield from _state_names(branch, f"{here}/Branches[{index}]")
        for key in ("ItemProcessor", "Iterator"):
            yield from _state_names(state.get(key), f"{here}/{key}")


def _fail_executions_at_the_history_limit() -> None:
    """A state entered once the execution's history holds HISTORY_EVENT_LIMIT events fails
    the execution with `States.Runtime` (AWS fails an execution at the limit; moto keeps
    recording)."""
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = CommonStateField._eval_body

    def eval_body(state: CommonStateField, env: Any) -> None:
        recorded = getattr(env.event_manager, "_history_event_list", ())
        if len(recorded) >= HISTORY_EVENT_LIMIT:
            cause = (
                f"The execution's history reached {len(recorded):,} events: Step Functions "
                f"ends an execution at {HISTORY_EVENT_LIMIT:,} (its history event quota)"
            )
            details = ExecutionFailedEventDetails(error=RUNTIME_ERROR, cause=cause)
            failed: EventDetails = {"executionFailedEventDetails": details}  # type: ignore[typeddict-item]
            raise FailureEventException(
                FailureEvent(
                    env,
                    StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
                    HistoryEventType.ExecutionFailed,
                    failed,
                )
            )
        original(state, env)

    replace(CommonStateField, "_eval_body", eval_body)


def _give_map_run_iterations_histories_of_their_own() -> None:
    """Each iteration of a map run records its events in a history of its own (moto gives
    the whole map run one, which no request reads: the events are dropped with it)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    original = DistributedItemProcessorWorker._eval_job

    def eval_job(worker: DistributedItemProcessorWorker, env: Any, job: Any) -> None:
        env.event_manager = EventManager()  # `env` is the iteration's own frame
        original(worker, env, job)

    replace(DistributedItemProcessorWorker, "_eval_job", eval_job)


def _run_map_items_in_a_loop() -> None:
    """Each of moto's Map workers (inline items, a map run's items, a map run's iterator) runs
    an item, then calls itself for the next one as its last statement: one frame per item.
    That call is taken by the loop of the call that ran the item instead, so a worker's stack
    stays one frame deep whatever the number of items. A worker runs on one thread."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (  # noqa: E501
        distributed_item_processor_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator import (
        distributed_iterator_worker,
    )

    def looping(eval_pool: Callable[..., None]) -> Callable[..., None]:
        def in_a_loop(worker: Any, job: Any, worker_frame: Any) -> None:
            if getattr(worker, "_next_in_pool", None) is not None:  # the worker's tail call
                worker._next_in_pool.append((job, worker_frame))
                return
            worker._next_in_pool = [(job, worker_frame)]
            try:
                while worker._next_in_pool:
                    eval_pool(worker, *worker._next_in_pool.pop())
            finally:
                worker._next_in_pool = None

        return in_a_loop

    for owner in (
        iteration_worker.IterationWorker,
        distributed_item_processor_worker.DistributedItemProcessorWorker,
        distributed_iterator_worker.DistributedIteratorWorker,
    ):
        replace(owner, "_eval_pool", looping(owner._eval_pool))


def _refuse_requests_about_express_executions() -> None:
    """What Step Functions answers about an Express execution or machine: nothing."""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.exceptions import InvalidArn
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class StateMachineTypeNotSupported(AWSError):
        TYPE = "StateMachineTypeNotSupported"
        STATUS = 400

    def refusing(original: Callable[..., Any]) -> Callable[..., Any]:
        def call(backend: Any, execution_arn: str, *args: Any, **kwargs: Any) -> Any:
            if execution_arn.split(":")[5:6] == ["express"]:
                raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
            return original(backend, execution_arn, *args, **kwargs)

        return call

    backend = StepFunctionsParserBackend
    for name in ("describe_execution", "stop_execution", "describe_state_machine_for_execution"):
        replace(backend, name, refusing(getattr(backend, name)))
    # moto's GetExecutionHistory describes the execution first: refused with it
    list_executions: Callable[..., Any] = backend.list_executions

    def listed(backend: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        if is_express(backend.describe_state_machine(state_machine_arn)):
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        return list_executions(backend, state_machine_arn, *args, **kwargs)

    replace(backend, "list_executions", listed)
