"""Check credits: may the organization afford the workflow's estimate? (SPEC §6)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import Mode, OrganizationsTable
from lambdas.handlers.wiring import Clients, organizations
from lambdas.runtime.credits import INSUFFICIENT_CREDITS, may_start
from lambdas.runtime.errors import CreditsExhausted
from lambdas.runtime.ports import OrganizationStore
from lambdas.runtime.state import Credits, WorkflowState


class Settings(OrganizationsTable, Mode):
    pass


@dataclass(frozen=True)
class Deps:
    organizations: OrganizationStore
    development: bool


def deps_from(settings: Settings, clients: Clients) -> Deps:
    return Deps(organizations=organizations(settings, clients), development=settings.development)


class Event(BaseModel):
    state: WorkflowState
    estimate: int


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    return state.model_copy(
        update={"credits": check_credits(state, request.estimate, deps)}
    ).to_json()


def check_credits(state: WorkflowState, estimate: int, deps: Deps) -> Credits:
    """Allowed in development mode; else when usage + estimate fits the compute credits,
    or CreditsExhausted."""
    if deps.development:
        return Credits(estimate=estimate)
    if not may_start(deps.organizations, state.execution.organization_id, estimate):
        logger.info(
            INSUFFICIENT_CREDITS,
            extra={"organization": state.execution.organization_id, "estimate": estimate},
        )
        raise CreditsExhausted(INSUFFICIENT_CREDITS)
    return Credits(estimate=estimate)


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
