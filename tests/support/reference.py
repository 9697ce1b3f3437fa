"""A second, independent executor for the differential test: SPEC §4 written plainly.

`run(workflow, inputs)` gives the record of SPEC §1 as `ExecutionRecord.to_json()` shows it,
less what each engine chooses alone (execution and organization ids, times). It runs the node
types the differential test draws (its KINDS), each written here from SPEC §10 and the README's
"Nodes" entries. It shares no code with the engines' executor, input gathering, lifecycle or
planner; only validation (SPEC §2), which decides whether a run starts at all, is the project's.

Where SPEC leaves a choice to the README, the README's is taken: integers stay exact (text of
digits read as a number, division of integers that divide, integers printed below 1e21), a
whole float below 2^53 travels as an integer, and messages are Dafthunk's. A record's inputs
list the literals in the catalog's port order, then overrides and edges as they come.

Not covered, because the differential workflows never reach it: ports of a strict type (each
port here is `json`/`any`, or read by its node as JavaScript would), `null` literals, blobs,
secrets, output limits, credits, retries and the other node types.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from graphlib import TopologicalSorter
from typing import Any

from lambdas.nodes import default_registry
from statemachine.errors import WorkflowValidationError
from statemachine.validation import validate_overrides, validate_workflow

Values = dict[str, Any]


class Failed(Exception):
    """A node's error: its message is the node's `error` (SPEC §4.5)."""


# Each kind's inputs in the catalog's order: name -> (type, repeated, default).
PORTS: dict[str, dict[str, tuple[str, bool, Any]]] = {
    "number-input": {"value": ("number", False, 0)},
    "text-input": {"value": ("string", False, None)},
    "boolean-input": {"value": ("boolean", False, False)},
    "json-input": {"json": ("json", False, None)},
    "addition": {"a": ("number", False, None), "b": ("number", False, None)},
    "division": {"a": ("number", False, None), "b": ("number", False, None)},
    "sum": {"numbers": ("number", True, None)},
    "string-concat": {},  # input_1, input_2, ...: strings, joined in numeric order
    "to-string": {"value": ("any", False, None)},
    "conditional-fork": {"value": ("any", False, None), "condition": ("boolean", False, None)},
    "conditional-join": {"true": ("any", False, None), "false": ("any", False, None)},
    "output-any": {"value": ("any", False, None)},
    "json-agg": {"values": ("any", True, None)},
}
# What JavaScript's trim() and Number() take for white space, and the numbers Number() reads.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
JS_SPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
DECIMAL = re.compile(r"[+-]?(Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)")
PREFIXED = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
BASES = {"x": 16, "o": 8, "b": 2}


# JavaScript's conversions, as Dafthunk's nodes apply them, keeping integers exact.


def js_type(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string"}.get(
        type(value), "object"
    )


def whole(x: float) -> int | float:
    """A whole float below 2^53 travels as that integer (6 / 3 is 2)."""
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x


def finite(x: float) -> int | float:
    """A node's numeric result: JSON has no NaN or Infinity, so those fail the node."""
    if isinstance(x, float) and not math.isfinite(x):
        raise Failed("The result is not a finite number")
    return whole(x)


def to_number(value: Any) -> int | float | None:
    """Number(value), None for NaN; text of digits alone is an exact integer within a double's
    range, Infinity beyond it."""
    if value is None or isinstance(value, bool):
        return int(bool(value))
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        return to_number(to_text(value)) if isinstance(value, list) and len(value) < 2 else None
    text = value.strip(JS_SPACE)
    if prefixed := PREFIXED.fullmatch(text):
        try:
            return int(prefixed[2], BASES[prefixed[1].lower()])
        except ValueError:  # 0b12
            return None
    if text == "" or not DECIMAL.fullmatch(text):
        return 0 if text == "" else None
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return whole(float(text))
    if within_double(text):
        return int(text)  # exact
    return math.copysign(math.inf, float(text))  # as Number() reads it


def within_double(digits: str) -> bool:
    """Whether an integer's text is within a double's range (float() reads any number of
    digits, int() at most 4,300)."""
    return math.isfinite(float(digits)) and abs(int(digits)) <= sys.float_info.max


