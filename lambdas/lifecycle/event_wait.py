"""A wait-for-event node's life, on every engine: it starts waiting (its task token kept, the
node `executing` with `waitingFor: "event"`), an event is delivered for it or rejected, and
the task after the wait settles it from what ended the wait (statemachine.event_waits); the
delivery itself is lambdas.lifecycle.event_delivery.

A wait-for-form node lives the same life, waiting for its form's answer (`waitingFor:
"form"`): when it starts waiting it claims the form its `token` names, which must be a form
of its execution's (or of one it retries: `_claim`), and the form's wait ends when the
node's does.

The token is kept with the execution and the node (EventWaits) and never leaves the ports:
no record, live update or log holds it; the API's caller names the execution and the node.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit import UnitRunner
from lambdas.lifecycle.unit_task import UnitWork
from lambdas.runtime.errors import NodeNotWaiting
from lambdas.runtime.forms import FormStatus, FormStore, form_key
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import EventWaits
from lambdas.runtime.record import (
    FINAL_STATUSES,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    iso_utc,
)
from lambdas.runtime.state import ExecutionContext, WorkflowState
from statemachine.error_names import EVENT_REJECTED
from statemachine.event_waits import STATES_TIMEOUT, is_form_wait, wait_seconds
from statemachine.model import Node

EVENT = "event"  # what a waiting node's `waitingFor` says
FORM = "form"  # ... a wait-for-form node's
# How many retries back a wait-for-form node looks for the execution whose form it takes
# over: a retry of a retry of ... far past any a person makes.
MAX_LINEAGE = 100


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
        seconds = wait_seconds(node)
        # kept before a form is claimed: an answer that finds it claimed finds the token
        waits.hold(state.execution.id, node.id, token, seconds)
        refusal = _claim(ports, state.execution, node, execution, seconds * time_scale)
        if refusal is not None:
            waits.take(state.execution.id, node.id)
            failed = {"status": NodeStatus.ERROR, "outputs": None, "error": refusal, "usage": 0}
            execution = runner.results[node.id] = execution.model_copy(update=failed)
            waiting = False
    if waiting:
        kind = FORM if is_form_wait(node) else EVENT
        update = {"status": NodeStatus.EXECUTING, "outputs": None, "waiting_for": kind}
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
    waited = execution is not None and execution.waiting_for in (EVENT, FORM)
    if execution is not None and waited:
        waits.take(state.execution.id, node.id)  # no delivery may use it now
        if is_form_wait(node):
            _close(ports, state.execution.id, node.id)
        runner.results[node.id] = settled(execution, ended or {}, node)
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


def settled(
    execution: NodeExecution, ended: dict[str, Any], node: Node | None = None
) -> NodeExecution:
    """A waiting node once its wait has ended (`ended` as `settle` takes it). A
    wait-for-form `node`'s answer is its `response`; unanswered in time it fails (Dafthunk's
    node has no output for that)."""
    done = {"status": NodeStatus.COMPLETED, "waiting_for": None}
    form = node is not None and is_form_wait(node)
    if "payload" in ended:
        outputs = {"response" if form else "payload": ended["payload"]}
        return execution.model_copy(update={**done, "outputs": outputs})
    error = ended.get("Error")
    if error == STATES_TIMEOUT and node is not None and form:
        message = f"Form not answered within {wait_seconds(node):,} s"
        update = {"status": NodeStatus.ERROR, "waiting_for": None, "error": message, "usage": 0}
        return execution.model_copy(update=update)
    if error == STATES_TIMEOUT:
        return execution.model_copy(update={**done, "outputs": {"timedOut": True}})
    reason = str(ended.get("Cause") or "")
    said = f"{error}: {reason}" if reason else str(error)
    message = said.replace(EVENT_REJECTED, "Event rejected", 1) if error == EVENT_REJECTED else said
    update = {"status": NodeStatus.ERROR, "waiting_for": None, "error": message, "usage": 0}
    return execution.model_copy(update=update)


def _claim(
    ports: UnitPorts,
    execution: ExecutionContext,
    node: Node,
    ran: NodeExecution,
    seconds: float,
) -> str | None:
    """Claim for wait-for-form `node` the form its `token` input names, its wait ending in
    `seconds`; None once claimed (or for a wait-for-event node), else why the node cannot
    wait: the token is no form of this execution's, or another node waits for it, or its
    wait is over. Never the token itself: it is a credential.

    A retry reuses create-form's result, the form a person may have received already: the
    form of an execution it descends from (its `retry_of`, and so on back), once that one
    ended, is taken over, unless it was answered."""
    if not is_form_wait(node):
        return None
    forms = _form_store(ports)
    token = (ran.inputs or {}).get("token")
    key = form_key(token) if isinstance(token, str) else ""
    form = forms.get(key) if key else None
    inherited = form is not None and form.execution_id != execution.id
    if (
        form is None
        or form.organization_id != execution.organization_id
        or (inherited and not _ancestor_ended(ports, execution, form.execution_id))
    ):
        return (
            "Input 'token' is not the token of a form of this execution: give it the `token` "
            "of a create-form node that ran before it"
        )
    ends = iso_utc(datetime.fromtimestamp(time.time() + seconds, UTC))
    if inherited:
        claimed = forms.take_over(key, form, execution.id, node.id, ends, int(seconds) + 1)
    else:
        claimed = forms.link(key, node.id, ends, int(seconds) + 1)
    if claimed is None:
        if inherited:
            return (
                "The form was answered already, or another retry of its execution waits for "
                "it: a form is answered once"
            )
        if form.status in (FormStatus.ANSWERED, FormStatus.CLOSED):
            return "The form was answered or its wait ended already: a form is answered once"
        return f"Node '{form.node_id}' waits for this form already: a form is answered once"
    return None


def _ancestor_ended(ports: UnitPorts, execution: ExecutionContext, ancestor_id: str) -> bool:
    """Whether `ancestor_id` is an execution the retry `execution` descends from (its
    `retry_of`, that one's, ... at most MAX_LINEAGE back), of its organization, and ended."""
    executions = ports.executions
    if executions is None:
        return False
    step = execution.retry_of
    for _ in range(MAX_LINEAGE):
        if step is None:
            return False
        handle = executions.handle(step)
        if handle is None or handle.organization_id != execution.organization_id:
            return False
        if step == ancestor_id:
            return handle.status in FINAL_STATUSES
        step = handle.origin.retry_of if handle.origin is not None else None
    return False


def _close(ports: UnitPorts, execution_id: str, node_id: str) -> None:
    """Close the form a wait-for-form node waited for: whatever ended its wait, the form's
    token is worth nothing from now on."""
    forms = _form_store(ports)
    key = forms.of_node(execution_id, node_id)
    if key is not None:
        forms.close(key)


def _form_store(ports: UnitPorts) -> FormStore:
    if ports.forms is None:
        raise RuntimeError("This host keeps no forms: wait-for-form nodes cannot run")
    return ports.forms.store


def _event_ports(ports: UnitPorts) -> EventWaits:
    if ports.event_waits is None:
        raise RuntimeError("This host has no event waits: wait-for-event nodes cannot run")
    return ports.event_waits
