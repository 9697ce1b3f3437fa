"""serve's executions in processes of their own, as Step Functions runs them beside the API.

In one process, every part of an execution runs under one interpreter lock: the HTTP API, the
Step Functions interpreter, the task functions and the services they call, fifty executions'
threads taking turns with the requests. On a machine of more than one core, serve runs its
executions in worker processes instead, each its own Step Functions (moto's interpreter) with
the task functions as its Lambdas, while the data stays in serve's process: every request a
worker makes of another service (the tables, the bucket, the key, SES, the WebSocket
connections) is made by serve's cloud, so what the HTTP API reads is where it always was.

- serve's Step Functions requests go where they belong (`ExecutionWorkers._route`): a start to
  the next worker in turn, a request about an execution (describe, stop, history) to the
  worker running it, a task token's answer to the worker whose execution waits for it.
  A request that changes a state machine is made in serve's cloud and then in every worker
  (`MachineLog`), so each has the same machines and versions; a worker started
  later makes them all first, in order.
- A worker's requests of other services travel over a pipe to serve, which makes them with
  its own client of that service and sends back the parsed answer, an error response too
  (the worker's botocore raises it as the same exception class). A worker's client never
  sends a request anywhere itself (`_never_send`).
- A worker that ends while serve runs (killed, out of memory) is passed over from then on, and
  serve is told which executions it started there (`on_end`: serve ends their records,
  `local.interrupted`). With every worker ended, serve runs executions itself, as with none.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from local.direct import UnsentRequests

if TYPE_CHECKING:
    from local.cloud import LocalCloud

LOGGER = logging.getLogger("stepthunk.serve")
# Pipes each way between serve and each worker: as many requests at once.
PIPES = 16
# How long serve waits for a worker to be ready (it imports the handlers and moto).
READY_TIMEOUT_S = 120.0
# Step Functions requests that change state machines: made in serve's cloud, then in every worker.
CHANGES_MACHINES = frozenset({"CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine"})
# ... about one execution: answered by the worker running it.
ABOUT_EXECUTION = frozenset({"DescribeExecution", "StopExecution", "GetExecutionHistory"})
# ... answering a task token: answered by the worker whose execution waits for it.
ANSWERS_TOKEN = frozenset({"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"})
# The errors of a worker that does not run the execution or hold the token asked about.
NOT_HERE = frozenset({"ExecutionDoesNotExist", "TaskDoesNotExist", "InvalidToken"})
_PARAMS = "stepthunk.workers.params"
# A worker's question whether any WebSocket client listens (live updates cost nothing without).
LISTENING = ("listening",)

Request = tuple[str, str | None, str, dict[str, Any]]  # service, endpoint URL, operation, params
Response = tuple[int, dict[str, Any]]  # HTTP status, parsed answer


class WorkerError(Exception):
    """A worker could not start (serve says so and does not start), or has ended."""


class MachineLog:
    """Every Step Functions request of a client that changed a state machine, in order, kept
    from the moment it is installed (before the engine deploys anything), and passed on to
    whoever follows it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._followers: list[Callable[[str, dict[str, Any]], None]] = []

    def install(self, client: Any) -> None:
        """Record the requests of `client` (the cloud's Step Functions client) from now on."""
        _keep_params_of(client)
        client.meta.events.register_last("after-call.sfn", self._record)

    def uninstall(self, client: Any) -> None:
        """Record no more of `client`'s requests."""
        client.meta.events.unregister("after-call.sfn", self._record)

    def follow(self, follower: Callable[[str, dict[str, Any]], None]) -> list[Any]:
        """The requests so far; `follower` is given each one from now on."""
        with self._lock:
            self._followers.append(follower)
            return list(self.requests)

    def _record(self, http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        params = context.get(_PARAMS)
        if model.name not in CHANGES_MACHINES or params is None:
            return
        if http_response.status_code >= 300:
            return
        with self._lock:
            self.requests.append((model.name, params))
            followers = list(self._followers)
        for follower in followers:
            follower(model.name, params)


@contextmanager
def recorded_machines(cloud: LocalCloud) -> Iterator[MachineLog]:
    """While inside, the changes to `cloud`'s state machines, recorded (enter before the
    engine deploys anything)."""
    client = cloud.client("stepfunctions")
    log = MachineLog()
    log.install(client)
    try:
        yield log
    finally:
        log.uninstall(client)


class _Worker:
    """One worker process and serve's ends of its pipes."""

    def __init__(self, process: Any, requests: list[Connection]) -> None:
        self.process = process
        self.ended = False
        self._requests: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        for pipe in requests:
            self._requests.put(pipe)

    def running(self) -> bool:
        """Whether the worker still runs (it has not ended, killed or out of memory)."""
        if self.ended or not self.process.is_alive():
            self.ended = True
        return not self.ended

    def ask(self, request: Request, time_scale: float = 1.0) -> Response:
        """The worker's answer to a Step Functions request of serve's (its executions' waits
        run at `time_scale`, as serve's cloud's)."""
        pipe = self._requests.get()
        try:
            pipe.send((request, time_scale))
            kind, answer = pipe.recv()
        except (EOFError, OSError):
            self.ended = True
            raise WorkerError(
                f"The execution worker (process {self.process.pid}) has ended; its "
                "executions with it"
            ) from None
        finally:
            self._requests.put(pipe)
        if kind == "raise":
            raise answer
        return answer  # type: ignore[no-any-return]


class ExecutionWorkers:
    """`processes` worker processes running the executions of the deployment of `settings`
    (as the engine made them) in `cloud`, each with the deployment's machines `log` recorded.
    Ready when made (each worker has made every machine); `close` stops them. Requests about
    other deployments' machines and executions are `cloud`'s own, as before."""

    def __init__(
        self,
        cloud: LocalCloud,
        settings: Mapping[str, Any],
        processes: int,
        log: MachineLog,
        on_end: Callable[[int, list[str], int], None] | None = None,
    ) -> None:
        self._cloud = cloud
        self._on_end = on_end
        self._closing = False
        self._prefix = f"{settings['state_machine_prefix']}-"
        self._turn = 0
        self._owners: dict[str, _Worker] = {}
        self._owners_lock = threading.Lock()
        context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        machines = [r for r in log.follow(self._change_machines) if self._ours(r[1])]
        readies = []
        for _ in range(processes):  # started side by side: each takes seconds to import
            asks = [context.Pipe() for _ in range(PIPES)]
            answers = [context.Pipe() for _ in range(PIPES)]
            ready_own, ready_child = context.Pipe()
            process = context.Process(
                target=work,
                args=(
                    dict(settings),
                    machines,
                    [child for _, child in asks],
                    [child for _, child in answers],
                    ready_child,
                ),
                daemon=True,
                name="stepthunk-execution-worker",
            )
            process.start()
            for _, child in [*asks, *answers, (None, ready_child)]:
                child.close()  # the worker's ends live in the worker
            for own, _ in answers:
                threading.Thread(target=self._answer, args=(own,), daemon=True).start()
            self._workers.append(_Worker(process, [own for own, _ in asks]))
            readies.append(ready_own)
        try:
            for ready in readies:
                _wait_until_ready(ready)
        except WorkerError:
            self._stop()
            raise
        machines_client = cloud.client("stepfunctions")
        _keep_params_of(machines_client)
        self._events = machines_client.meta.events
        self._events.register_first("before-call.sfn", self._route)
        threading.Thread(target=self._watch, name="execution workers", daemon=True).start()

    def _ours(self, params: Mapping[str, Any]) -> bool:
        """Whether a request's parameters name a machine or an execution of the deployment."""
        if "stateMachineArn" in params:  # a start, or a change of a machine
            return f":stateMachine:{self._prefix}" in str(params["stateMachineArn"])
        if "executionArn" in params:
            return f":execution:{self._prefix}" in str(params["executionArn"])
        return str(params.get("name", "")).startswith(self._prefix)  # a machine's creation

    def _answer(self, pipe: Connection) -> None:
        """Make the requests a worker sends over `pipe`, until it ends; each waits while an
        API request is being answered (at most local.requests_first.MAX_WAIT_S), as a task
        does in one process: a start's time to 202 is the API's to keep short."""
        while True:
            try:
                request = pipe.recv()
            except (EOFError, OSError):
                return
            if request == LISTENING:
                pipe.send(("response", self._cloud.listened()))
            else:
                self._cloud.requests.yield_to_requests()
                pipe.send(_answered(self._cloud, request))

    def _watch(self) -> None:
        """When a worker ends while serve runs (killed, out of memory), tell `on_end` its
        process id, the executions it ran (their ids: nothing runs them any more) and how
        many workers are left."""
        running = {worker.process.sentinel: worker for worker in self._workers}
        while running:
            for sentinel in wait(list(running)):
                worker = running.pop(sentinel)
                if self._closing:
                    return
                worker.ended = True
                with self._owners_lock:
                    ran = [arn for arn, owner in self._owners.items() if owner is worker]
                    for arn in ran:
                        del self._owners[arn]
                if self._on_end is not None:
                    ids = [arn.rsplit(":", 1)[1] for arn in ran]
                    self._on_end(worker.process.pid, ids, len(running))

    def _change_machines(self, operation: str, params: dict[str, Any]) -> None:
        if not self._ours(params):
            return
        request = ("stepfunctions", None, operation, params)
        for worker in self._workers:
            if not worker.running():
                continue
            try:
                status, parsed = worker.ask(request, self._cloud.time_scale)
            except WorkerError:
                continue
            if status >= 300:
                LOGGER.error(
                    "An execution worker refused %s that serve's cloud made: %s",
                    operation,
                    parsed.get("Error"),
                )

    def _route(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        """Send a Step Functions request of serve's to the worker it concerns; None (made
        here) for a request about a machine, about another deployment, or that no running
        worker knows."""
        from botocore.awsrequest import AWSResponse, HTTPHeaders

        operation = model.name
        params = context.get(_PARAMS)
        if params is None:
            return None
        request = ("stepfunctions", None, operation, params)
        answer: Response | None = None
        if operation == "StartExecution" and self._ours(params):
            answer = self._start(request)
        elif operation in ABOUT_EXECUTION and self._ours(params):
            with self._owners_lock:
                owner = self._owners.get(params["executionArn"])
            answer = self._first_answer(request, self._workers if owner is None else [owner])
        elif operation in ANSWERS_TOKEN:
            answer = self._first_answer(request, self._workers)
        if answer is None:
            return None
        status, parsed = answer
        return AWSResponse("", status, HTTPHeaders(), None), parsed

    def _start(self, request: Request) -> Response | None:
        """Start an execution in the next worker that runs (one that has ended is passed);
        None once every worker has ended: serve runs it itself, as with no workers."""
        for _ in self._workers:
            worker = self._next()
            if not worker.running():
                continue
            try:
                answer = worker.ask(request, self._cloud.time_scale)
            except WorkerError:
                continue
            if answer[0] < 300:
                with self._owners_lock:
                    self._owners[answer[1]["executionArn"]] = worker
            return answer
        return None

    def _next(self) -> _Worker:
        """The worker to start the next execution: each in turn, but one that has ended."""
        with self._owners_lock:
            for _ in self._workers:
                self._turn = (self._turn + 1) % len(self._workers)
                if self._workers[self._turn].running():
                    break
            return self._workers[self._turn]

    def _first_answer(self, request: Request, workers: list[_Worker]) -> Response | None:
        """The answer of the first of `workers` still running that knows what `request` is
        about; None when none does: serve's cloud answers (an execution it ran itself once
        every worker ended, another deployment's token, or the service's own error)."""
        for worker in workers:
            if not worker.running():
                continue
            try:
                answer = worker.ask(request, self._cloud.time_scale)
            except WorkerError:  # its executions ended with it, its tokens too
                continue
            if not _not_here(answer):
                return answer
        return None

    def __enter__(self) -> ExecutionWorkers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (their executions end with them, as in serve's own process)."""
        self._closing = True
        self._events.unregister("before-call.sfn", self._route)
        self._stop()

    def _stop(self) -> None:
        for worker in self._workers:
            worker.process.terminate()
        for worker in self._workers:
            worker.process.join(5)


def _wait_until_ready(ready: Connection) -> None:
    try:
        if not ready.poll(READY_TIMEOUT_S):
            raise WorkerError(f"An execution worker was not ready in {READY_TIMEOUT_S:.0f} s")
        kind, problem = ready.recv()
    except (EOFError, OSError):
        raise WorkerError("An execution worker ended as it started") from None
    if kind != "ready":
        raise WorkerError(f"An execution worker could not start: {problem}")


def _answered(cloud: LocalCloud, request: Request) -> tuple[str, Any]:
    """`request` made by `cloud`, as sent back over a pipe: ("response", (status, parsed)),
    or ("raise", the exception) for a failure that is not an error response."""
    try:
        status, parsed = cloud.answer_request(*request)
    except Exception as error:  # noqa: BLE001 - raised again where the request was made
        return "raise", _portable(error)
    body = parsed.get("Body")
    if body is not None and hasattr(body, "read"):  # S3's object stream
        parsed = {**parsed, "Body": body.read()}
    return "response", (status, parsed)


def _portable(error: Exception) -> Exception:
    """`error` if it can be sent over a pipe, else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - whatever pickling fails with
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = params


def _keep_params_of(client: Any) -> None:
    """Keep the parameters of each request of `client` (a Step Functions client) for the
    handlers after them (once, however often asked)."""
    client.meta.events.register_last(
        "before-parameter-build.sfn", _keep_params, unique_id="stepthunk.workers.keep-params"
    )


def _not_here(answer: Response) -> bool:
    """Whether `answer` is a worker's that does not run the execution or hold the token."""
    status, parsed = answer
    return status >= 300 and parsed.get("Error", {}).get("Code") in NOT_HERE


# --- the worker process -------------------------------------------------------------------

# The pipes a worker sends its requests of other services over, each used by one at a time.
_TO_SERVE: queue.SimpleQueue[Connection] = queue.SimpleQueue()


def work(
    settings: dict[str, Any],
    machines: list[tuple[str, dict[str, Any]]],
    asks: list[Connection],
    answers: list[Connection],
    ready: Connection,
) -> None:
    """A worker process: its own cloud running the deployment's executions, with the machines
    serve's cloud has; Step Functions requests come in over `asks`, requests of other
    services go out over `answers`."""
    # Ctrl+C reaches every process of the terminal's group: serve stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cloud = _worker_cloud(settings, answers)
        for operation, params in machines:
            status, parsed = cloud.answer_request("stepfunctions", None, operation, params)
            if status >= 300:
                raise WorkerError(f"{operation}: {parsed.get('Error')}")
    except Exception as error:  # noqa: BLE001 - told to serve, which says it
        ready.send(("failed", f"{type(error).__name__}: {error}"))
        return
    ready.send(("ready", None))
    threads = [
        threading.Thread(target=_serve_requests, args=(cloud, pipe), daemon=True) for pipe in asks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _worker_cloud(settings: dict[str, Any], answers: list[Connection]) -> LocalCloud:
    """A worker's cloud: Step Functions and the deployment's task functions of its own, every
    other service serve's."""
    from lambdas.handlers import wiring
    from lambdas.handlers.settings import BlobBucket
    from lambdas.handlers.tasks import TASKS
    from lambdas.nodes import default_registry
    from lambdas.runtime.stored import StoredWorkflows
    from local.cloud import LocalCloud
    from local.embedded import task_calls

    for pipe in answers:
        _TO_SERVE.put(pipe)
    cloud = LocalCloud.shared()
    cloud.remote = _forwarding_client
    clients = wiring.Clients(factory=cloud.client, listening=_listening)
    stored = StoredWorkflows(wiring.values(BlobBucket.model_validate(settings), clients))
    calls = task_calls(settings, clients, default_registry(), stored, cloud)
    prefix = settings["state_machine_prefix"]
    for task in TASKS:
        cloud.add_function(f"{prefix}-{task.replace('_', '-')}", calls[task])
    return cloud


def _serve_requests(cloud: LocalCloud, pipe: Connection) -> None:
    """Answer serve's requests over `pipe` (the executions' states yield to each, as they
    yield to serve's API requests in a single process: local.requests_first)."""
    while True:
        try:
            request, cloud.time_scale = pipe.recv()
        except (EOFError, OSError):
            return  # serve has ended
        with cloud.requests.answering():
            answer = _answered(cloud, request)
        pipe.send(answer)


def _ask(message: Any) -> Any:
    pipe = _TO_SERVE.get()
    try:
        pipe.send(message)
        return pipe.recv()
    finally:
        _TO_SERVE.put(pipe)


def _listening() -> bool:
    _, answer = _ask(LISTENING)
    return bool(answer)


def _forwarding_client(service: str, endpoint_url: str | None = None) -> Any:
    """A boto3 client of `service` whose requests serve's cloud makes."""
    import boto3

    session = boto3.session.Session()
    session.events.register("creating-client-class", _forwarding_class)
    client = session.client(  # type: ignore[call-overload]
        service, region_name=_REGION, endpoint_url=endpoint_url or _NOWHERE
    )
    name = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    events.register_last(f"before-parameter-build.{name}", _keep_params)
    events.register_first(f"before-call.{name}", _forward(service, endpoint_url))
    events.register_first(f"before-send.{name}", _never_send)
    return client


_REGION = "us-east-1"
# Where a worker's client would send, were a request not answered first: nowhere.
_NOWHERE = "http://127.0.0.1:9"


def _forward(service: str, endpoint: str | None) -> Callable[..., Any]:
    def forward(model: Any, context: dict[str, Any], **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse, HTTPHeaders
        from botocore.response import StreamingBody

        params = context.get(_PARAMS, {})
        kind, answer = _ask((service, endpoint, model.name, params))
        if kind == "raise":
            raise answer
        status, parsed = answer
        body = parsed.get("Body")
        if isinstance(body, bytes):
            parsed = {**parsed, "Body": StreamingBody(io.BytesIO(body), len(body))}
        return AWSResponse(endpoint or _NOWHERE, status, HTTPHeaders(), None), parsed

    return forward


def _forwarding_class(base_classes: list[type], **_: Any) -> None:
    base_classes.insert(0, _Forwarding)


class _Forwarding(UnsentRequests):
    """A worker's client of another service: every request is unsent (serve makes it)."""

    def _unsent(self, context: Any) -> bool:
        return True


def _never_send(**_: Any) -> None:
    raise RuntimeError("An execution worker's client sends no request: serve makes each")
