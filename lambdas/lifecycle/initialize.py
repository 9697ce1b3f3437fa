"""Initialize workflow, on every host: validate the workflow and the run's inputs, check the
plan it was compiled with, preload what its nodes may open, begin the execution (its record),
hand a retried execution's results to their units and resolve the wait nodes of the Wait
states that open the plan.

A WorkflowValidationError is raised as is, before anything is persisted: the state machine
never retries it and its Catch takes the execution to Finalize, which records every problem.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from pydantic import Field, field_validator

from lambdas.lifecycle.begin import Preload, hand_out, preloaded, run_state
from lambdas.lifecycle.ports import RecordPorts, UnitPorts
from lambdas.lifecycle.unit import UnitRunner, WaitNode, wait_nodes
from lambdas.runtime.errors import ExecutionError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows
from statemachine.catalog import Catalog
from statemachine.model import WireModel, Workflow
from statemachine.path_keys import unescape_keys
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, Plan, plan_workflow
from statemachine.validation import validate_overrides, validate_workflow

# How many workflows carried in definitions a process keeps validated.
CARRIED_KEPT = 16


class PlanMismatchError(ExecutionError):
    """The deployed node catalog plans this workflow differently from the compiled machine."""


class CarriedWorkflows:
    """The workflows carried in their state machines' definitions (Initialize's `workflow`),
    validated: the last `kept` kept by their JSON. A Lambda instance runs the same few
    workflows again and again, and validation (ports completed, types checked) is a function
    of the workflow and the catalog, so each is validated once while kept; so is planning,
    a function of the workflow, the catalog and the group size."""

    def __init__(self, kept: int = CARRIED_KEPT) -> None:
        self._kept_count = kept
        self._kept: OrderedDict[tuple[str, int], tuple[Catalog, Workflow]] = OrderedDict()
        # (the workflow's id(), the catalog's, the group size) -> those, with the plan's digest
        self._plans: OrderedDict[tuple[int, int, int], tuple[Workflow, Catalog, Plan, str]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()  # the embedded engine's tasks share it across threads

    def planned(
        self, workflow: Workflow, catalog: Catalog, max_group_size: int
    ) -> tuple[Plan, str]:
        """The plan of a validated workflow, and its digest."""
        key = (id(workflow), id(catalog), max_group_size)
        with self._lock:
            found = self._plans.get(key)
            if found is not None and found[0] is workflow and found[1] is catalog:
                self._plans.move_to_end(key)
                return found[2], found[3]
        plan = plan_workflow(workflow, catalog, max_group_size=max_group_size)
        digest = plan.digest()
        with self._lock:
            self._plans[key] = (workflow, catalog, plan, digest)
            while len(self._plans) > self._kept_count:
                self._plans.popitem(last=False)
        return plan, digest

    def validated(self, carried: dict[str, Any] | None, catalog: Catalog) -> Workflow:
        """The workflow as carried (keys escaped, statemachine.path_keys) validated against
        `catalog`, or WorkflowValidationError."""
        key = (json.dumps(carried, ensure_ascii=False, separators=(",", ":")), id(catalog))
        with self._lock:
            found = self._kept.get(key)
            if found is not None and found[0] is catalog:
                self._kept.move_to_end(key)
                return found[1]
        valid = validate_workflow(unescape_keys(carried), catalog)
        with self._lock:
            self._kept[key] = (catalog, valid)
            while len(self._kept) > self._kept_count:
                self._kept.popitem(last=False)
        return valid


# The workflows this process's Initialize tasks were given in their definitions, validated.
CARRIED = CarriedWorkflows()


class Initialize(WireModel):
    """What Initialize workflow is given: the state, the workflow (or where it is stored),
    the digest of the plan it was compiled with, and what the first task resolves."""

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

    @field_validator("waits", mode="before")
    @classmethod
    def _restored(cls, value: Any) -> Any:
        """The wait nodes as written: the compiler escaped keys Step Functions would read as
        paths (statemachine.path_keys); the workflow is restored as it is validated."""
        return unescape_keys(value)


def initialize(
    request: Initialize,
    recorder: RecordPorts,
    units: UnitPorts,
    stored: StoredWorkflows,
    deadline: float | None,
) -> WorkflowState:
    """The state the execution's units start from, its `executing` record written."""
    state = request.state
    workflow = _workflow_of(request, units, stored)
    plan = _checked_plan(request, workflow, units)
    payloads = Payloads(units.values, state.execution.organization_id)
    inputs = validate_overrides(
        workflow, payloads.unpack_inputs(state.inputs), units.registry.catalog
    )
    valid = state.model_copy(
        update={"inputs": payloads.pack_inputs(inputs), "workflow_key": request.workflow_key}
    )
    sealed = preloaded(state, request.preload, units.secrets, units.integrations)
    node_ids = request.node_ids or [node.id for node in workflow.nodes]
    started = run_state(recorder, valid, workflow, node_ids, sealed, request.unit_count)
    if state.reused:
        plan = plan or _plan(request, workflow, units)
        hand_out(started, [unit.members for unit in plan.units], payloads, units.progress)
        started = started.model_copy(update={"reused": {}, "resumed": True})
    waits = request.waits or wait_nodes(workflow, request.wait_ids)
    if not waits:
        return started
    # The task before the first unit resolves the wait nodes of Wait states that open the plan.
    resumed = request.wait_units if started.resumed else []
    runner = UnitRunner(started, units, deadline, request.reads, resumed)
    seconds = runner.resolve_waits(waits)
    runner.keep(None, [], request.wait_units, waits)
    runner.announce(units)
    ran = {"output_bytes": runner.output_bytes, "waits": seconds, "waiting": runner.waiting}
    return started.model_copy(update=ran)


def _workflow_of(request: Initialize, units: UnitPorts, stored: StoredWorkflows) -> Workflow:
    catalog = units.registry.catalog
    if request.workflow_key is None:
        return CARRIED.validated(request.workflow, catalog)
    return stored.validated(request.workflow_key, catalog)


def _plan(request: Initialize, workflow: Workflow, units: UnitPorts) -> Plan:
    return CARRIED.planned(workflow, units.registry.catalog, request.max_group_size)[0]


def _checked_plan(request: Initialize, workflow: Workflow, units: UnitPorts) -> Plan | None:
    """The plan, when the machine was compiled with one to check (PlanMismatchError when the
    catalog deployed now plans the workflow otherwise)."""
    if request.plan_digest is None:
        return None
    plan, digest = CARRIED.planned(workflow, units.registry.catalog, request.max_group_size)
    if digest != request.plan_digest:
        raise PlanMismatchError(
            "The node catalog deployed now plans this workflow differently from the "
            "state machine it was compiled into; deploy the workflow again"
        )
    return plan
