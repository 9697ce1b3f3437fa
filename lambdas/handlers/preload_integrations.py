"""Preload integrations: the organization's integrations, sealed, into the state (SPEC §7).

No machine compiled now calls it (Initialize workflow preloads): it serves the state machines
deployed through the API before, until their workflows are deployed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.settings import IntegrationsTable
from lambdas.handlers.wiring import Clients, integrations
from lambdas.runtime.ports import IntegrationVault
from lambdas.runtime.state import WorkflowState


class Settings(IntegrationsTable):
    pass


@dataclass(frozen=True)
class Deps:
    integrations: IntegrationVault


def deps_from(settings: Settings, clients: Clients) -> Deps:
    return Deps(integrations=integrations(settings, clients))


class Event(BaseModel):
    state: WorkflowState


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    state = Event.model_validate(event).state
    sealed = deps.integrations.sealed(state.execution.organization_id)
    return state.model_copy(
        update={"sealed": state.sealed.model_copy(update={"integrations": sealed})}
    ).to_json()


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
