"""Waiting for an event: `wait-for-event` pauses its execution until an event is delivered for
it (the API, `stepthunk run --event`) or its `timeoutSeconds` run out.

The waiting is the engine's (a `.waitForTaskToken` task on Step Functions, the in-process
engine's own wait: lambdas.lifecycle.event_wait); the node's code only marks that it may wait.
Its outputs are produced like a fork's: `payload` when the event arrives, `timedOut` when it
does not, so that a workflow branches on which one flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Events")


@family.node(
    "wait-for-event",
    "Wait for Event",
    "Waits until an event is delivered for this node (POST "
    "/executions/{id}/nodes/{nodeId}/event), at most the node's `timeoutSeconds`: `payload` "
    "is the event's JSON; `timedOut` flows instead when none arrived in time",
    inputs=(
        port(
            "value",
            ParameterType.ANY,
            "Connect a node to wait after it (the value itself is not used)",
        ),
    ),
    outputs=(
        # any: the event is any JSON value, for any input (checked there when it arrives,
        # as `fetch`'s body is)
        port("payload", ParameterType.ANY, "The event (any JSON value), when it arrived"),
        port("timedOut", ParameterType.BOOLEAN, "true, when no event arrived in time"),
    ),
    inlinable=False,
)
def wait_for_event(ctx: NodeContext) -> Mapping[str, Any]:
    return {}  # the engine waits and settles the outputs
