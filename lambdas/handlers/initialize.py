"""The Initialize workflow task (lambdas.lifecycle.initialize does it): SPEC §5's `Preload
secrets`, `Preload integrations` and `Persist start` in one task, to save a task and a state
transition each per execution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.handlers import persist, units
from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.wiring import Clients, executions, values
from lambdas.lifecycle.initialize import Initialize, initialize
from lambdas.runtime.registry import Registry
from lambdas.runtime.stored import StoredWorkflows


class Settings(units.Settings):
    pass


@dataclass(frozen=True)
class Deps:
    persist: persist.Deps  # the start record
    units: units.Deps  # the nodes' ports (it resolves the seconds of wait nodes by running them)


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
        persist=persist.Deps(
            executions(settings, settings, clients), unit_deps.updates, unit_deps.stored, store
        ),
        units=unit_deps,
    )


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Initialize.model_validate(event)
    deadline = invocation.deadline
    started = initialize(request, deps.persist, deps.units, deps.units.stored, deadline)
    state: dict[str, Any] = started.to_json()
    return state


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
