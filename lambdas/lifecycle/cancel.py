"""Cancelling a running execution: stop its state machine, then store its record as
`cancelled` (its completed nodes charged, as Finalize would) and send its final update; then
the same for the child executions its run-workflow nodes were waiting for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lambdas.lifecycle import records
from lambdas.lifecycle.announce import announce
from lambdas.lifecycle.errors import Conflict, NotFound
from lambdas.lifecycle.ports import Ports
from lambdas.runtime.credits import charge
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionHandle
from lambdas.runtime.record import FINAL_STATUSES, WAITING_FOR_WORKFLOW, ExecutionRecord
from lambdas.runtime.state import WorkflowState


def cancel_execution(ports: Ports, organization_id: str, execution_id: str) -> ExecutionRecord:
    """Cancel the organization's execution; its cancelled record. NotFound for an execution
    it does not have; Conflict NOT_RUNNING when it has ended, NOT_CANCELLABLE when Step
    Functions cannot stop it (an Express execution)."""
    handle = ports.executions.handle(execution_id)
    if handle is None or handle.organization_id != organization_id:
        raise NotFound("Execution", execution_id)
    if handle.status in FINAL_STATUSES:
        raise _already_finished(handle.status)
    if handle.execution_arn is None:
        raise Conflict(
            "NOT_CANCELLABLE",
            "Executions of a short-lived workflow run on an Express state machine, which "
            "cannot stop them; it ends within minutes",
        )
    record = cancel(ports, handle, "Cancelled through the API")
    if record is None:
        current = ports.executions.handle(execution_id)
        raise _already_finished(current.status if current else handle.status)
    return record


def cancel(
    ports: Ports, handle: ExecutionHandle, cause: str, *, child: bool = False
) -> ExecutionRecord | None:
    """Stop a running execution and store its record as `cancelled` (its completed nodes
    charged), then send its final update, and cancel the children it was waiting for; None
    when it was not running. A `child` is cancelled also when its machine no longer runs
    it (Step Functions stops a `.sync` child with its parent, or it never started)."""
    if handle.execution_arn is None:
        return None
    if not ports.machines.stop(handle.execution_arn, cause) and not child:
        return None
    ports.progress.seal(handle.id)  # from here no task announces what the record misses
    record, kept, children = _cancelled_record(ports, handle)
    if not ports.development:
        charge(ports.organizations, record)
    ports.executions.put(record)
    ports.progress.delete(handle.id, kept)  # the record holds them now
    announce(ports.updates, records.execution_of(record, handle.session_id), record)
    for child_id in children:
        found = ports.executions.handle(child_id)
        if found is not None and found.status not in FINAL_STATUSES:
            cancel(ports, found, "The execution that called it was cancelled", child=True)
    return record


def _cancelled_record(
    ports: Ports, handle: ExecutionHandle
) -> tuple[ExecutionRecord, list[int], list[str]]:
    """The record of a stopped execution, from what its units kept and the last state its
    history holds (the number of units, the results a retry started with), the units
    whose results it read and the child executions its nodes were waiting for."""
    stored = ports.executions.get(handle.id)
    node_ids = [e.node_id for e in stored.node_executions] if stored else []
    last = ports.machines.last_state(handle.execution_arn or "")
    state = WorkflowState.model_validate(last) if last else None
    if state is None:
        assert stored is not None
        state = WorkflowState(execution=records.execution_of(stored))
    # Before Initialize returns, the state names no units, but the waits it resolved may be
    # kept already: a workflow has no more units than nodes.
    units = range(state.units or len(node_ids))
    kept = ports.progress.get(handle.id, units)
    payloads = Payloads(ports.values, handle.organization_id)
    record = records.final(
        state, node_ids, payloads, (kept[u] for u in units if u in kept), cancelled=True
    )
    return record, list(kept), _children(payloads, kept.values())


def _children(payloads: Payloads, kept: Iterable[dict[str, Any]]) -> list[str]:
    """The executions the run-workflow nodes (`executionId`) and for-each nodes (one per
    item, `executionIds`) of the units' results are waiting for."""
    children = []
    for packed in kept:
        for execution in payloads.unpack_results(packed).values():
            if execution.waiting_for != WAITING_FOR_WORKFLOW or not execution.outputs:
                continue
            outputs = payloads.loaded(execution).outputs or {}
            if "executionId" in outputs:
                children.append(str(outputs["executionId"]))
            children += [str(child) for child in outputs.get("executionIds") or []]
    return children


def _already_finished(status: str) -> Conflict:
    return Conflict("NOT_RUNNING", f"The execution is {status}: nothing to cancel")
