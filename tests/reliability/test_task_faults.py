"""Lambda task faults at every task position: retried to the fault-free record, or finalized.

For each example workflow in workflows/, and two of ours (a fetch reading a secret from a
127.0.0.1 server, so that Initialize workflow preloads secrets and a `Run node` exists; a
`wait` node, so that a Wait state follows a task), every Lambda task on the compiled state
machine's path (Check credits, Initialize workflow, each Run..., Finalize) gets faults:

- transient: the task raises TransientError twice, then runs;
- throttle: the Lambda service refuses the invocation twice (TooManyRequestsException, HTTP
  429, raised by the Lambda client Step Functions invokes with), then lets it through. Step
  Functions names such a failure `Lambda.TooManyRequestsException`, which its Retry rules
  match (moto's interpreter called it `Exception`; local/cloud.py names it as AWS does);
- lost: the task does its work, then fails once (its response lost): nodes run again;
- crash: an inline group of two or more nodes dies at its middle member, once, after the
  members before it ran;
- outlast: TransientError at every attempt, more than the retries allow.

A recovered run must end with the fault-free run's record (ids and times aside), one final
write of the record, one charge (the record's usage) and one final live update. An outlasted
fault must still reach Finalize (from any position before it) with status `error` and a
message naming the failure, charging only the nodes that completed.

By default every position of our fetch workflow gets every fault kind, and the positions of
the others get every other kind (rotating), so that every kind meets every task it applies to;
with STEPTHUNK_FULL_FAULTS=1 every position gets every kind. The counts of faults injected
and runs made are reported either way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambdas.runtime.errors import TransientError
from local.embedded import EmbeddedEngine
from statemachine import state_names
from statemachine.compiler import compile_workflow
from statemachine.validation import validate_workflow
from tests.conftest import Figure
from tests.reliability.conftest import (
    SECRET,
    ClientFault,
    ClientFaults,
    PongServer,
    Tripwire,
    Updates,
    attempts,
    charges,
    comparable,
    fetch_secret,
    final_writes,
    funded,
    invoking,
    lambda_service,
    launch,
    usage,
    whole_record,
)
from tests.support.runs import Fault, Faults, Run
from tests.support.workflows import edge, node, workflow

FULL = os.environ.get("STEPTHUNK_FULL_FAULTS") == "1"
EXAMPLES = Path(__file__).parents[2] / "workflows"
KINDS = ("transient", "throttle", "lost", "crash", "outlast")
WORKFLOWS = (*sorted(p.stem for p in EXAMPLES.glob("*.json")), "fetch-secret", "wait")


def waiting() -> dict[str, Any]:
    """n = 1 -> wait n seconds (a Wait state) -> its value shown; n shown too."""
    return workflow(
        node("n", "number-input", value=1),
        node("w", "wait", value="hello"),
        node("o", "output-text"),
        node("shown", "output-number"),
        edges=[
            edge("n.value", "w.seconds"),
            edge("w.value", "o.value"),
            edge("n.value", "shown.value"),
        ],
    )


@dataclass(frozen=True)
class Position:
    """A Lambda task state on the path of a run that has credits."""

    state: str
    task: str  # field of TaskFunctions
    nodes: tuple[str, ...]  # the unit's members
    resolved: tuple[str, ...]  # wait nodes whose seconds the task resolves

    @property
    def node(self) -> str | None:
        """A node of the unit, telling apart units that share a function."""
        return self.nodes[0] if self.nodes else None


def positions(engine: EmbeddedEngine, flow: dict[str, Any]) -> list[Position]:
    """The task states in the order a run with enough credits enters them."""
    valid = validate_workflow(flow, engine.registry.catalog)
    functions = engine.deployment.functions
    definition = compile_workflow(
        valid, engine.registry.catalog, functions, max_group_size=engine.max_group_size
    )
    tasks = {arn: task for task, arn in functions.model_dump(by_alias=False).items()}
    states = definition["States"]
    found = []
    name = definition["StartAt"]
    while True:
        state = states[name]
        if state["Type"] == "Task":
            parameters = state["Parameters"]
            found.append(
                Position(
                    state=name,
                    task=tasks[state["Resource"]],
                    nodes=tuple(n["id"] for n in parameters.get("nodes", [])),
                    resolved=tuple(w["node"]["id"] for w in parameters.get("waits", [])),
                )
            )
        if name == state_names.FINALIZE:
            return found
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state["Next"]


def applies(kind: str, position: Position) -> bool:
    if kind == "lost":  # see test_a_finalize_that_lost_its_response_...
        return position.state != state_names.FINALIZE
    if kind == "crash":
        return position.task == "run_inline_group" and len(position.nodes) >= 2
    return True


@dataclass
class Clean:
    """The fault-free run of each workflow, made once per module."""

    engine: EmbeddedEngine
    pong: PongServer
    runs: dict[str, Run]

    def workflow(self, name: str) -> dict[str, Any]:
        if name == "fetch-secret":
            return fetch_secret(self.pong.url)
        if name == "wait":
            return waiting()
        loaded: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
        return loaded

    def organization(self) -> str:
        return funded(self.engine, {"TOKEN": SECRET})

    def run(self, name: str) -> Run:
        if name not in self.runs:
            finished = launch(self.engine, self.workflow(name), self.organization())
            assert finished.record.status == "completed", finished.record.error
            self.runs[name] = finished
        return self.runs[name]


@pytest.fixture(scope="module")
def clean(paying: EmbeddedEngine, pong: PongServer) -> Clean:
    return Clean(paying, pong, {})


# kind -> the Lambda errors Step Functions records for it, in order (what the faults
# injected), and how many times it invokes the faulted task in all
EXPECTED = {
    "transient": (["TransientError"] * 2, 3),
    "throttle": (["Lambda.TooManyRequestsException"] * 2, 3),
    "lost": (["TransientError"], 2),
    "crash": (["TransientError"], 2),
    "outlast": (["TransientError"] * 4, 4),
}


def inject(
    kind: str,
    position: Position,
    engine: EmbeddedEngine,
    faults: Faults,
    client_faults: ClientFaults,
    tripwire: Tripwire,
) -> None:
    message = f"injected {kind} at {position.state}"
    if kind == "throttle":
        throttle = ClientFault(
            invoking(getattr(engine.deployment.functions, position.task), position.node),
            code="TooManyRequestsException",
            times=2,
            status=429,
            message="Rate exceeded",
        )
        client_faults.inject(lambda_service(), "invoke", throttle)
    elif kind == "crash":
        tripwire.armed = {position.nodes[len(position.nodes) // 2]}
    else:
        times = {"transient": 2, "lost": 1}.get(kind)
        fault = Fault(
            TransientError, message, times=times, node=position.node, after_real_call=kind == "lost"
        )
        faults.inject(engine, position.task, fault)


def lambda_failures(finished: Run) -> list[str]:
    """The errors of the failed Lambda invocations, as Step Functions recorded them."""
    return [
        event["lambdaFunctionFailedEventDetails"]["error"]
        for event in finished.history
        if event["type"] == "LambdaFunctionFailed"
    ]


def invocations(finished: Run, position: Position) -> int:
    if position.node is not None:
        return attempts(finished, position.node)
    return finished.invocations(position.task)


def check_recovered(clean: Run, faulted: Run, organization: str, updates: Updates) -> None:
    record = faulted.record
    assert faulted.description["status"] == clean.description["status"]
    assert comparable(record) == comparable(clean.record)
    stored = whole_record(faulted.engine, record.id)
    assert stored is not None
    assert stored.status == record.status
    assert charges(faulted.engine, organization) == [record.usage], "charged other than once"
    assert usage(faulted.engine, organization) == record.usage
    [final] = updates.finals
    assert updates.messages[-1] is final, "an update after the final one"
    assert final["status"] == record.status
    assert final["nodeExecutions"] == [e.to_json() for e in record.node_executions]


def check_finalized(
    clean: Run, faulted: Run, organization: str, updates: Updates, done: set[str], message: str
) -> None:
    """An outlasted fault before Finalize: an `error` record naming it, completed nodes only."""
    record = faulted.record
    assert "Finalize" in faulted.entered()
    assert faulted.description["status"] == "FAILED"
    assert faulted.description["error"] == "WorkflowExecutionError"
    assert record.status == "error"
    assert f"TransientError: {message}" in (record.error or "")
    for execution in record.node_executions:
        if execution.node_id in done:
            assert execution == clean.record.node(execution.node_id)
        else:
            assert execution.status == "idle", execution.node_id
    stored = whole_record(faulted.engine, record.id)
    assert stored is not None
    assert stored.status == "error"
    assert record.usage == sum(clean.record.node(n).usage for n in done)
    assert charges(faulted.engine, organization) == ([record.usage] if record.usage else [])
    assert usage(faulted.engine, organization) == record.usage
    assert [u["status"] for u in updates.finals] == ["error"]
    assert updates.messages[-1]["error"] == record.error


def check_unfinished(faulted: Run, organization: str, updates: Updates) -> None:
    """Finalize itself outlasted: the execution fails; the start record stays, whole."""
    assert faulted.description["status"] == "FAILED"
    assert faulted.description["error"] == "TransientError"
    stored = whole_record(faulted.engine, faulted.record.id)
    assert stored is not None
    assert stored.status == "executing"
    assert charges(faulted.engine, organization) == []
    assert updates.finals == []


def chosen(name: str, kind: str, path: list[Position]) -> list[int]:
    """The indexes of the positions to fault: all with FULL or in our fetch workflow (the
    only one preloading secrets, with a Run node), else every other one (rotating with the
    workflow and the kind), at least one."""
    indexes = [i for i, position in enumerate(path) if applies(kind, position)]
    if FULL or name == "fetch-secret":
        return indexes
    offset = (WORKFLOWS.index(name) + KINDS.index(kind)) % 2
    return indexes[offset::2] or indexes[:1]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", WORKFLOWS)
def test_task_faults_at_every_position_lose_nothing(
    paying: EmbeddedEngine,
    clean: Clean,
    faults: Faults,
    client_faults: ClientFaults,
    tripwire: Tripwire,
    figure: Figure,
    name: str,
    kind: str,
) -> None:
    flow = clean.workflow(name)
    reference = clean.run(name)
    path = positions(paying, flow)
    indexes = chosen(name, kind, path)
    assert indexes, f"no position of {name} takes a {kind} fault"
    problems, injected = [], 0
    for index in indexes:
        position = path[index]
        organization = clean.organization()
        inject(kind, position, paying, faults, client_faults, tripwire)
        writes = final_writes(client_faults, paying)
        updates = Updates()
        try:
            faulted = launch(paying, flow, organization, on_update=updates)
        finally:
            faults.restore()
            client_faults.restore()
            tripwire.armed.clear()
        failures, invoked = EXPECTED[kind]
        injected += len(lambda_failures(faulted))
        done = {n for p in path[:index] for n in (*p.nodes, *p.resolved)}
        unfinished = kind == "outlast" and position.task == "finalize"
        try:
            assert lambda_failures(faulted) == failures
            assert invocations(faulted, position) == invoked, "invocations of the task"
            written = [params["Key"]["id"]["S"] for params, _ in writes.calls]
            assert written == ([] if unfinished else [faulted.record.id]), "final writes"
            if kind != "outlast":
                check_recovered(reference, faulted, organization, updates)
            elif unfinished:
                check_unfinished(faulted, organization, updates)
            else:
                message = f"injected {kind} at {position.state}"
                check_finalized(reference, faulted, organization, updates, done, message)
        except AssertionError as error:
            problems.append(f"{position.state}: {error}")
    figure(
        f"{injected} Lambda task faults injected in {len(indexes)} runs "
        f"({len(indexes)} of {len(path)} task positions)"
    )
    assert not problems, "\n".join(problems)


def test_a_finalize_that_lost_its_response_charges_once_and_repeats_the_same_update(
    paying: EmbeddedEngine,
    clean: Clean,
    faults: Faults,
    client_faults: ClientFaults,
    figure: Figure,
) -> None:
    """Finalize did everything, then its response was lost: the retry charges nothing more,
    leaves the record it wrote as it is (the units' results are gone by then) and sends the
    same final update again.

    Live updates are at-least-once: a client may receive an identical final update twice.
    """
    reference = clean.run("arithmetic")
    organization = clean.organization()
    lost = faults.inject(
        paying, "finalize", Fault(TransientError, "response lost", times=1, after_real_call=True)
    )
    writes = final_writes(client_faults, paying)
    updates = Updates()

    faulted = launch(paying, clean.workflow("arithmetic"), organization, on_update=updates)

    record = faulted.record
    assert lost.attempts == 2
    assert faulted.description["status"] == "SUCCEEDED"
    assert comparable(record) == comparable(reference.record)
    assert charges(paying, organization) == [record.usage]
    assert usage(paying, organization) == record.usage
    written = [
        json.loads(params["ExpressionAttributeValues"][":record"]["S"])
        for params, _ in writes.calls
    ]
    assert len(written) == 1
    assert written[0] == record.to_json()
    first, again = updates.finals
    assert first == again
    assert updates.messages[-1] is again
    figure("1 Lambda task fault injected in 1 run (Finalize's response lost)")
