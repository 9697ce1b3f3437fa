"""Time nodes: the current time, and waiting."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.record import utc_now
from statemachine.catalog import Duration
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import ParameterType

family = NodeFamily("Date")

# Step Functions' Wait state waits at most a year.
MAX_WAIT_SECONDS = 365 * 24 * 3600
SECONDS = Duration(
    input="seconds",
    maximum=MAX_WAIT_SECONDS,
    reason="a Step Functions Wait state waits at most a year",
    whole_seconds=True,
)


@family.node(
    "date-now",
    "Now",
    "The current UTC date and time",
    outputs=(port("date", ParameterType.DATE, "Now, as an ISO-8601 UTC date and time"),),
    inlinable=False,
)
def date_now(ctx: NodeContext) -> Mapping[str, Any]:
    return {"date": utc_now()}


@family.node(
    "wait",
    "Wait",
    "Waits `seconds`, then passes `value` on (a Step Functions Wait state: no compute is used)",
    inputs=(
        port(
            "seconds",
            ParameterType.NUMBER,
            "Whole seconds to wait (a fraction is rounded up)",
            required=True,
        ),
        port("value", ParameterType.ANY, "Passed on unchanged after the wait"),
    ),
    outputs=(port("value", ParameterType.ANY, "`value`, once the wait is over"),),
    inlinable=False,
    duration=SECONDS,
)
def wait(ctx: NodeContext) -> Mapping[str, Any]:
    seconds = wait_seconds(ctx.inputs)
    ends_by = ctx.environment.ends_by
    if ends_by is not None and time.time() + seconds > ends_by:
        raise NodeError(
            f"Waiting {seconds} s would take this execution past the {EXPRESS_MAX_SECONDS} s "
            "an Express state machine lets a short-lived workflow run"
        )
    if not ctx.environment.defer_waits:
        time.sleep(seconds)
    return {"value": ctx.inputs.get("value")}


def wait_seconds(inputs: Mapping[str, Any]) -> int:
    """The whole seconds a wait node waits: Step Functions' Wait state takes only integers,
    so a fraction is rounded up (on every engine, so that they agree)."""
    seconds: float = inputs["seconds"]
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise NodeError(f"Input 'seconds' must be between 0 and {MAX_WAIT_SECONDS}, got {seconds}")
    return math.ceil(seconds)
