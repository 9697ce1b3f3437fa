"""Every task of a compiled state machine and the handler module that serves it."""

from __future__ import annotations

import inspect
from types import ModuleType

from lambdas.handlers import (
    check_credits,
    finalize,
    initialize,
    persist,
    preload_integrations,
    preload_secrets,
    run_inline_group,
    run_node,
)

# Keys are the fields of statemachine.compiler.TaskFunctions.
TASKS: dict[str, ModuleType] = {
    "check_credits": check_credits,
    "preload_secrets": preload_secrets,
    "preload_integrations": preload_integrations,
    "initialize": initialize,
    "persist": persist,
    "run_node": run_node,
    "run_inline_group": run_inline_group,
    "finalize": finalize,
}


def runs_nodes(module: ModuleType) -> bool:
    """Whether the handler's dependencies include the node registry (it runs or plans nodes)."""
    return "registry" in inspect.signature(module.deps_from).parameters


def reads_stored(module: ModuleType) -> bool:
    """Whether the handler reads workflows stored by content (and can share them)."""
    return "stored" in inspect.signature(module.deps_from).parameters
