"""Initialize workflow: validate the workflow and the run's inputs, check the plan, preload
the organization's secrets and integrations the nodes may open, then persist the start record
(SPEC §5's `Preload secrets`, `Preload integrations` and `Persist start`, done here to save a
task and a state transition each per execution).

A WorkflowValidationError is raised as is, before anything is persisted: the state machine
never retries it and its Catch takes the execution to Finalize, which records every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from lambdas.handlers import persist, units
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.wiring import Clients, executions, values
from lambdas.lifecycle.begin import Preload, hand_out, preloaded, run_state
from lambdas.lifecycle.unit import UnitRunner, WaitNode, wait_nodes
from lambdas.nodes import default_registry
from lambdas.runtime.errors import ExecutionError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ValueStore
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows
from statemachine.model import WireModel
from statemachine.path_keys import unescape_keys
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, plan_workflow
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
    waits: list[WaitNode] = Field(default_factory=list)
    wait_ids: list[str] = Field(default_factory=list)  # the waits, when it is stored
    wait_units: list[int] = Field(default_factory=list)
    reads: dict[str, int] = Field(default_factory=dict)  # what the waits read, by unit
    # what the nodes may open, loaded once per execution in sealed form (SPEC §7)
    preload: list[Preload] = Field(default_factory=list)

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
    valid = state.model_copy(
        update={"inputs": payloads.pack_inputs(inputs), "workflow_key": request.workflow_key}
    )
    vaults = (deps.units.secrets, deps.units.integrations)
    sealed = preloaded(state, request.preload, *vaults)
    node_ids = request.node_ids or [node.id for node in workflow.nodes]
    started = run_state(deps.persist, valid, workflow, node_ids, sealed, request.unit_count)
    if state.reused:
        plan = plan or plan_workflow(workflow, catalog, max_group_size=request.max_group_size)
        hand_out(started, [unit.members for unit in plan.units], payloads, deps.units.progress)
        started = started.model_copy(update={"reused": {}, "resumed": True})
    waits = request.waits or wait_nodes(workflow, request.wait_ids)
    if not waits:
        return started.to_json()
    # The task before the first unit resolves the wait nodes of Wait states that open the plan.
    resumed = request.wait_units if started.resumed else []
    runner = UnitRunner(started, deps.units, invocation.deadline, request.reads, resumed)
    seconds = runner.resolve_waits(waits)
    runner.keep(None, [], request.wait_units, waits)
    runner.announce(deps.units)
    ran = {"output_bytes": runner.output_bytes, "waits": seconds, "waiting": runner.waiting}
    return started.model_copy(update=ran).to_json()


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
