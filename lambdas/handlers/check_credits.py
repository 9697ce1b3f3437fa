"""Check credits: may the organization afford the workflow's estimate? (SPEC §6) The estimate
compiled into the task counts the workflow's nodes; one run of each workflow it calls (as
deployed now) is added here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import (
    BlobBucket,
    CallableWorkflows,
    Mode,
    OrganizationsTable,
    WorkflowsTable,
)
from lambdas.handlers.wiring import Clients, organizations, workflows
from lambdas.nodes import default_registry
from lambdas.runtime.credits import INSUFFICIENT_CREDITS, may_start
from lambdas.runtime.errors import CreditsExhausted
from lambdas.runtime.ports import OrganizationStore
from lambdas.runtime.state import Credits, WorkflowState

if TYPE_CHECKING:
    from lambdas.lifecycle.children import WorkflowLookup


class Settings(OrganizationsTable, Mode, CallableWorkflows, BlobBucket):
    pass


@dataclass(frozen=True)
class Deps:
    organizations: OrganizationStore
    development: bool
    # the organization's workflows, for those a workflow calls (None: not looked up)
    workflows: WorkflowLookup | None = None


def deps_from(settings: Settings, clients: Clients) -> Deps:
    found = None
    if settings.workflows_table is not None:
        table = WorkflowsTable(workflows_table=settings.workflows_table)
        found = workflows(table, settings, clients)
    return Deps(
        organizations=organizations(settings, clients),
        development=settings.development,
        workflows=found,
    )


class Event(BaseModel):
    state: WorkflowState
    estimate: int
    # the workflows it calls (statemachine.calls.called_ids)
    calls: list[str] = Field(default_factory=list)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    credits = check_credits(state, request.estimate, deps, request.calls)
    return state.model_copy(update={"credits": credits}).to_json()


def check_credits(
    state: WorkflowState, estimate: int, deps: Deps, calls: list[str] | None = None
) -> Credits:
    """Allowed in development mode; else when usage + estimate (and one run of each
    workflow `calls` names, and of those they call) fits the compute credits, or
    CreditsExhausted."""
    if deps.development:
        return Credits(estimate=estimate)
    if calls and deps.workflows is not None:
        # loaded here: most workflows call none (the calls' lifecycle is a fifth of the import)
        from lambdas.lifecycle.calls import called_estimate

        catalog = default_registry().catalog
        organization = state.execution.organization_id
        estimate += called_estimate(deps.workflows, organization, calls, catalog)
    if not may_start(deps.organizations, state.execution.organization_id, estimate):
        logger.info(
            INSUFFICIENT_CREDITS,
            extra={"organization": state.execution.organization_id, "estimate": estimate},
        )
        raise CreditsExhausted(INSUFFICIENT_CREDITS)
    return Credits(estimate=estimate)


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
