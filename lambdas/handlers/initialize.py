"""Initialize workflow: validate the workflow and the run's inputs, check the plan, preload
the organization's secrets and integrations the nodes may open, then persist the start record
(SPEC §5's `Preload secrets`, `Preload integrations` and `Persist start`, done here to save a
task and a state transition each per execution).

A WorkflowValidationError is raised as is, before anything is persisted: the state machine
never retries it and its Catch takes the execution to Finalize, which records every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from lambdas.handlers import persist, units
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.wiring import Clients, executions, values
from lambdas.nodes import default_registry
from lambdas.runtime.errors import ExecutionError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ProgressStore, ValueStore
from lambdas.runtime.record import ExecutionStatus, iso_utc
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import Sealed, WorkflowState
from lambdas.runtime.stored import StoredWorkflows
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import WireModel, Workflow
from statemachine.path_keys import unescape_keys
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, Plan, plan_workflow
from statemachine.validation import validate_overrides, validate_workflow


class PlanMismatchError(ExecutionError):
    """The deployed node catalog plans this workflow differently from the compiled machine."""


class Settings(units.Settings):
    pass


@dataclass(frozen=True)
class Deps:
    registry: Registry
    values: ValueStore
    persist: persist.Deps
    units: units.Deps  # to resolve the seconds of wait nodes, which runs them


def deps_from(
    settings: Settings,
    clients: Clients,
    registry: Registry | None = None,
    *,
    stored: StoredWorkflows | None = None,
) -> Deps:
    unit_deps = units.deps_from(settings, clients, registry, stored=stored)
    store = values(settings, clients)
    return Deps(
        registry=registry or default_registry(),
        values=store,
        persist=persist.Deps(
            executions(settings, settings, clients), unit_deps.updates, unit_deps.stored, store
        ),
        units=unit_deps,
    )


class Event(WireModel):
    state: WorkflowState
    workflow: dict[str, Any] | None = None
    workflow_key: str | None = None  # where the workflow is stored, when too large to carry
    plan_digest: str | None = None
    max_group_size: int = DEFAULT_MAX_GROUP_SIZE
    node_ids: list[str] | None = None  # the workflow's, when it is stored
    unit_count: int = Field(0, alias="units")  # how many units the plan has
    waits: list[units.WaitNode] = Field(default_factory=list)
    wait_ids: list[str] = Field(default_factory=list)  # the waits, when it is stored
    wait_units: list[int] = Field(default_factory=list)
    reads: dict[str, int] = Field(default_factory=dict)  # what the waits read, by unit
    # what the nodes may open, loaded once per execution in sealed form (SPEC §7)
    preload: list[Literal["secrets", "integrations"]] = Field(default_factory=list)

    @field_validator("workflow", "waits", mode="before")
    @classmethod
    def _restored(cls, value: Any) -> Any:
        """The workflow as written: the compiler escaped keys Step Functions would read as
        paths (statemachine.path_keys)."""
        return unescape_keys(value)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    catalog = deps.registry.catalog
    workflow = (
        validate_workflow(request.workflow, catalog)
        if request.workflow_key is None
        else deps.units.stored.validated(request.workflow_key, catalog)
    )
    plan = None
    if request.plan_digest is not None:
        plan = plan_workflow(workflow, catalog, max_group_size=request.max_group_size)
        if plan.digest() != request.plan_digest:
            raise PlanMismatchError(
                "The node catalog deployed now plans this workflow differently from the "
                "state machine it was compiled into; deploy the workflow again"
            )
    payloads = Payloads(deps.values, state.execution.organization_id)
    raw = payloads.unpack_inputs(state.inputs)
    inputs = validate_overrides(workflow, raw, catalog)
    update = {
        "inputs": payloads.pack_inputs(inputs),
        "workflow_key": request.workflow_key,
        "units": request.unit_count,
        "sealed": _preloaded(state, request.preload, deps.units),
    }
    valid = state.model_copy(update=update)
    node_ids = request.node_ids or [node.id for node in workflow.nodes]
    executing = ExecutionStatus.EXECUTING
    now = persist.persist_unstarted(valid, executing, node_ids, deps.persist)
    started = valid.model_copy(update={"started_at": now, "ends_by": _ends_by(workflow, now)})
    if state.reused:
        plan = plan or plan_workflow(workflow, catalog, max_group_size=request.max_group_size)
        _hand_out(started, plan, payloads, deps.units.progress)
        started = started.model_copy(update={"reused": {}, "resumed": True})
    waits = request.waits or units.wait_nodes(workflow, request.wait_ids)
    if not waits:
        return started.to_json()
    # The task before the first unit resolves the wait nodes of Wait states that open the plan.
    resumed = request.wait_units if started.resumed else []
    runner = units.UnitRunner(started, deps.units, invocation, request.reads, resumed)
    seconds = runner.resolve_waits(waits)
    runner.keep(None, [], request.wait_units, waits)
    runner.announce(deps.units)
    ran = {"output_bytes": runner.output_bytes, "waits": seconds, "waiting": runner.waiting}
    return started.model_copy(update=ran).to_json()


def _preloaded(
    state: WorkflowState, preload: list[Literal["secrets", "integrations"]], deps: units.Deps
) -> Sealed:
    """The organization's secrets and integrations that `preload` names, sealed."""
    organization = state.execution.organization_id
    sealed = state.sealed
    if "secrets" in preload:
        sealed = sealed.model_copy(update={"secrets": deps.secrets.sealed(organization)})
    if "integrations" in preload:
        found = deps.integrations.sealed(organization)
        sealed = sealed.model_copy(update={"integrations": found})
    return sealed


def _hand_out(
    state: WorkflowState, plan: Plan, payloads: Payloads, progress: ProgressStore
) -> None:
    """Keep the results a retried execution starts with under the units of its plan, where
    each unit reads its own (the state carries none of them)."""
    reused = payloads.unpack_map(state.reused)
    by_unit: dict[int, dict[str, Any]] = {}
    for index, unit in enumerate(plan.units):
        kept = {node_id: reused[node_id] for node_id in unit.members if node_id in reused}
        if kept:
            by_unit[index] = payloads.pack_map(kept, limit=units.PROGRESS_LIMIT)
    if by_unit:
        progress.put(state.execution.id, by_unit)


def _ends_by(workflow: Workflow, started_at: str) -> str | None:
    """When Express stops a short-lived execution that started at `started_at`."""
    if not workflow.short_lived:
        return None
    return iso_utc(datetime.fromisoformat(started_at) + timedelta(seconds=EXPRESS_MAX_SECONDS))


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
