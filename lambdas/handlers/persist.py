"""Persist: the record at the start of an execution, or when credits are exhausted (SPEC §8).

Persist start is also the task before the first unit, so it resolves the wait nodes of any
Wait states that open the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from lambdas.handlers import units
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.notify import notify
from lambdas.handlers.settings import ExecutionsTable
from lambdas.handlers.wiring import Clients, executions
from lambdas.runtime.credits import INSUFFICIENT_CREDITS
from lambdas.runtime.ports import ExecutionStore
from lambdas.runtime.record import (
    ExecutionRecord,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    utc_now,
)
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import WorkflowState
from statemachine.model import WireModel


class Settings(ExecutionsTable, units.Settings):
    pass


@dataclass(frozen=True)
class Deps:
    executions: ExecutionStore
    units: units.Deps


def deps_from(settings: Settings, clients: Clients, registry: Registry | None = None) -> Deps:
    return Deps(
        executions=executions(settings, settings, clients),
        units=units.deps_from(settings, clients, registry),
    )


class Event(WireModel):
    state: WorkflowState
    status: Literal[ExecutionStatus.EXECUTING, ExecutionStatus.EXHAUSTED]
    node_ids: list[str]
    waits: list[units.WaitNode] = Field(default_factory=list)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    execution = state.execution
    now = utc_now()
    exhausted = request.status == ExecutionStatus.EXHAUSTED
    record = ExecutionRecord(
        id=execution.id,
        workflow_id=execution.workflow_id,
        workflow_name=execution.workflow_name,
        organization_id=execution.organization_id,
        status=request.status,
        error=INSUFFICIENT_CREDITS if exhausted else None,
        started_at=None if exhausted else now,
        ended_at=now if exhausted else None,
        node_executions=[
            NodeExecution(node_id=node_id, status=NodeStatus.IDLE) for node_id in request.node_ids
        ],
    )
    deps.executions.put(record, session_id=execution.session_id)
    updates = deps.units.updates
    nodes = [e.to_json() for e in record.node_executions]
    notify(updates, execution, record.status, nodes, record.error)
    if exhausted:
        return state.to_json()
    started = state.model_copy(update={"started_at": now})
    if not request.waits:
        return started.to_json()
    runner = units.UnitRunner(started, deps.units, invocation)
    waits = runner.resolve_waits(request.waits)
    results = runner.payloads.pack_map(runner.packed_results())
    return started.model_copy(update={"results": results, "waits": waits}).to_json()


handler = lambda_handler(lambda: deps_from(Settings(), Clients()), process)
