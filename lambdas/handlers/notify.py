"""Sending live updates, best effort: a failed send is logged and never fails an execution."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.handlers.observability import logger
from lambdas.runtime.ports import LiveUpdates
from lambdas.runtime.state import ExecutionContext
from lambdas.runtime.updates import execution_update, subscribers


def notify(
    updates: LiveUpdates | None,
    execution: ExecutionContext,
    status: str,
    node_executions: Iterable[Mapping[str, Any]],
    error: str | None = None,
) -> None:
    """Send an `execution_update` to the execution's session, if it has one, and to the
    connections that subscribed to the execution: only connections of its organization."""
    if updates is None:
        return
    message = execution_update(
        execution_id=execution.id,
        workflow_id=execution.workflow_id,
        status=status,
        node_executions=node_executions,
        error=error,
    )
    for session_id in filter(None, [execution.session_id, subscribers(execution.id)]):
        try:
            updates.send(session_id, message, execution.organization_id)
        except Exception:  # noqa: BLE001 - a live update is a courtesy: the execution goes on
            logger.warning(
                "Live update not sent", extra={"executionId": execution.id}, exc_info=True
            )
