"""Live progress of a run in the terminal, fed by the execution's live updates (rich)."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from lambdas.runtime.payload import is_reference
from local.display import STATUS_STYLES, compact, shown
from statemachine.model import Workflow

STYLES = {str(status): style for status, style in STATUS_STYLES.items()}


class LiveProgress:
    """A table of the workflow's nodes, redrawn as `execution_update` messages arrive.

    Each message, or page of one, replaces the entries of the nodes it holds, so the table
    ends with the whole final record however many pages it came in. Messages come from the
    engine's thread; rich's Live redraws from its own.
    """

    def __init__(self, console: Console, workflow: Workflow) -> None:
        self.workflow = workflow
        self.status = "submitted"
        self.nodes: dict[str, dict[str, Any]] = {
            node.id: {"status": "idle"} for node in workflow.nodes
        }
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=console, transient=True, auto_refresh=False)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(None, None, None)

    def update(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.status = str(message.get("status", self.status))
            for execution in message.get("nodeExecutions", []):
                node_id = execution.get("nodeId")
                if node_id in self.nodes:
                    self.nodes[node_id] = execution
            table = self._table()
        self._live.update(table, refresh=True)

    def _table(self) -> Table:
        types = {node.id: node.type for node in self.workflow.nodes}
        table = Table(title=shown(f"{self.workflow.name}: {self.status}"), title_justify="left")
        for column in ("node", "type", "status", "result"):
            table.add_column(column, overflow="fold")
        for node_id, execution in self.nodes.items():
            status = str(execution.get("status", "idle"))
            outputs = execution.get("outputs") or {}
            detail = execution.get("error") or ", ".join(
                f"{k}={_shown(v)}" for k, v in outputs.items()
            )
            if execution.get("waitingFor") == "event":  # only --event or its timeout ends it
                detail = "waiting for an event (run with --event NODE=JSON to send one)"
            if execution.get("waitingFor") == "form":  # run serves no page: --event answers
                detail = "waiting for a form's answer (run with --event NODE=JSON to answer)"
            table.add_row(
                shown(node_id),
                shown(types[node_id]),
                Text(status, style=STYLES.get(status, "")),
                shown(detail),
            )
        return table


def _shown(value: Any) -> str:
    """A value in a cell: a large one comes by reference, which says nothing to a user."""
    return "(large value)" if is_reference(value) else compact(value, 40)
