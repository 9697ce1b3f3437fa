"""Persisting the record of an execution no node has run in (SPEC §8): at its start (called
by Initialize workflow) and when its credits are exhausted (the `Persist exhausted` task)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.notify import announce
from lambdas.handlers.settings import BlobBucket, Connections, ExecutionsTable
from lambdas.handlers.wiring import Clients, executions, live_updates, values
from lambdas.lifecycle import records
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionStore, LiveUpdates, ValueStore
from lambdas.runtime.record import (
    ExecutionStatus,
    utc_now,
)
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows, node_ids_of
from statemachine.model import WireModel


class Settings(ExecutionsTable, BlobBucket, Connections):
    pass


@dataclass(frozen=True)
class Deps:
    executions: ExecutionStore
    updates: LiveUpdates | None
    stored: StoredWorkflows
    values: ValueStore


def deps_from(
    settings: Settings, clients: Clients, *, stored: StoredWorkflows | None = None
) -> Deps:
    store = values(settings, clients)
    return Deps(
        executions=executions(settings, settings, clients),
        updates=live_updates(settings, clients),
        stored=stored or StoredWorkflows(store),
        values=store,
    )


class Event(WireModel):
    state: WorkflowState
    status: Literal[ExecutionStatus.EXHAUSTED]
    node_ids: list[str] | None = None  # or those of the workflow stored at workflow_key
    workflow_key: str | None = None


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    """Persist exhausted: the record of an execution its credits did not cover."""
    request = Event.model_validate(event)
    node_ids = node_ids_of(request.node_ids, request.workflow_key, deps.stored)
    persist_unstarted(request.state, request.status, node_ids, deps)
    return request.state.to_json()


def persist_unstarted(
    state: WorkflowState, status: ExecutionStatus, node_ids: list[str], deps: Deps
) -> str:
    """Write and announce the record (`executing` or `exhausted`) of an execution no node has
    run in; return the time it gives. Its nodes are idle, but for those whose results a
    retried execution reuses: they stay as its submitted record showed them."""
    execution = state.execution
    now = utc_now()
    payloads = Payloads(deps.values, execution.organization_id)
    reused = payloads.unpack_results(state.reused) if state.reused else {}
    record = records.unstarted(execution, status, node_ids, reused, now)
    deps.executions.put(record, session_id=execution.session_id)
    announce(deps.updates, execution, record)
    return now


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
