"""Initialize workflow: validate the workflow and the run's inputs, and check the plan.

A WorkflowValidationError is raised as is: the state machine never retries it and its Catch
takes the execution to Finalize, which records every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.settings import BlobBucket
from lambdas.handlers.wiring import Clients, values
from lambdas.nodes import default_registry
from lambdas.runtime.errors import ExecutionError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ValueStore
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import WorkflowState
from statemachine.model import WireModel
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, plan_workflow
from statemachine.validation import validate_overrides, validate_workflow


class PlanMismatchError(ExecutionError):
    """The deployed node catalog plans this workflow differently from the compiled machine."""


class Settings(BlobBucket):
    pass


@dataclass(frozen=True)
class Deps:
    registry: Registry
    values: ValueStore


def deps_from(settings: Settings, clients: Clients, registry: Registry | None = None) -> Deps:
    return Deps(registry=registry or default_registry(), values=values(settings, clients))


class Event(WireModel):
    state: WorkflowState
    workflow: dict[str, Any]
    plan_digest: str | None = None
    max_group_size: int = DEFAULT_MAX_GROUP_SIZE


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    catalog = deps.registry.catalog
    workflow = validate_workflow(request.workflow, catalog)
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
    return state.model_copy(update={"inputs": payloads.pack_inputs(inputs)}).to_json()


handler = lambda_handler(lambda: deps_from(Settings(), Clients()), process)
