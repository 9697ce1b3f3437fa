"""Persisting the record of an execution no node has run in (SPEC §8): at its start (called
by Initialize workflow) and when its credits are exhausted (the `Persist exhausted` task)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.settings import BlobBucket, Connections, ExecutionsTable
from lambdas.handlers.wiring import Clients, executions, live_updates, values
from lambdas.lifecycle.begin import begin
from lambdas.lifecycle.ports import Clock
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
    clock: Clock = utc_now


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
    begin(deps, request.state, request.status, node_ids)
    return request.state.to_json()


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
