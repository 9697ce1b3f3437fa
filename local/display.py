"""Terminal rendering for the CLI: records, validation problems, node types (rich)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, NodeStatus
from statemachine.catalog import NodeTypeSpec, PortSpec
from statemachine.model import Workflow
from statemachine.problems import ValidationProblem

STATUS_STYLES = {
    NodeStatus.COMPLETED: "green",
    NodeStatus.ERROR: "bold red",
    NodeStatus.SKIPPED: "yellow",
    NodeStatus.IDLE: "dim",
    NodeStatus.EXECUTING: "cyan",
    ExecutionStatus.COMPLETED: "bold green",
    ExecutionStatus.ERROR: "bold red",
    ExecutionStatus.EXHAUSTED: "bold magenta",
    ExecutionStatus.CANCELLED: "bold yellow",
}


def compact(value: Any, width: int = 60) -> str:
    """A value as one line of JSON, shortened to `width` characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def print_problems(console: Console, problems: Iterable[ValidationProblem]) -> None:
    listed = list(problems)
    console.print(f"[bold red]Invalid workflow[/]: {len(listed)} problem(s)")
    for problem in listed:
        console.print(Text.assemble("  ", (problem.code, "red"), " ", problem.message))


def print_record(console: Console, record: ExecutionRecord, workflow: Workflow) -> None:
    """Each node's status with its outputs or error, then the workflow's outcome."""
    types = {node.id: node.type for node in workflow.nodes}
    table = Table(title=f"{record.workflow_name} ({record.workflow_id})", title_justify="left")
    for column in ("node", "type", "status", "result"):
        table.add_column(column, overflow="fold")
    for execution in record.node_executions:
        if execution.status == NodeStatus.COMPLETED:
            detail = ", ".join(f"{k}={compact(v)}" for k, v in (execution.outputs or {}).items())
        elif execution.status == NodeStatus.SKIPPED:
            detail = f"{execution.skip_reason} (blocked by {', '.join(execution.blocked_by or [])})"
        else:
            detail = execution.error or ""
        style = STATUS_STYLES.get(execution.status, "")
        table.add_row(
            execution.node_id,
            types.get(execution.node_id, ""),
            Text(execution.status, style=style),
            detail,
        )
    console.print(table)
    outcome = Text.assemble(
        "Execution ",
        (record.id, "bold"),
        " ",
        (record.status, STATUS_STYLES.get(record.status, "")),
        f" · usage {record.usage}",
    )
    if record.error:
        outcome.append(f" · {record.error}", style="red")
    console.print(outcome)


def _ports(ports: Iterable[PortSpec]) -> str:
    return ", ".join(
        f"{p.name}{'*' if p.required else ''}:{p.type}{'[]' if p.repeated else ''}" for p in ports
    )


def print_node_types(console: Console, specs: Iterable[NodeTypeSpec]) -> None:
    table = Table(caption="* required, [] repeated, _n dynamic", caption_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("category", "inputs", "outputs", "inline", "usage"):
        table.add_column(column, overflow="fold")
    for spec in specs:
        inputs = _ports(spec.inputs)
        if spec.dynamic_inputs:
            inputs += (
                f"{', ' if inputs else ''}{spec.dynamic_inputs.prefix}_n:{spec.dynamic_inputs.type}"
            )
        outputs = _ports(spec.outputs)
        if spec.dynamic_outputs:
            dynamic = spec.dynamic_outputs
            outputs += f"{', ' if outputs else ''}{dynamic.prefix}_n:{dynamic.type}"
        table.add_row(
            spec.id,
            spec.category,
            inputs,
            outputs,
            "yes" if spec.inlinable else "no",
            str(spec.usage),
        )
    console.print(table)
