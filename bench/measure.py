"""Measuring one corpus case: compile time, transitions and Lambda use, both engines' time.

A failure at any step (a CompileError, a failed execution) is noted in the case's row and
the other steps still run, so that one workflow cannot stop the report.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bench import slow_server
from bench.corpus import SECRET_NAME, SECRET_VALUE, Case
from bench.pricing import Usage
from lambdas.runtime.record import ExecutionRecord
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.asl import definition_json
from statemachine.catalog import Catalog
from statemachine.compiler import TaskFunctions, compile_machines, compile_workflow
from statemachine.errors import CompileError
from statemachine.model import Workflow
from statemachine.parts import START_PART_RESOURCE
from statemachine.planner import plan_workflow
from statemachine.validation import validate_workflow

RUNS = 3  # timed runs of a small case on each engine (a large case runs once)
# Up to this many units, the one-task-per-node compilation runs; beyond, its path is counted.
PER_NODE_RUN_UNITS = 300
COMPILE_ROUNDS = 5
LARGE_COMPILE_ROUNDS = 3
MESSAGE_CHARS = 110
# Retry back-off sleeps this fraction of its interval (the corpus has no Wait states).
TIME_SCALE = 0.01
LAMBDA_ENDS = frozenset(
    {"LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
)

T = TypeVar("T")


class Basis(StrEnum):
    """How a one-task-per-node transition count was found."""

    RUN = "run"  # the history of a real execution
    PATH = "path"  # the states on the definition's success path (too many units to run)
    ESTIMATE = "estimate"  # the definition cannot be compiled: fixed states + one per node


@dataclass
class Row:
    """Every figure of one case; None where a step failed (see `problems`)."""

    name: str
    nodes: int
    units: int | None = None
    per_node_units: int | None = None
    compile_s: float | None = None
    compile_failed: bool = False
    definition_bytes: int | None = None  # of every machine, the parts' included
    parts: int = 0  # the machines a workflow too large for one starts
    usage: Usage | None = None
    per_node_transitions: int | None = None
    per_node_basis: Basis = Basis.RUN
    embedded_s: float | None = None
    inprocess_s: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def transitions(self) -> int | None:
        return None if self.usage is None else self.usage.transitions

    @property
    def slack(self) -> int | None:
        """Transitions beyond one per unit: the fixed states of every execution."""
        if self.usage is None or self.units is None:
            return None
        return self.usage.transitions - self.units


@dataclass(frozen=True)
class Engines:
    """The engines every case runs on, with the corpus secret set on each."""

    grouped: EmbeddedEngine
    per_node: EmbeddedEngine
    sequential: EmbeddedEngine  # grouped, one unit a state (none side by side)
    inprocess: InProcessEngine

    @classmethod
    def create(cls, cloud: LocalCloud) -> Engines:
        cloud.time_scale = TIME_SCALE
        secrets = {SECRET_NAME: SECRET_VALUE}
        reach = (slow_server.HOST,)  # the fetch workflows call the report's slow server
        return cls(
            grouped=EmbeddedEngine(cloud=cloud, secrets=secrets, allow_networks=reach),
            per_node=EmbeddedEngine(
                cloud=cloud, secrets=secrets, allow_networks=reach, max_group_size=1
            ),
            sequential=EmbeddedEngine(
                cloud=cloud, secrets=secrets, allow_networks=reach, parallel=False
            ),
            inprocess=InProcessEngine(secrets=secrets, allow_networks=reach),
        )


class RunFailed(Exception):
    """An execution of a corpus case did not complete as expected."""


def measure(case: Case, engines: Engines, fixed_states: int | None) -> Row:
    """Every figure of `case`. `fixed_states` (the states an execution enters besides one per
    unit) estimates a one-task-per-node count when this case's own execution cannot tell."""
    row = Row(case.name, len(case.workflow["nodes"]))
    catalog = engines.grouped.registry.catalog
    valid = _attempt(row, "validate", lambda: validate_workflow(case.workflow, catalog))
    if valid is None:
        return row
    row.units = len(plan_workflow(valid, catalog).units)
    row.per_node_units = len(plan_workflow(valid, catalog, max_group_size=1).units)
    _measure_compile(row, case, valid, catalog, engines.grouped.deployment.functions)
    rounds = 1 if case.large else RUNS
    if row.compile_failed:
        row.problems.append("embedded: not run, as it does not compile")
    else:
        measured = _attempt(
            row, "embedded", lambda: run_embedded(engines.grouped, case, valid, rounds)
        )
        if measured is not None:
            row.usage, row.embedded_s = measured
    _count_per_node(row, case, valid, engines.per_node, fixed_states)
    row.inprocess_s = _attempt(
        row, "in-process", lambda: run_inprocess(engines.inprocess, case, rounds)
    )
    return row


def _measure_compile(
    row: Row, case: Case, valid: Workflow, catalog: Catalog, functions: TaskFunctions
) -> None:
    """Best-of time of planning and compiling (also when it ends in CompileError)."""
    rounds = LARGE_COMPILE_ROUNDS if case.large else COMPILE_ROUNDS
    best, failure = math.inf, None
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            compiled = compile_machines(valid, catalog, functions, part_arn=_placeholder_arn)
        except CompileError as error:
            failure = shortened(error)
        else:
            machines = [compiled.definition, *compiled.parts]
            row.definition_bytes = sum(len(definition_json(m).encode("utf-8")) for m in machines)
            row.parts = len(compiled.parts)
        best = min(best, time.perf_counter() - start)
    row.compile_s = best
    if failure is not None:
        row.compile_failed = True
        row.problems.append(f"compile: {failure}")


