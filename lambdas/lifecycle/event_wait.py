"""A wait-for-event node's life, on every engine: it starts waiting (its task token kept, the
node `executing` with `waitingFor: "event"`), an event is delivered for it or rejected, and
the task after the wait settles it from what ended the wait (statemachine.event_waits); the
delivery itself is lambdas.lifecycle.event_delivery.

The token is kept with the execution and the node (EventWaits) and never leaves the ports:
no record, live update or log holds it; the API's caller names the execution and the node.
"""

from __future__ import annotations

from typing import Any

from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit import UnitRunner
from lambdas.lifecycle.unit_task import UnitWork
from lambdas.runtime.errors import NodeNotWaiting
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import EventWaits
from lambdas.runtime.record import (
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
)
from lambdas.runtime.state import WorkflowState
from statemachine.error_names import EVENT_REJECTED
from statemachine.event_waits import STATES_TIMEOUT

EVENT = "event"  # what a waiting node's `waitingFor` says


def start_waiting(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    token: str,
    deadline: float | None,
    time_scale: float = 1.0,
) -> None:
    """Run the wait-for-event node of `work` as far as its wait: its skip check and inputs,
    then keep `token` for a delivery and show the node `executing`, waiting for an event, in
    its live update and its execution's record. NodeNotWaiting when the node will not wait
    (skipped, failed, or completed by the execution a retry started from), once kept."""
    waits = _event_ports(ports)
    [node] = work.nodes
    own = [work.unit] if state.resumed else []
    runner = UnitRunner(state, ports, deadline, work.reads, own, time_scale)
    runner.end_waits()  # the Wait states before this task have passed
    ran = runner.run(work.nodes, work.edges)
    execution = runner.results[node.id]
    waiting = bool(ran) and execution.status == NodeStatus.COMPLETED
    if waiting:
        assert node.timeout_seconds is not None  # validation requires it
        waits.hold(state.execution.id, node.id, token, node.timeout_seconds)
        update = {"status": NodeStatus.EXECUTING, "outputs": None, "waiting_for": EVENT}
        runner.results[node.id] = execution.model_copy(update=update)
    runner.keep(work.unit, [node.id], [], [])
    _show(ports, state)
    runner.announce(ports)
    if not waiting:
        raise NodeNotWaiting(node.id, execution.status)


def settle(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    ended: dict[str, Any] | None,
    deadline: float | None,
    time_scale: float = 1.0,
) -> WorkflowState:
    """Settle the wait-for-event node of `work` from what ended its wait (`ended`: the
    delivered event `{"payload"}`, or the waiting task's error `{"Error", "Cause"}`), resolve
    the Wait states that follow, keep and announce; the state for the next unit.

    An event completes the node with `payload`, the timeout with `timedOut: true`, a
    rejection fails it with the reason. A node that did not wait is left as it is."""
    waits = _event_ports(ports)
    [node] = work.nodes
    runner = UnitRunner(state, ports, deadline, work.reads, [work.unit], time_scale)
    runner.end_waits()
    execution = runner.results.get(node.id)
    waited = execution is not None and execution.waiting_for == EVENT
    if execution is not None and waited:
        waits.take(state.execution.id, node.id)  # no delivery may use it now
        runner.results[node.id] = settled(execution, ended or {})
        runner.fresh.append(node.id)
    seconds = runner.resolve_waits(work.waits)
    runner.keep(work.unit, [node.id], work.wait_units, work.waits)
    if waited:
        _show(ports, state)
    runner.announce(ports)
    update = {
        "output_bytes": runner.output_bytes,
        "waits": seconds,
        "waiting": runner.waiting,
        "branches": [],
    }
    return state.model_copy(update=update)


def _show(ports: UnitPorts, state: WorkflowState) -> None:
    """Store the execution's record as its units have kept it so far, still `executing`:
    a node waits as long as a person or a system takes to answer, and the record read
    meanwhile (GET /executions/{id}) shows what waits (SPEC's record is otherwise stored at
    start and end only). Never over a final record (the store refuses it: a cancel's)."""
    if ports.executions is None:
        return
    execution = state.execution
    stored = ports.executions.get(execution.id)
    if stored is None or stored.status != ExecutionStatus.EXECUTING:
        return
    kept = ports.progress.get(execution.id, range(state.units))
    payloads = Payloads(ports.values, execution.organization_id)
    results: dict[str, NodeExecution] = payloads.unpack_results(state.reused)
    for unit in sorted(kept):
        results.update(payloads.unpack_results(kept[unit]))
    nodes = [results.get(node.node_id, node) for node in stored.node_executions]
    ports.executions.put(stored.model_copy(update={"node_executions": nodes}))


def settled(execution: NodeExecution, ended: dict[str, Any]) -> NodeExecution:
    """A waiting node once its wait has ended (`ended` as `settle` takes it)."""
    done = {"status": NodeStatus.COMPLETED, "waiting_for": None}
    if "payload" in ended:
        return execution.model_copy(update={**done, "outputs": {"payload": ended["payload"]}})
    error = ended.get("Error")
    if error == STATES_TIMEOUT:
        return execution.model_copy(update={**done, "outputs": {"timedOut": True}})
    reason = str(ended.get("Cause") or "")
    said = f"{error}: {reason}" if reason else str(error)
    message = said.replace(EVENT_REJECTED, "Event rejected", 1) if error == EVENT_REJECTED else said
    update = {"status": NodeStatus.ERROR, "waiting_for": None, "error": message, "usage": 0}
    return execution.model_copy(update=update)


def _event_ports(ports: UnitPorts) -> EventWaits:
    if ports.event_waits is None:
        raise RuntimeError("This host has no event waits: wait-for-event nodes cannot run")
    return ports.event_waits
