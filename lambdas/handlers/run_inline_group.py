"""Run inline group: a task running an inline group of cheap nodes in order."""

from __future__ import annotations

from lambdas.handlers.entry import lambda_handler
from lambdas.handlers.units import Deps, Settings, deps_from, process
from lambdas.handlers.wiring import Clients

__all__ = ["Deps", "Settings", "deps_from", "handler", "process"]

handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
