"""Live updates, once a record or a unit's results are stored: best effort, a failed send is
logged and never fails an execution."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lambdas.runtime.ports import LiveUpdates
from lambdas.runtime.record import ExecutionRecord
from lambdas.runtime.state import ExecutionContext
from lambdas.runtime.updates import execution_updates, subscribers

# The service's logger: on Lambda, Powertools formats what it logs as JSON.
logger = logging.getLogger("stepthunk")


def notify(
    updates: LiveUpdates | None,
    execution: ExecutionContext,
    status: str,
    node_executions: Iterable[Mapping[str, Any]],
    error: str | None = None,
    *,
    keep: Callable[[], bool] | None = None,
) -> None:
    """Send an `execution_update` to the execution's session, if it has one, and to the
    connections that subscribed to the execution: only connections of its organization.
    An update too large for one message goes as pages, in order, to each connection.

    Nothing is built when nobody listens (`node_executions` may be a generator). With
    `keep`, the update is sent only when `keep()` has kept what it announces (see
    ProgressStore): a node announced completed is then never lost by a cancel.
    """
    if updates is None:
        return
    sessions = filter(None, [execution.session_id, subscribers(execution.id)])
    try:
        listening = {
            session_id: connections
            for session_id in sessions
            if (connections := updates.connections(session_id, execution.organization_id))
        }
        if not listening or (keep is not None and not keep()):
            return
    except Exception:
        logger.warning("Live update not sent", extra={"executionId": execution.id}, exc_info=True)
        return
    messages = execution_updates(
        execution_id=execution.id,
        workflow_id=execution.workflow_id,
        status=status,
        node_executions=node_executions,
        error=error,
    )
    for session_id, connections in listening.items():
        try:
            updates.deliver(session_id, connections, messages)
        except Exception:
            logger.warning(
                "Live update not sent", extra={"executionId": execution.id}, exc_info=True
            )


def announce(
    updates: LiveUpdates | None, execution: ExecutionContext, record: ExecutionRecord
) -> None:
    """Send the update of a record just stored: its status, its error and every node."""
    nodes = (e.to_json() for e in record.node_executions)  # built only if someone listens
    notify(updates, execution, record.status, nodes, record.error)