def run_embedded(
    engine: EmbeddedEngine, case: Case, valid: Workflow, rounds: int
) -> tuple[Usage, float]:
    """The best wall time of `rounds` runs, and the usage of that run (from its history)."""
    machine_arn = engine.deploy(valid)  # created before timing, as a deployed stack has it
    best, best_id = math.inf, ""
    for _ in range(rounds):
        start = time.perf_counter()
        record = engine.run(case.workflow, inputs=case.inputs)
        elapsed = time.perf_counter() - start
        _require_success(record, case)
        if elapsed < best:
            best, best_id = elapsed, record.id
    arns = [machine_arn, *part_arns(engine, machine_arn)]
    histories = [history(engine, execution_arn(arn, best_id)) for arn in arns]
    usages = [usage_of(events) for events in histories]
    return combined(usages), best


def part_arns(engine: EmbeddedEngine, machine_arn: str) -> list[str]:
    """The part machines a workflow too large for one machine starts, in order."""
    described = engine.cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=machine_arn
    )
    states = json.loads(described["definition"])["States"].values()
    return [
        state["Parameters"]["StateMachineArn"]
        for state in states
        if state.get("Resource") == START_PART_RESOURCE
    ]


def combined(usages: list[Usage]) -> Usage:
    """One execution's usage, its parts' included (they run within its duration)."""
    return Usage(
        transitions=sum(u.transitions for u in usages),
        invocations=sum(u.invocations for u in usages),
        lambda_ms=tuple(ms for u in usages for ms in u.lambda_ms),
        duration_ms=usages[0].duration_ms,
    )


def execution_arn(machine_arn: str, execution_id: str) -> str:
    """The ARN of the execution `execution_id` of a state machine or of one of its versions
    (`...:stateMachine:name:3`): an execution's ARN names the machine, never the version."""
    machine = ":".join(machine_arn.split(":")[:7])
    return f"{machine.replace(':stateMachine:', ':execution:', 1)}:{execution_id}"


def run_inprocess(engine: InProcessEngine, case: Case, rounds: int) -> float:
    """The best wall time of `rounds` runs on the in-process engine."""
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        record = engine.run(case.workflow, inputs=case.inputs)
        best = min(best, time.perf_counter() - start)
        _require_success(record, case)
    return best


def _count_per_node(
    row: Row, case: Case, valid: Workflow, engine: EmbeddedEngine, fixed_states: int | None
) -> None:
    catalog = engine.registry.catalog
    try:
        definition = compile_workflow(valid, catalog, engine.deployment.functions, max_group_size=1)
    except CompileError as error:
        # The fixed states of an execution: units sharing a task make this case's own
        # transitions - units smaller than that.
        fixed = fixed_states if fixed_states is not None else row.slack
        if fixed is not None and row.per_node_units is not None:
            row.per_node_transitions = row.per_node_units + fixed
            row.per_node_basis = Basis.ESTIMATE
        row.problems.append(f"one task per node: {shortened(error)}")
        return
    if (row.per_node_units or 0) > PER_NODE_RUN_UNITS:
        row.per_node_transitions = states_on_success_path(definition)
        row.per_node_basis = Basis.PATH
        return
    counted = _attempt(row, "one task per node", lambda: run_embedded(engine, case, valid, 1))
    if counted is not None:
        row.per_node_transitions = counted[0].transitions


def history(engine: EmbeddedEngine, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution's history, in order."""
    client = engine.cloud.client("stepfunctions")
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def usage_of(events: list[dict[str, Any]]) -> Usage:
    """Transitions (`*StateEntered`), Lambda invocations (`LambdaFunctionScheduled`) and how
    long each invocation and the whole execution took, from an execution's history."""
    by_id = {event["id"]: event for event in events}
    lambda_ms = tuple(
        _ms_between(by_id[event["previousEventId"]]["timestamp"], event["timestamp"])
        for event in events
        if event["type"] in LAMBDA_ENDS
    )
    return Usage(
        transitions=sum(event["type"].endswith("StateEntered") for event in events),
        invocations=sum(event["type"] == "LambdaFunctionScheduled" for event in events),
        lambda_ms=lambda_ms,
        duration_ms=_ms_between(events[0]["timestamp"], events[-1]["timestamp"]),
    )


def states_on_success_path(definition: dict[str, Any]) -> int:
    """The states an execution that succeeds enters, walked from `StartAt`.

    A Choice follows its first rule: the compiler puts the way on (credits available,
    status completed) first.
    """
    states = definition["States"]
    name: str | None = definition["StartAt"]
    entered = 0
    while name is not None and entered <= len(states):
        state = states[name]
        entered += 1
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    return entered


def shortened(error: BaseException | str) -> str:
    """An error's first line, cut to fit a table cell."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def _require_success(record: ExecutionRecord, case: Case) -> None:
    if record.status != "completed":
        raise RunFailed(f"execution {record.status}: {record.error}")
    problem = case.check(record) if case.check else None
    if problem:
        raise RunFailed(problem)


def _placeholder_arn(number: int) -> str:
    return f"arn:aws:states:us-east-1:123456789012:stateMachine:bench-part-{number}"


def _attempt(row: Row, step: str, action: Callable[[], T]) -> T | None:
    """`action`'s result, or None with the failure noted in the row."""
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - any failure belongs in its row; the report goes on
        message = str(error) if isinstance(error, RunFailed) else error
        row.problems.append(f"{step}: {shortened(message)}")
        return None


def _ms_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * 1000
