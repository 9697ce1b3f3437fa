"""Date nodes: the current time as an ISO-8601 UTC string."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Date")


def iso_utc(moment: datetime) -> str:
    """`moment` as ISO-8601 UTC with milliseconds and a trailing Z (JavaScript's toISOString)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@family.node(
    "date-now",
    "Now",
    "The current UTC date and time",
    outputs=(port("date", ParameterType.DATE),),
    inlinable=False,
)
def date_now(ctx: NodeContext) -> Mapping[str, Any]:
    return {"date": iso_utc(datetime.now(UTC))}
