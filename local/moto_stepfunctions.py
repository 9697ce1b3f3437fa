"""moto's Step Functions interpreter as the embedded engine runs it: five of its costs cut,
with what each state computes unchanged (local.interpreter holds what is changed to behave
as AWS does).

- A state's data is JSON, and the interpreter copies it whole several times per state (its
  input, the value a path selects, its result, the stack of a task): `copy.deepcopy`, which
  keeps a memo of every object and dispatches on each one's type, took a tenth of a served
  execution. Its modules copy JSON values as JSON trees (dicts, lists, immutable scalars);
  anything else still goes through `copy.deepcopy`.
- A task's `Parameters` hold the unit's nodes and edges as literals, which the interpreter
  evaluated value by value at every run of the task, as it evaluates a path. A template or
  array that holds literals alone is evaluated once; each run gets a copy of its value, but
  a Lambda task's own parameters, which are only read (serialized as the function's payload
  and its history event), share it.
- An execution kept everything it was evaluated with after it ended (its states' data,
  stacks, frames), and every thread the interpreter started stayed in a list that nothing
  reads: about 100 KB a 20-node execution, for as long as `serve` runs, all of it walked by
  each full garbage collection. An ended execution keeps its history (GetExecutionHistory,
  which a retry reads), compressed, and how it ended (37 KB with its record); threads are not
  kept once started.
- Each execution, its program and each of its task states ran in a thread started for it (so
  that a timeout can end the wait for it): 100 us of a thread's start and end, eight times a
  20-node execution. The program and the tasks run on threads kept for them, each taking the
  next once done (one more is started when all are busy, so one that outlives its timeout
  holds none back). An execution still starts its own thread: moto makes its environment on
  that thread, and a stop that comes right after the start needs it made.
- Each start looked for its execution name among every execution its state machine ever
  ran (5 ms a start once `serve` has run 100,000), and each DescribeExecution (which a
  `startExecution.sync` task asks every 50 ms while its child runs) and history read for
  its ARN: a state machine's executions are indexed by name and by ARN as they start (a
  10,000-item for-each asked a list of up to 10,000 some 800 times a second).
- A caller waiting for an execution's end polled its status with pauses up to 20 ms, most of
  a small run's wait spent after it ended: an execution that ends wakes its waiters.
"""

from __future__ import annotations

import copy
import importlib
import pickle
import queue
import sys
import threading
import time
import types
import zlib
from collections.abc import Callable
from typing import Any

from local.interpreter import is_express
from local.moto_patches import replace

