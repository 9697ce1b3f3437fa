"""Date nodes: the current time as an ISO-8601 UTC string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.record import utc_now
from statemachine.model import ParameterType

family = NodeFamily("Date")


@family.node(
    "date-now",
    "Now",
    "The current UTC date and time",
    outputs=(port("date", ParameterType.DATE),),
    inlinable=False,
)
def date_now(ctx: NodeContext) -> Mapping[str, Any]:
    return {"date": utc_now()}
