"""Live update messages (SPEC §8), shrunk to fit a WebSocket frame."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.runtime.payload import is_reference

MESSAGE_TYPE = "execution_update"
# API Gateway WebSocket frames are at most 128 KB; leave room for framing.
MESSAGE_LIMIT = 120 * 1024


def subscribers(execution_id: str) -> str:
    """The session under which connections that subscribed to an execution are stored."""
    return f"execution#{execution_id}"


def execution_update(
    *,
    execution_id: str,
    workflow_id: str,
    status: str,
    node_executions: Iterable[Mapping[str, Any]],
    error: str | None = None,
) -> dict[str, Any]:
    """The `execution_update` message for node executions given as JSON.

    Values stored by reference are left out (a client reads them from the record); when the
    message is still too large, node inputs go, then outputs: statuses always fit.
    """
    nodes = [_without_references(dict(e)) for e in node_executions]
    message: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "executionId": execution_id,
        "workflowId": workflow_id,
        "status": status,
        "nodeExecutions": nodes,
    }
    if error:
        message["error"] = error
    for part in ("inputs", "outputs"):
        if _size(message) <= MESSAGE_LIMIT:
            break
        for node in nodes:
            node.pop(part, None)
    return message


def _without_references(execution: dict[str, Any]) -> dict[str, Any]:
    for part in ("inputs", "outputs"):
        values = execution.get(part)
        if values:
            execution[part] = {k: v for k, v in values.items() if not is_reference(v)}
    return execution


def _size(message: Mapping[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