# moto's interpreter modules that copy states' data with `copy.deepcopy`
COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def json_copy(value: Any, memo: Any = None) -> Any:
    """A copy of `value` that shares no dict or list with it: JSON trees copied directly,
    anything else by `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value, memo)


# Notified each time an execution ends (see `wait_until_ended`).
_ENDED = threading.Condition()


def wait_until_ended(execution: Any, until: float | None = None) -> str:
    """Block until moto's `execution` stops (or the monotonic clock passes `until`); its
    status. An execution that ends wakes its waiters at once, once what it no longer needs
    is let go of; a waiter also looks every 20 ms (an execution ended by a path that does
    not announce it)."""
    with _ENDED:
        while (status := str(execution.status)) == "RUNNING":
            left = 0.02 if until is None else min(0.02, until - time.monotonic())
            if left <= 0:
                break
            _ENDED.wait(left)
    return status


# moto's interpreter modules that keep each thread they start in `TMP_THREADS`
THREAD_KEEPING_MODULES = (
    "moto.stepfunctions.parser.backend.execution_worker",
    "moto.stepfunctions.parser.asl.component.program.program",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker",
    "moto.stepfunctions.parser.asl.component.test_state.program.test_state_program",
)


def speed_up() -> None:
    """Apply the changes (once per process, with moto's other patches)."""
    _copy_json_as_json()
    _evaluate_literals_once()
    _write_each_lambda_input_once()
    _keep_what_an_ended_execution_needs()
    _index_executions()
    _run_tasks_on_kept_threads()


def _copy_json_as_json() -> None:
    copier = types.SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
    for name in COPYING_MODULES:
        replace(importlib.import_module(name), "copy", copier)


# A component's folded value: (the value) or None when it is not made of literals alone.
FOLDED = "_stepthunk_literal"


def _evaluate_literals_once() -> None:
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadarr.payload_arr import (  # noqa: E501
        PayloadArr,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadbinding.payload_binding import (  # noqa: E501
        PayloadBindingValue,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadtmpl.payload_tmpl import (  # noqa: E501
        PayloadTmpl,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_lit import (  # noqa: E501
        PayloadValueLit,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    def literal(component: Any) -> tuple[Any] | None:
        """(its value) when `component` is made of literals alone, else None; worked out
        once per component (the parsed definition is kept with its state machine)."""
        try:
            return getattr(component, FOLDED)  # type: ignore[no-any-return]
        except AttributeError:
            pass
        folded: tuple[Any] | None = None
        if isinstance(component, PayloadValueLit):
            folded = (component.val,)
        elif isinstance(component, PayloadArr):
            items = [literal(item) for item in component.payload_values]
            if all(item is not None for item in items):
                folded = ([item[0] for item in items if item is not None],)
        elif isinstance(component, PayloadTmpl):
            fields = {}
            for binding in component.payload_bindings:
                value = (
                    literal(binding.payload_value) if type(binding) is PayloadBindingValue else None
                )
                if value is None:
                    break
                fields[binding.field] = value[0]
            else:
                folded = (fields,)
        setattr(component, FOLDED, folded)
        return folded

    # Set while this thread evaluates a Lambda task's parameters: values only read.
    reading = threading.local()

    def evaluating(original: Any) -> Any:
        def eval_body(component: Any, env: Any) -> None:
            folded = literal(component)
            if folded is None:
                original(component, env)
            elif getattr(reading, "only", False):
                env.stack.append(folded[0])
            else:
                env.stack.append(json_copy(folded[0]))

        return eval_body

    def parameters_read_only(original: Any) -> Any:
        def eval_parameters(task: Any, env: Any) -> Any:
            reading.only = True
            try:
                return original(task, env)
            finally:
                reading.only = False

        return eval_parameters

    replace(PayloadTmpl, "_eval_body", evaluating(PayloadTmpl._eval_body))
    replace(PayloadArr, "_eval_body", evaluating(PayloadArr._eval_body))
    replace(
        StateTaskLambda, "_eval_parameters", parameters_read_only(StateTaskLambda._eval_parameters)
    )


def _write_each_lambda_input_once() -> None:
    """A Lambda task's input is written to JSON for its history (the LambdaFunctionScheduled
    event), then again as the invocation's payload: the payload reuses what was written, when
    it is that same object (a dict or list, which nothing changes in between)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        lambda_eval_utils,
        state_task_lambda,
    )
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    to_payload_type: Callable[[Any], bytes | None] = lambda_eval_utils.to_payload_type
    written = threading.local()  # (value, its JSON): the last this thread's task wrote

    def write(value: Any, separators: tuple[str, str] | None = None) -> str:
        text = to_json_str(value, separators)
        written.last = (value, text) if separators is None else None
        return text

    def payload(value: Any) -> bytes | None:
        last = getattr(written, "last", None)
        written.last = None
        if last is not None and last[0] is value and isinstance(value, dict | list):
            return str(last[1]).encode("utf-8")
        return to_payload_type(value)

    replace(state_task_lambda, "to_json_str", write)
    replace(lambda_eval_utils, "to_payload_type", payload)


class _Unkept(list):  # type: ignore[type-arg]
    """moto's list of the threads it starts, keeping none of them (nothing reads it)."""

    def append(self, thread: Any) -> None:
        pass


class FrozenHistory:
    """An ended execution's history of events (from moto's event manager), held as one
    compressed pickle: a 20-node execution's 28 KB of events in 4 KB, a few objects instead
    of several per event. Each read gets its own copy, as moto's reads do. The manager's
    list is pickled as it is, not copied first (moto's own read deep-copies it: 0.4 ms)."""

    def __init__(self, manager: Any) -> None:
        with manager._mutex:
            events = pickle.dumps(manager._history_event_list, protocol=pickle.HIGHEST_PROTOCOL)
        self._frozen = zlib.compress(events, 1)  # 0.15 ms for 28 KB; 6x smaller

    def get_event_history(self) -> list[Any]:
        events: list[Any] = pickle.loads(zlib.decompress(self._frozen))
        return events


class EndedEnvironment:
    """What remains of an execution's evaluation environment once it has ended: its history,
    how it ended, and the registries moto still asks of ended executions (task tokens, map
    runs). A stop changes nothing, as moto's stop of an ended execution does."""

    def __init__(self, env: Any) -> None:
        try:
            self.event_manager: Any = FrozenHistory(env.event_manager)
        except (pickle.PicklingError, TypeError, AttributeError):  # kept as moto holds it
            self.event_manager = env.event_manager
        self.callback_pool_manager = env.callback_pool_manager
        self.map_run_record_pool_manager = env.map_run_record_pool_manager
        self._program_state = env.program_state()

    def program_state(self) -> Any:
        return self._program_state

    def set_stop(self, stop_date: Any, cause: str | None, error: str | None) -> None:
        pass


def _keep_what_an_ended_execution_needs() -> None:
    from moto.stepfunctions.parser.backend import execution

    for name in THREAD_KEEPING_MODULES:
        replace(importlib.import_module(name), "TMP_THREADS", _Unkept())

    communication = execution.BaseExecutionWorkerCommunication
    reflect: Callable[[Any], None] = communication._reflect_execution_status

    def ended(self: Any) -> None:
        with _ENDED:  # a waiter sees the status once the environment is let go of
            reflect(self)  # status, output, error and cause, read from the environment
            worker = self.execution.exec_worker
            worker.env = EndedEnvironment(worker.env)
            _ENDED.notify_all()

    replace(communication, "_reflect_execution_status", ended)


class ExecutionList(list):  # type: ignore[type-arg]
    """A state machine's executions in the order they started (moto's list), with the first
    of each name and each ARN at hand: a start looks its name up, a request about an
    execution its ARN, instead of reading the whole list."""

    def __init__(self, executions: Any = ()) -> None:
        super().__init__()
        self.by_name: dict[str, Any] = {}
        self.by_arn: dict[str, Any] = {}
        for execution in executions:
            self.append(execution)

    def append(self, execution: Any) -> None:
        super().append(execution)
        self.by_name.setdefault(execution.name, execution)
        self.by_arn.setdefault(execution.execution_arn, execution)


def indexed_execution(machine: Any, execution_arn: str) -> Any:
    """The execution of `machine` at `execution_arn` (moto's first of that ARN), or None."""
    executions = machine.executions
    if isinstance(executions, ExecutionList):
        return executions.by_arn.get(execution_arn)
    return next((x for x in executions if x.execution_arn == execution_arn), None)


def _index_executions() -> None:
    from moto.stepfunctions import models
    from moto.stepfunctions.exceptions import ExecutionDoesNotExist

    instance_init: Callable[..., None] = models.StateMachineInstance.__init__
    same_name: Callable[..., Any] = models.StateMachine._handle_name_input_idempotency

    def init(machine: Any, *args: Any, **kwargs: Any) -> None:
        instance_init(machine, *args, **kwargs)
        machine.executions = ExecutionList(machine.executions)

    def with_same_name(machine: Any, name: str, execution_input: str) -> Any:
        if is_express(machine):  # AWS starts another execution (local.interpreter)
            return None
        executions = machine.executions
        if not isinstance(executions, ExecutionList):
            return same_name(machine, name, execution_input)
        # moto's rule (the first execution of that name decides), given only that one
        found = executions.by_name.get(name)
        only = types.SimpleNamespace(executions=[] if found is None else [found])
        return same_name(only, name, execution_input)

    def describe_execution(self: Any, execution_arn: str) -> Any:
        # moto's checks and answer (GetExecutionHistory asks this too), the list not read;
        # named as moto names them, since behave_as_on_aws wraps this as moto's own
        self._validate_execution_arn(execution_arn)
        machine = self._get_state_machine_for_execution(execution_arn)
        execution = indexed_execution(machine, execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return execution

    replace(models.StateMachineInstance, "__init__", init)
    replace(models.StateMachine, "_handle_name_input_idempotency", with_same_name)
    replace(models.StepFunctionBackend, "describe_execution", describe_execution)


# How long a kept thread waits for another task before it ends.
KEPT_THREAD_IDLE_S = 30.0


class KeptThreads:
    """Threads kept to run task states and programs: each goes to an idle one, or to a new
    one when none is idle; a thread with nothing to do for KEPT_THREAD_IDLE_S ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []

    def idle(self) -> int:
        """How many kept threads wait for a task."""
        with self._lock:
            return len(self._idle)

    def run(self, task: Callable[[], None]) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            thread = threading.Thread(target=self._work, args=(inbox,), daemon=True)
            thread.start()
        inbox.put(task)

    def _work(self, inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            try:
                task = inbox.get(timeout=KEPT_THREAD_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # else a task was just handed to it: take it
                        self._idle.remove(inbox)
                        return
                continue
            try:
                task()
            except BaseException:  # noqa: BLE001 - as a thread's would: printed, the thread kept
                threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), None)))
            with self._lock:
                self._idle.append(inbox)


_KEPT_THREADS = KeptThreads()


class KeptThread:
    """What moto's interpreter starts as a thread (a program, a task state): its target,
    run on a kept thread, and joined as a thread is."""

    def __init__(
        self, target: Callable[..., None], args: tuple[Any, ...] = (), daemon: bool = True
    ) -> None:
        self._target = target
        self._args = args
        self._ended = threading.Event()

    def start(self) -> None:
        _KEPT_THREADS.run(self._run)

    def join(self, timeout: float | None = None) -> None:
        self._ended.wait(timeout)

    def is_alive(self) -> bool:
        return not self._ended.is_set()

    def _run(self) -> None:
        try:
            self._target(*self._args)
        finally:
            self._ended.set()


def _run_tasks_on_kept_threads() -> None:
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    replace(execute_state, "Thread", KeptThread)
    replace(program, "threading", types.SimpleNamespace(Thread=KeptThread))
