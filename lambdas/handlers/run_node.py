"""Run node: a task running one individual unit of the plan (one node)."""

from __future__ import annotations

from lambdas.handlers.entry import lambda_handler
from lambdas.handlers.units import CallingSettings, Deps, deps_from, process
from lambdas.handlers.wiring import Clients

__all__ = ["Deps", "Settings", "deps_from", "handler", "process"]


class Settings(CallingSettings):
    """And the workflows its run-workflow nodes call."""


handler = lambda_handler(lambda: deps_from(Settings.from_environment(), Clients()), process)
