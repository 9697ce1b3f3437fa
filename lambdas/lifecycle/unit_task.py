"""A unit's task, on every host: one unit (alone, or a branch of a Parallel state), or
several independent units side by side; each unit run as lambdas.lifecycle.unit says.

What a task returns carries no results, only the bytes their outputs hold: what a unit
moves never grows with the workflow.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass, field

from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit import UnitRunner, WaitNode
from lambdas.runtime.state import Branch, WorkflowState
from statemachine.model import Edge, Node


@dataclass(frozen=True)
class UnitWork:
    """What a unit's task is given: the unit (its index in the plan), its nodes, the edges
    into them, the unit of each node of another unit it reads, and the wait nodes of the
    Wait states that follow it (with their units), whose seconds it resolves."""

    unit: int
    nodes: list[Node]
    edges: list[Edge]
    reads: dict[str, int] = field(default_factory=dict)
    waits: list[WaitNode] = field(default_factory=list)
    wait_units: list[int] = field(default_factory=list)


def run_unit(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    deadline: float | None,
    time_scale: float = 1.0,
) -> WorkflowState:
    """Run the unit; the state for the next one: the bytes all outputs hold so far, the
    seconds of the waits that follow and the wait nodes now waiting.

    A node with a retry policy that failed with attempts left raises NodeAttemptFailed
    (lambdas.lifecycle.unit), for the task to be retried; nodes' timeouts run out
    `time_scale` times real time (an engine under test runs them faster)."""
    runner, waits = _ran(ports, state, work, deadline, time_scale=time_scale)
    started = list(runner.started.values())
    update = {
        "output_bytes": runner.output_bytes,
        "waits": waits,
        "waiting": runner.waiting,
        "branches": [],
        # a run-workflow node's child, for the states after the task (it runs alone)
        "call": started[0] if started else None,
    }
    return state.model_copy(update=update)


def run_branch(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    deadline: float | None,
    carry: bool,
    time_scale: float = 1.0,
) -> Branch:
    """Run the unit as a branch of a Parallel state: the bytes its outputs hold, and with
    `carry` (the first branch) also those of an earlier Parallel state's branches. The
    first branch completes the waits that passed before it."""
    if not carry:
        state = state.model_copy(update={"waiting": []})
    runner, _ = _ran(ports, state, work, deadline, time_scale=time_scale)
    carried = sum(branch.output_bytes for branch in state.branches) if carry else 0
    return Branch(output_bytes=carried + runner.output_bytes - runner.known_bytes)


def run_side_by_side(
    ports: UnitPorts,
    state: WorkflowState,
    units: list[UnitWork],
    deadline: float | None,
    attempt: int = 0,
) -> WorkflowState:
    """Run independent units each on a thread of its own, as a task of its own would; the
    state with the bytes all their outputs hold.

    Each unit keeps its results and announces them as soon as it is done. A unit's failure
    (not a node error, which is data) is raised once every unit has ended; a retried
    attempt (`attempt` from 0) reuses what each unit completed before, so a request that
    completed is not sent again.
    """

    def run(work: UnitWork) -> int:
        runner, _ = _ran(ports, state, work, deadline, reuse=bool(attempt))
        return runner.output_bytes - runner.known_bytes

    with futures.ThreadPoolExecutor(max_workers=len(units)) as pool:
        running = [pool.submit(run, work) for work in units]
    failed = next((error for f in running if (error := f.exception()) is not None), None)
    if failed is not None:
        raise failed
    known = state.output_bytes + sum(branch.output_bytes for branch in state.branches)
    produced = known + sum(f.result() for f in running)
    update = {"output_bytes": produced, "waits": [], "waiting": [], "branches": []}
    return state.model_copy(update=update)


def _ran(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    deadline: float | None,
    reuse: bool = False,
    time_scale: float = 1.0,
) -> tuple[UnitRunner, list[int]]:
    """Run `work` (a retried execution's unit, or a retried attempt's with `reuse`, reads
    the results it starts with: its own, its waits'); the runner and the waits' seconds."""
    own = [work.unit, *work.wait_units] if reuse or state.resumed else []
    runner = UnitRunner(state, ports, deadline, work.reads, own, time_scale)
    runner.end_waits()
    runner.run(work.nodes, work.edges)
    waits = runner.resolve_waits(work.waits)
    runner.keep(work.unit, [node.id for node in work.nodes], work.wait_units, work.waits)
    runner.announce(ports)
    return runner, waits
