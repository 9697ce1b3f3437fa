"""CSV nodes: text to a table and back, one column of a table, the rows that match.

A table is Dafthunk's `{schema: {name, fields: [{name, type}]}, data: [row objects]}`.
Parsing reads one record per line (a quoted field may hold the delimiter, not a line
break), infers booleans and numbers, and types each field from the first row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from lambdas.nodes.jsdates import parse_js_date
from lambdas.nodes.jsvalues import js_string, js_stringify, js_to_number, js_trim, js_type
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType
from statemachine.port_types import fits

family = NodeFamily("CSV")

STRING = ParameterType.STRING
JSON = ParameterType.JSON
NUMBER = ParameterType.NUMBER
_LINE_BREAK = re.compile(r"\r?\n")
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _delimiter(ctx: NodeContext) -> str:
    delimiter = ctx.inputs.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise NodeError("Delimiter must be a single character string")
    return delimiter


@family.node(
    "csv-parse",
    "CSV Parse",
    "CSV text as a table: the first line names the columns (or they are column_0, "
    "column_1, ... without `hasHeader`); true/false and numbers are read as such",
    inputs=(
        port("csv", STRING, "The CSV text", required=True, fallback=True, lenient=True),
        port("delimiter", STRING, "The one character between fields", default=",", hidden=True),
        port(
            "hasHeader",
            ParameterType.BOOLEAN,
            "Whether the first line names the columns",
            default=True,
            hidden=True,
        ),
    ),
    outputs=(
        port("table", JSON, "The table: {schema: {name, fields}, data: [rows]}"),
        port("rowCount", NUMBER, "How many rows of data", hidden=True),
    ),
)
def csv_parse(ctx: NodeContext) -> Mapping[str, Any]:
    if "csv" not in ctx.inputs:
        raise NodeError("Missing required input: csv")
    text = ctx.inputs["csv"]
    if not isinstance(text, str):
        raise NodeError(f"Invalid input type for csv: expected string, got {js_type(text)}")
    delimiter = _delimiter(ctx)
    rows = [_fields(line, delimiter) for line in _LINE_BREAK.split(js_trim(text)) if js_trim(line)]
    if not rows:
        raise NodeError("No valid rows found in CSV")
    if ctx.inputs.get("hasHeader", True):
        headers, records = rows[0], rows[1:]
    else:
        headers, records = [f"column_{i}" for i in range(len(rows[0]))], rows
    data = [
        {header: _infer(row[i] if i < len(row) else "") for i, header in enumerate(headers)}
        for row in records
    ]
    first = data[0] if data else {}
    fields = [{"name": header, "type": _field_type(first.get(header))} for header in headers]
    table = {"schema": {"name": "csv_data", "fields": fields}, "data": data}
    return {"table": table, "rowCount": len(data)}


def _fields(line: str, delimiter: str) -> list[str]:
    """The fields of one line: a quote toggles quoting wherever it is, "" inside quotes
    is one quote, and the delimiter separates fields outside quotes."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    position = 0
    while position < len(line):
        char = line[position]
        if char == '"':
            if quoted and line.startswith('"', position + 1):
                current.append('"')
                position += 1
            else:
                quoted = not quoted
        elif char == delimiter and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    fields.append("".join(current))
    return fields


def _infer(text: str) -> Any:
    """A field's value: "" stays "", true/false (any case) are booleans, what JavaScript's
    Number() reads as a finite number is a number, anything else is the trimmed text."""
    trimmed = js_trim(text)
    if trimmed == "":
        return ""
    if trimmed.lower() in ("true", "false"):
        return trimmed.lower() == "true"
    number = js_to_number(trimmed)
    # fits: finite, an integer within a double's range too (JavaScript reads one beyond it as
    # Infinity; math.isfinite() would raise OverflowError)
    return number if fits(number, NUMBER) else trimmed


def _field_type(sample: Any) -> str:
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int | float):
        return "integer" if float(sample).is_integer() else "number"
    if isinstance(sample, str) and _DATE_LIKE.search(sample) and parse_js_date(sample):
        return "datetime"
    return "string"


_TABLE_INPUT = port(
    "table", JSON, "A table: {schema: {name, fields}, data: [rows]}", required=True, fallback=True
)


def _table(ctx: NodeContext) -> dict[str, Any]:
    """The table input, or the node error Dafthunk gives (its fields and rows are checked
    later, after the other inputs, in Dafthunk's order)."""
    table = ctx.inputs.get("table")
    if table is None:
        raise NodeError("Missing required input: table")
    if not isinstance(table, dict):
        raise NodeError("Invalid input type for table: expected Table object")
    return table


def _fields_of(table: dict[str, Any]) -> list[dict[str, Any]]:
    schema = table.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list):
        raise NodeError("Invalid table structure: missing or invalid 'schema.fields' array")
    return [field if isinstance(field, dict) else {} for field in fields]


def _rows_of(table: dict[str, Any]) -> list[Any]:
    data = table.get("data")
    if not isinstance(data, list):
        raise NodeError("Invalid table structure: missing or invalid 'data' array")
    return data


def _cell(row: Any, column: str) -> Any:
    return row.get(column) if isinstance(row, dict) else None


