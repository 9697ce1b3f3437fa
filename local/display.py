"""Terminal rendering for the CLI: records, validation problems, node types (rich).

Text a user wrote (workflow names, node ids, values, messages quoting them) reaches the
terminal only through `shown` or `visible`: it is never read as rich markup, and the
characters a terminal would act on are written as escapes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text

from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, NodeStatus
from statemachine.catalog import DynamicPorts, NodeTypeSpec, PortSpec
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


# What a terminal acts on instead of showing: C0 and C1 controls (ESC starts ANSI sequences
# that colour, link or retitle; CR and backspace overwrite what came before), DEL, line and
# paragraph separators, and the bidirectional marks, overrides and isolates that reorder
# the text after them. JSON escapes those below U+0020 itself.
_ACTED_ON_BEYOND_JSON = r"\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSHOWN = re.compile(rf"[\x00-\x1f{_ACTED_ON_BEYOND_JSON}]")
_UNSHOWN_IN_JSON = re.compile(rf"[{_ACTED_ON_BEYOND_JSON}]")
# Arrays and objects of more items are printed on one line (see terminal_json).
ONE_LINE_ITEMS = 1000
_MARK_PREFIX = "stepthunk-one-line-"
_MARK = re.compile(rf'"({_MARK_PREFIX}[0-9a-f-]{{36}})"')


def visible(text: str) -> str:
    """`text` with every character a terminal would act on written as an escape (`\\x1b`,
    `\\n`, `\\u202e`), so that it is shown, never executed."""
    return _UNSHOWN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    named = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(code)
    return named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(text: object, style: str = "") -> Text:
    """User text as a rich renderable: never read as markup (`[/]`, `[link=...]` stay as
    written), its control characters visible."""
    return Text(visible(str(text)), style=style)


def terminal_json(data: Any) -> str:
    """`data` as indented JSON whose strings hold nothing a terminal acts on: the characters
    JSON leaves as they are are escaped too (`\\u009b`, `\\u202e`: the same string to a
    reader).

    An array or object of more than ONE_LINE_ITEMS items is written on one line: json
    indents in Python, about two seconds per million values, where its one-line encoder is
    C (a run's record holding a 10 MB array took eight seconds to print).
    """
    one_line: dict[str, Any] = {}
    text = json.dumps(_marked(data, one_line), indent=2, ensure_ascii=False)
    if one_line:
        text = _MARK.sub(lambda mark: _unmarked(mark, one_line), text)
    return _UNSHOWN_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _unmarked(mark: re.Match[str], one_line: dict[str, Any]) -> str:
    """The one-line JSON of the value a mark stands for (a string that only looks like a
    mark stays as it is)."""
    name = mark.group(1)
    return json.dumps(one_line[name], ensure_ascii=False) if name in one_line else mark.group(0)


def _marked(value: Any, one_line: dict[str, Any]) -> Any:
    """`value` with each array or object of more than ONE_LINE_ITEMS items replaced by a
    mark (a string no value holds), kept in `one_line` by mark."""
    if not isinstance(value, list | dict):
        return value
    if len(value) > ONE_LINE_ITEMS:
        mark = f"{_MARK_PREFIX}{uuid.uuid4()}"
        one_line[mark] = value
        return mark
    if isinstance(value, dict):
        return {key: _marked(item, one_line) for key, item in value.items()}
    return [_marked(item, one_line) for item in value]


def print_json(console: Console, data: Any) -> None:
    """`data` as JSON, coloured on a terminal (as rich's print_json, which would write the
    characters `terminal_json` escapes as they are)."""
    console.print(JSONHighlighter()(terminal_json(data)), soft_wrap=True)


def print_plain_json(data: Any) -> None:
    """`data` as JSON on standard output, for scripts to parse."""
    # Plain print: rich would re-wrap and colour what scripts parse.
    print(terminal_json(data))


def compact(value: Any, width: int = 60) -> str:
    """A value as one line of JSON, shortened to `width` characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def print_problems(
    console: Console, problems: Iterable[ValidationProblem], count: int | None = None
) -> None:
    """The problems listed, under the `count` found (more than listed when the list was cut)."""
    listed = list(problems)
    count = len(listed) if count is None else count
    console.print(Text.assemble(("Invalid workflow", "bold red"), f": {count} problem(s)"))
    for problem in listed:
        console.print(Text.assemble("  ", (problem.code, "red"), " ", shown(problem.message)))
    if count > len(listed):
        console.print(f"  ... and {count - len(listed)} more", highlight=False)


def print_record(console: Console, record: ExecutionRecord, workflow: Workflow) -> None:
    """Each node's status with its outputs or error (and how often it was tried, when a
    retry policy tried it more than once), then the workflow's outcome."""
    types = {node.id: node.type for node in workflow.nodes}
    title = shown(f"{record.workflow_name} ({record.workflow_id})")
    table = Table(title=title, title_justify="left")
    for column in ("node", "type", "status", "result"):
        table.add_column(column, overflow="fold")
    for execution in record.node_executions:
        if execution.status == NodeStatus.COMPLETED:
            detail = ", ".join(f"{k}={compact(v)}" for k, v in (execution.outputs or {}).items())
        elif execution.status == NodeStatus.SKIPPED:
            detail = f"{execution.skip_reason} (blocked by {', '.join(execution.blocked_by or [])})"
        else:
            detail = execution.error or ""
        if execution.attempts is not None and execution.attempts > 1:  # a retry policy's
            detail = f"{detail} · {execution.attempts} attempts"
        style = STATUS_STYLES.get(execution.status, "")
        table.add_row(
            shown(execution.node_id),
            shown(types.get(execution.node_id, "")),
            Text(execution.status, style=style),
            shown(detail),
        )
    console.print(table)
    outcome = Text.assemble(
        "Execution ",
        shown(record.id, "bold"),
        " ",
        (record.status, STATUS_STYLES.get(record.status, "")),
        f" · usage {record.usage}",
    )
    if record.error:
        outcome.append_text(shown(f" · {record.error}", "red"))
    console.print(outcome)


def _port_lines(ports: Iterable[PortSpec], dynamic: DynamicPorts | None) -> str:
    """One `name*: type[]` line per port (a line breaks only after the colon, so names stay
    whole however narrow the terminal), numbered ports as `prefix_n`."""
    lines = [
        f"{port.name}{'*' if port.required else ''}: {port.type}{'[]' if port.repeated else ''}"
        for port in ports
    ]
    if dynamic is not None:
        lines.append(f"{dynamic.prefix}_n: {dynamic.type}")
    return "\n".join(lines)


def print_node_types(console: Console, specs: Iterable[NodeTypeSpec]) -> None:
    """The catalog, one row per type, grouped by category."""
    # Padding collapsed and a least width for the widest port name (for-each's
    # "toleratedFailures:"): every name shows whole within 80 columns.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("node type", no_wrap=True)
    table.add_column("inputs", min_width=18)
    table.add_column("outputs")
    table.add_column("inline", no_wrap=True)
    table.add_column("usage", no_wrap=True, justify="right")
    category = None
    for spec in specs:
        if spec.category != category:
            category = spec.category
            table.add_row(Text(category, style="bold"))
        table.add_row(
            spec.id,
            Text(_port_lines(spec.inputs, spec.dynamic_inputs)),
            Text(_port_lines(spec.outputs, spec.dynamic_outputs)),
            "yes" if spec.inlinable else "no",
            str(spec.usage),
        )
    console.print(table)
    console.print(
        "* required, [] repeated, _n numbered (any count). "
        "`stepthunk node-types TYPE` describes one type.",
        soft_wrap=False,
        highlight=False,
    )


def print_node_type(console: Console, spec: NodeTypeSpec) -> None:
    """One node type: what it does, then each port with its type, flags, default and meaning."""
    console.print(
        Text.assemble((spec.id, "bold"), f" · {spec.name} · {spec.category}"), soft_wrap=False
    )
    if spec.description:  # wrapped at words, as the tables are
        console.print(Text(spec.description), soft_wrap=False)
    facts = [
        "inlinable (runs inside an inline group)" if spec.inlinable else "runs as its own task",
        f"usage {spec.usage}",
    ]
    if spec.reads_secrets:
        facts.append("reads secrets")
    if spec.uses_integrations:
        facts.append("uses integrations")
    console.print(" · ".join(facts), style="dim", soft_wrap=False, highlight=False)
    inputs = _port_table("Inputs", with_defaults=True)
    for port in spec.inputs:
        inputs.add_row(
            port.name,
            Text(_type(port)),
            "yes" if port.required else "",
            Text("" if port.default is None else compact(port.default, 24)),
            Text(port.description),
        )
    _add_numbered(inputs, spec.dynamic_inputs, with_defaults=True)
    outputs = _port_table("Outputs", with_defaults=False)
    for port in spec.outputs:
        outputs.add_row(port.name, Text(_type(port)), Text(port.description))
    _add_numbered(outputs, spec.dynamic_outputs, with_defaults=False)
    for table in (inputs, outputs):
        if table.row_count:
            console.print()
            console.print(table)


def _port_table(title: str, *, with_defaults: bool) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("port", no_wrap=True)
    table.add_column("type", no_wrap=True)
    if with_defaults:
        table.add_column("required", no_wrap=True)
        table.add_column("default", overflow="fold")
    table.add_column("description", ratio=1)
    return table


def _type(port: PortSpec) -> str:
    return f"{port.type}[]" if port.repeated else str(port.type)


def _add_numbered(table: Table, dynamic: DynamicPorts | None, *, with_defaults: bool) -> None:
    if dynamic is None:
        return
    names = f"{dynamic.prefix}_1, {dynamic.prefix}_2, ..."
    description = f"{dynamic.description} (numbered: any count of {names})"
    flags = ("", "") if with_defaults else ()
    table.add_row(f"{dynamic.prefix}_n", str(dynamic.type), *flags, Text(description))