def number_text(x: float) -> str:
    """Number.prototype.toString (ECMA-262 Number::toString); integers below 1e21 exactly."""
    if (isinstance(x, int) and abs(x) < 10**21) or x == 0:
        return str(int(x))
    _, digit_tuple, exponent = Decimal(repr(abs(float(x)))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits, sign = "".join(map(str, digit_tuple)), "-" if x < 0 else ""
    k, n = len(digits), exponent + len(digits)  # |x| is 0.<digits> x 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"


def to_text(value: Any) -> str:
    """String(value)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, list):
        return ",".join("" if item is None else to_text(item) for item in value)
    return "[object Object]" if isinstance(value, dict) else value


def stringify(value: Any, margin: str = "") -> str:
    """JSON.stringify(value, null, 2)."""
    inner = margin + "  "
    if isinstance(value, list) and value:
        items = [inner + stringify(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + f"\n{margin}]"
    if isinstance(value, dict) and value:
        items = [f"{inner}{stringify(k)}: {stringify(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{margin}}}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return json.dumps(value, ensure_ascii=False)  # text, true, false, null, [], {}


# The nodes (SPEC §10, the README's "Nodes"): their inputs -> the outputs they produce.


def number_input(inputs: Values) -> Values:
    value = to_number(inputs.get("value"))
    if value is None:
        raise Failed("Value must be a number")
    return {"value": finite(value)}


def text_input(inputs: Values) -> Values:
    if not isinstance(inputs.get("value"), str):
        raise Failed("Value must be a string")
    return {"value": inputs["value"]}


def boolean_input(inputs: Values) -> Values:
    value = inputs.get("value")
    if isinstance(value, str):
        return {"value": value == "true"}
    return {"value": isinstance(value, list | dict) or bool(value)}  # Boolean(value)


def json_input(inputs: Values) -> Values:
    if "json" not in inputs:
        raise Failed("No JSON value provided")
    return {"json": inputs["json"]}


def operands(inputs: Values) -> tuple[int | float, int | float]:
    for name in ("a", "b"):
        if name not in inputs:
            raise Failed(f"Input '{name}' is required")
    a, b = to_number(inputs["a"]), to_number(inputs["b"])
    if a is None or b is None:
        raise Failed("Both inputs must be numbers")
    return a, b


def addition(inputs: Values) -> Values:
    a, b = operands(inputs)
    return {"result": finite(a + b)}


def division(inputs: Values) -> Values:
    a, b = operands(inputs)
    if b == 0:
        raise Failed("Division by zero is not allowed")
    exact = isinstance(a, int) and isinstance(b, int) and a % b == 0
    return {"result": finite(a // b if exact else a / b)}


def total(inputs: Values) -> Values:
    if "numbers" not in inputs:
        raise Failed("No number inputs provided")
    if not isinstance(inputs["numbers"], list):
        raise Failed("Invalid input type: expected number or array of numbers")
    numbers = []
    for position, item in enumerate(inputs["numbers"]):
        number = to_number(item)
        if number is None:
            got = js_type(item)
            raise Failed(f"Invalid input at position {position}: expected number, got {got}")
        numbers.append(number)
    if all(isinstance(n, int) for n in numbers):
        return {"result": sum(numbers)}  # exact
    if not all(math.isfinite(n) for n in numbers):
        raise Failed("The result is not a finite number")  # Infinity or NaN in JavaScript
    try:
        return {"result": finite(math.fsum(numbers))}  # correctly rounded
    except OverflowError:
        raise Failed("The result is too large") from None


def concat(inputs: Values) -> Values:
    texts = [inputs[name] for name in sorted(inputs, key=lambda n: int(n.split("_")[1]))]
    if not texts:
        raise Failed("No string inputs provided")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            got = js_type(text)
            raise Failed(f"Invalid input at position {position}: expected string, got {got}")
    return {"result": "".join(texts)}


def to_string(inputs: Values) -> Values:
    value = inputs.get("value")
    return {"result": stringify(value) if isinstance(value, list | dict) else to_text(value)}


def fork(inputs: Values) -> Values:
    if not isinstance(inputs.get("condition"), bool):
        raise Failed("Condition must be a boolean.")
    if "value" not in inputs:
        raise Failed("Value input is required.")
    return {"true" if inputs["condition"] else "false": inputs["value"]}


def join(inputs: Values) -> Values:
    if len(inputs) == 1:
        return {"result": next(iter(inputs.values()))}
    both = "both 'true' and 'false' were provided. This violates the exclusive join condition."
    neither = "neither 'true' nor 'false' was provided. This suggests an error in the workflow"
    why = both if inputs else neither + " design."
    raise Failed(f"ConditionalJoin node requires exactly one input, but {why}")


NODES: dict[str, Callable[[Values], Values]] = {
    "number-input": number_input,
    "text-input": text_input,
    "boolean-input": boolean_input,
    "json-input": json_input,
    "addition": addition,
    "division": division,
    "sum": total,
    "string-concat": concat,
    "to-string": to_string,
    "conditional-fork": fork,
    "conditional-join": join,
    "output-any": lambda inputs: {"displayValue": inputs["value"]} if "value" in inputs else {},
    "json-agg": lambda inputs: {"result": inputs.get("values", [])},
}


# Running a workflow: SPEC §3.1 and §4.


def parsed(value: Any) -> Any:
    """SPEC §4.3: a `json`/`any` port given a string that is JSON receives the parsed value;
    JSON null, NaN and numbers beyond a double (integers too) are no values, so such a
    string stays one."""

    def refuse(text: str) -> Any:
        raise ValueError(text)

    def double(text: str) -> float:
        return float(text) if math.isfinite(float(text)) else refuse(text)

    def integer(text: str) -> int:
        return int(text) if within_double(text) else refuse(text)

    try:
        result = json.loads(value, parse_constant=refuse, parse_float=double, parse_int=integer)
    except (TypeError, ValueError):  # not text, or not JSON
        return value
    return value if result is None else result


def typed(value: Any, port_type: str, repeated: bool) -> Any:
    """The value as its port receives it. A repeated port takes a list (or text that is one)
    as its values, each received as such, and a single value as a list of one; null items
    are no values. Ports of other types are read by their node (they are lenient)."""
    json_like = port_type in ("json", "any")
    value = parsed(value) if json_like else value
    if not repeated:
        return value
    if json_like:
        items = value if isinstance(value, list) else [value]
        return [parsed(item) for item in items if item is not None]
    single = isinstance(value, int | float) and not isinstance(value, bool)
    return [value] if single else value  # `sum` judges anything else itself


def port_of(kind: str, name: str) -> tuple[str, bool, Any]:
    return ("string", False, None) if kind == "string-concat" else PORTS[kind][name]


def literals(node: Values) -> Values:
    """The node's literal values, else its ports' defaults, in the catalog's order."""
    given = {p["name"]: p["value"] for p in node.get("inputs", []) if p.get("value") is not None}
    if node["type"] == "string-concat":
        return {name: given[name] for name in sorted(given, key=lambda n: int(n.split("_")[1]))}
    values = {
        name: given.get(name, default) for name, (_, _, default) in PORTS[node["type"]].items()
    }
    return {name: value for name, value in values.items() if value is not None}


def blocked(edge: dict[str, str], results: dict[str, Values]) -> str | None:
    """None for a live edge, else the skip reason it gives (SPEC §4.1)."""
    source = results[edge["source"]]
    if source["status"] == "completed" and edge["sourceOutput"] in source["outputs"]:
        return None
    failed = source["status"] == "error" or source.get("skipReason") == "upstream_failure"
    return "upstream_failure" if failed else "conditional_branch"


def run_node(
    node: Values, inbound: list[dict[str, str]], results: dict[str, Values], overrides: Values
) -> Values:
    me = {"nodeId": node["id"]}
    reasons = [blocked(edge, results) for edge in inbound]
    if inbound and all(reasons):  # every inbound edge blocked: skipped
        reason = "upstream_failure" if "upstream_failure" in reasons else "conditional_branch"
        by = [edge["source"] for edge, why in zip(inbound, reasons, strict=True) if why == reason]
        return {
            **me,
            "status": "skipped",
            "usage": 0,
            "skipReason": reason,
            "blockedBy": list(dict.fromkeys(by)),
        }
    values = literals(node) | overrides  # SPEC §4.2: literal < override < edge
    collected: dict[str, list[Any]] = {}
    for edge in (edge for edge, why in zip(inbound, reasons, strict=True) if why is None):
        value, name = results[edge["source"]]["outputs"][edge["sourceOutput"]], edge["targetInput"]
        if port_of(node["type"], name)[1]:  # repeated: every value, upstream lists flattened
            collected.setdefault(name, []).extend(value if isinstance(value, list) else [value])
        else:
            values[name] = value  # the last live edge wins
    inputs = {
        name: typed(value, *port_of(node["type"], name)[:2])
        for name, value in (values | collected).items()
        if value is not None
    }
    try:
        outputs = NODES[node["type"]](inputs)
    except Failed as error:
        return {**me, "status": "error", "inputs": inputs, "error": str(error), "usage": 0}
    outputs = {name: value for name, value in outputs.items() if value is not None}
    return {**me, "status": "completed", "inputs": inputs, "outputs": outputs, "usage": 1}


def run(workflow: Values, inputs: dict[str, Values] | None = None) -> Values:
    """The record of running `workflow` with per-run `inputs` (node id -> input -> value)."""
    head = {"workflowId": workflow["id"], "workflowName": workflow["name"]}
    catalog = default_registry().catalog
    try:
        validate_overrides(validate_workflow(workflow, catalog), inputs, catalog)
    except WorkflowValidationError as error:  # never started: every node idle
        idle = [{"nodeId": n["id"], "status": "idle", "usage": 0} for n in workflow["nodes"]]
        return {**head, "status": "error", "error": str(error), "usage": 0, "nodeExecutions": idle}
    nodes = {node["id"]: node for node in workflow["nodes"]}
    sorter = TopologicalSorter({node_id: set() for node_id in nodes})
    for edge in workflow["edges"]:
        sorter.add(edge["target"], edge["source"])
    results: dict[str, Values] = {}
    for node_id in sorter.static_order():  # any order will do: a node sees its upstream only
        inbound = [edge for edge in workflow["edges"] if edge["target"] == node_id]
        overrides = (inputs or {}).get(node_id, {})
        results[node_id] = run_node(nodes[node_id], inbound, results, overrides)
    executions = [results[node_id] for node_id in nodes]  # in declaration order
    failed = [e for e in executions if e["status"] == "error"]
    outcome: Values = {"status": "error" if failed else "completed"}
    if failed:
        more = len(failed) - 1
        extra = f" (and {more} more failed node{'s' if more > 1 else ''})" if more else ""
        outcome["error"] = f"Node '{failed[0]['nodeId']}' failed: {failed[0]['error']}{extra}"
    usage = sum(e["usage"] for e in executions)
    return {**head, **outcome, "usage": usage, "nodeExecutions": executions}