@family.node(
    "csv-stringify",
    "CSV Stringify",
    "A table as CSV text, a header line first unless `includeHeader` is false; a field "
    "holding the delimiter, a quote or a line break is quoted",
    inputs=(
        _TABLE_INPUT,
        port("delimiter", STRING, "The one character between fields", default=",", hidden=True),
        port(
            "includeHeader",
            ParameterType.BOOLEAN,
            "Whether to write the column names first",
            default=True,
            hidden=True,
        ),
    ),
    outputs=(
        port("csv", STRING, "The CSV text, lines separated by \\n"),
        port("rowCount", NUMBER, "How many rows of data", hidden=True),
    ),
)
def csv_stringify(ctx: NodeContext) -> Mapping[str, Any]:
    table = _table(ctx)
    delimiter = _delimiter(ctx)
    fields, rows = _fields_of(table), _rows_of(table)
    names = [js_string(field.get("name")) for field in fields]
    lines = [_line(names, delimiter)] if ctx.inputs.get("includeHeader", True) else []
    for row in rows:
        lines.append(_line([_text(_cell(row, name)) for name in names], delimiter))
    return {"csv": "\n".join(lines), "rowCount": len(rows)}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return js_stringify(value)
    return js_string(value)


def _line(values: list[str], delimiter: str) -> str:
    return delimiter.join(
        '"' + value.replace('"', '""') + '"'
        if any(special in value for special in (delimiter, '"', "\n", "\r"))
        else value
        for value in values
    )


_COLUMN_INPUT = port(
    "column", STRING, "The column's name", required=True, fallback=True, lenient=True
)


def _column(ctx: NodeContext) -> str:
    column = ctx.inputs.get("column")
    if not column or not isinstance(column, str):
        raise NodeError("Missing or invalid required input: column")
    return column


def _check_column(column: str, fields: list[dict[str, Any]]) -> None:
    names = [field.get("name") for field in fields]
    if column not in names:
        shown = ", ".join(js_string(name) if name is not None else "undefined" for name in names)
        raise NodeError(f"Column '{column}' not found in table. Available columns: {shown}")


@family.node(
    "csv-extract-column",
    "CSV Extract Column",
    "The values of one column of a table, in row order",
    inputs=(_TABLE_INPUT, _COLUMN_INPUT),
    outputs=(
        port("values", JSON, "The column's values, as an array"),
        port("count", NUMBER, "How many values", hidden=True),
    ),
)
def csv_extract_column(ctx: NodeContext) -> Mapping[str, Any]:
    table = _table(ctx)
    column = _column(ctx)
    fields, rows = _fields_of(table), _rows_of(table)
    _check_column(column, fields)
    values = [_cell(row, column) for row in rows]
    return {"values": values, "count": len(values)}


def _numbers(compare: Callable[[float, float], bool]) -> Callable[[Any, str], bool]:
    def matches(cell: Any, wanted: str) -> bool:
        a, b = js_to_number(cell), js_to_number(wanted)
        return not (math.isnan(a) or math.isnan(b)) and compare(a, b)

    return matches


def _texts(compare: Callable[[str, str], bool]) -> Callable[[Any, str], bool]:
    return lambda cell, wanted: compare(js_string("" if cell is None else cell), wanted)


OPERATORS: dict[str, Callable[[Any, str], bool]] = {
    "equals": _texts(lambda a, b: a == b),
    "notEquals": _texts(lambda a, b: a != b),
    "contains": _texts(lambda a, b: b in a),
    "notContains": _texts(lambda a, b: b not in a),
    "startsWith": _texts(str.startswith),
    "endsWith": _texts(str.endswith),
    "greaterThan": _numbers(lambda a, b: a > b),
    "lessThan": _numbers(lambda a, b: a < b),
    "greaterThanOrEqual": _numbers(lambda a, b: a >= b),
    "lessThanOrEqual": _numbers(lambda a, b: a <= b),
}


@family.node(
    "csv-filter-rows",
    "CSV Filter Rows",
    "The rows of a table whose `column` matches `value` by `operator`: equals, notEquals, "
    "contains, notContains, startsWith, endsWith (as text), greaterThan, lessThan, "
    "greaterThanOrEqual, lessThanOrEqual (as numbers; never for what is not a number)",
    inputs=(
        _TABLE_INPUT,
        _COLUMN_INPUT,
        port("operator", STRING, "How to compare", required=True, fallback=True, lenient=True),
        port("value", STRING, "What to compare with", required=True, fallback=True, lenient=True),
    ),
    outputs=(
        port("table", JSON, "The table with only the matching rows"),
        port("matchCount", NUMBER, "How many rows match", hidden=True),
    ),
)
def csv_filter_rows(ctx: NodeContext) -> Mapping[str, Any]:
    table = _table(ctx)
    column = _column(ctx)
    operator = ctx.inputs.get("operator")
    if not operator or not isinstance(operator, str):
        raise NodeError("Missing or invalid required input: operator")
    if "value" not in ctx.inputs:
        raise NodeError("Missing required input: value")
    wanted = ctx.inputs["value"]
    if not isinstance(wanted, str):
        raise NodeError(f"Invalid input type for value: expected string, got {js_type(wanted)}")
    fields, rows = _fields_of(table), _rows_of(table)
    _check_column(column, fields)
    matches = OPERATORS.get(operator)
    if matches is None:
        raise NodeError(f"Invalid operator '{operator}'. Valid operators: {', '.join(OPERATORS)}")
    kept = [row for row in rows if matches(_cell(row, column), wanted)]
    return {"table": {"schema": table["schema"], "data": kept}, "matchCount": len(kept)}
