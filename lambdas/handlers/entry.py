"""Turning a plain `process(event, deps, invocation)` into a Lambda handler with Powertools."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.handlers.observability import logger, metrics, tracer

D = TypeVar("D")

# Node code stops this long before the Lambda's own timeout, so a task can still report.
SAFETY_MARGIN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Invocation:
    """What a handler knows of its invocation: the `time.monotonic()` instant to finish by,
    and how fast nodes' timeouts run out (1 on AWS; an engine under test runs them faster)."""

    deadline: float | None = None
    time_scale: float = 1.0

    @classmethod
    def within(cls, seconds: float) -> Invocation:
        return cls(time.monotonic() + max(0.0, seconds - SAFETY_MARGIN_SECONDS))


Process = Callable[[dict[str, Any], D, Invocation], dict[str, Any]]


def lambda_handler(
    build_deps: Callable[[], D],
    process: Process[D],
    observe: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point: deps built once per cold start, then `process` per event.

    `observe` sees each result inside the Powertools wrappers (to add metrics); `process`
    itself stays free of them, so that the embedded engine can call it directly.
    """
    built: list[D] = []

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not built:
            built.append(build_deps())
        invocation = Invocation.within(context.get_remaining_time_in_millis() / 1000)
        result = process(event, built[0], invocation)
        if observe is not None:
            observe(result)
        return result

    traced = tracer.capture_lambda_handler(handler)
    # Only handlers that publish metrics flush them (an empty flush logs a warning each call).
    measured = metrics.log_metrics(traced) if observe is not None else traced
    logged: Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
    logged = logger.inject_lambda_context(measured, clear_state=True)
    return logged
