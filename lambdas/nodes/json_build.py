"""JSON building nodes: values merged, aggregated, flattened, stripped of nulls or filled in.

Missing inputs give the empty result, as in Dafthunk (`json-merge` of nothing is {},
`json-agg` of nothing is []); a result that would be JSON null is not produced, since null
never travels between nodes here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdas.nodes.jsvalues import js_string
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType
from statemachine.port_types import describe

family = NodeFamily("JSON")

JSON = ParameterType.JSON
STRING = ParameterType.STRING
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN


@family.node(
    "json-merge",
    "JSON Merge",
    "One object from several; later objects win. `deep` merges nested objects too "
    "(arrays and other values are replaced). Items that are not objects are left out; "
    "no `objects` gives {} with `success` false",
    inputs=(
        port(
            "objects",
            JSON,
            "Objects, from any edges or as one array",
            required=True,
            repeated=True,
            fallback=True,
        ),
        port("deep", BOOLEAN, "Merge nested objects too (false: top level only)", default=True),
    ),
    outputs=(
        port("result", JSON, "The merged object"),
        port("count", NUMBER, "How many objects were merged", hidden=True),
        port("success", BOOLEAN, "Whether there were objects to merge", hidden=True),
    ),
)
def json_merge(ctx: NodeContext) -> Mapping[str, Any]:
    if "objects" not in ctx.inputs:
        return {"result": {}, "count": 0, "success": False}
    objects = [item for item in ctx.inputs["objects"] if isinstance(item, dict)]
    deep = ctx.inputs.get("deep", True)
    merged: dict[str, Any] = {}
    for item in objects:
        merged = _deep_merge(merged, item) if deep else {**merged, **item}
    return {"result": merged, "count": len(objects), "success": True}


def _deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = _deep_merge(below, value)
        else:
            merged[key] = value
    return merged


@family.node(
    "json-agg",
    "JSON Aggregate",
    "An array of every value received (arrays from upstream are flattened in, nulls left "
    "out); nothing gives []",
    inputs=(
        port(
            "values",
            ParameterType.ANY,
            "Values, from any edges",
            required=True,
            repeated=True,
            fallback=True,
        ),
    ),
    outputs=(port("result", JSON, "The values, as an array"),),
)
def json_agg(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": list(ctx.inputs.get("values", []))}


@family.node(
    "json-object-agg",
    "JSON Object Aggregate",
    "One object from key-value pairs, each {key, value} or [key, value] (later pairs win; "
    "keys are made text). Nothing gives {}; anything else that is not a pair is an error",
    inputs=(
        port(
            "pairs",
            JSON,
            "Pairs, from any edges or as one array",
            required=True,
            repeated=True,
            fallback=True,
        ),
    ),
    outputs=(port("result", JSON, "The object"),),
)
def json_object_agg(ctx: NodeContext) -> Mapping[str, Any]:
    pairs: list[Any] = ctx.inputs.get("pairs", [])
    if len(pairs) == 2 and isinstance(pairs[0], str):
        pairs = [pairs]  # one [key, value] pair, not two items
    result: dict[str, Any] = {}
    for position, pair in enumerate(pairs):
        if isinstance(pair, dict) and "key" in pair:
            result[js_string(pair["key"])] = pair.get("value")
        elif isinstance(pair, list) and len(pair) >= 2:
            result[js_string(pair[0])] = pair[1]
        else:
            raise NodeError(
                f"Invalid pair format at position {position}: expected an object with "
                "'key' and 'value' or an array [key, value]"
            )
    return {"result": result}


@family.node(
    "json-flatten",
    "JSON Flatten",
    "A nested object as one level of keys joined by `separator` ({a: {b: 1}} -> {'a.b': 1}). "
    "With `includeArrays`, array items too (`items[0].name`); otherwise arrays stay whole. "
    "Other values pass through; nothing gives no result",
    inputs=(
        port("value", JSON, "The value to flatten", required=True, fallback=True),
        port("separator", STRING, "Between nested keys (default .)"),
        port("includeArrays", BOOLEAN, "Flatten array items too (default false)"),
    ),
    outputs=(
        port("result", JSON, "The flattened object"),
        port("keyCount", NUMBER, "How many keys it has", hidden=True),
        port("success", BOOLEAN, "Whether it was flattened", hidden=True),
    ),
)
def json_flatten(ctx: NodeContext) -> Mapping[str, Any]:
    if "value" not in ctx.inputs:
        return {"keyCount": 0, "success": True}
    value = ctx.inputs["value"]
    arrays = ctx.inputs.get("includeArrays", False)
    if not isinstance(value, dict | list):
        return {"result": value, "keyCount": 1, "success": True}
    if isinstance(value, list) and not arrays:
        return {"result": value, "keyCount": len(value), "success": True}
    flat: dict[str, Any] = {}
    _flatten(value, "", ctx.inputs.get("separator", "."), arrays, flat)
    return {"result": flat, "keyCount": len(flat), "success": True}


def _flatten(value: Any, prefix: str, separator: str, arrays: bool, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}{separator}{key}" if prefix else key
            if isinstance(item, dict) or (arrays and isinstance(item, list)):
                _flatten(item, name, separator, arrays, into)
            else:
                into[name] = item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = f"{prefix}[{index}]"
            if isinstance(item, dict | list):
                _flatten(item, name, separator, arrays, into)
            else:
                into[name] = item


@family.node(
    "json-strip-nulls",
    "JSON Strip Nulls",
    "The value without its nulls: object keys holding null and null array items, at every "
    "level unless `recursive` is false. Nothing gives no result",
    inputs=(
        port("value", JSON, "The value to clean", required=True, fallback=True),
        port("recursive", BOOLEAN, "Clean nested objects and arrays too (default true)"),
    ),
    outputs=(
        port("result", JSON, "The value without nulls"),
        port("nullsRemoved", NUMBER, "How many nulls were removed", hidden=True),
        port("success", BOOLEAN, "Whether it was cleaned", hidden=True),
    ),
)
def json_strip_nulls(ctx: NodeContext) -> Mapping[str, Any]:
    if "value" not in ctx.inputs:
        return {"nullsRemoved": 0, "success": True}
    removed = [0]
    result = _strip(ctx.inputs["value"], ctx.inputs.get("recursive", True), removed)
    return {"result": result, "nullsRemoved": removed[0], "success": True}


def _strip(value: Any, recursive: bool, removed: list[int]) -> Any:
    def inner(item: Any) -> Any:
        return _strip(item, recursive, removed) if recursive else item

    if isinstance(value, list):
        kept = [inner(item) for item in value if item is not None]
        removed[0] += len(value) - len(kept)
        return kept
    if isinstance(value, dict):
        cleaned = {key: inner(item) for key, item in value.items() if item is not None}
        removed[0] += len(value) - len(cleaned)
        return cleaned
    return value


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@family.node(
    "json-template",
    "JSON Template",
    "`template` with each ${name} in its texts replaced by variable `name` as text (null "
    "as ''); unknown names stay as they are and are listed in `missingVariables`",
    inputs=(
        port("template", JSON, "An object or array whose texts hold ${name}", required=True),
        port("variables", JSON, "An object of values by name", required=True),
    ),
    outputs=(
        port("result", JSON, "The filled-in template"),
        port("missingVariables", JSON, "The names without a variable, in order", hidden=True),
    ),
)
def json_template(ctx: NodeContext) -> Mapping[str, Any]:
    template, variables = ctx.inputs["template"], ctx.inputs["variables"]
    if not isinstance(template, dict | list):
        raise NodeError(f"Input 'template' must be an object or array, got {describe(template)}")
    if isinstance(variables, list):
        variables = {str(index): item for index, item in enumerate(variables)}
    if not isinstance(variables, dict):
        raise NodeError(f"Input 'variables' must be an object, got {describe(variables)}")
    missing: dict[str, None] = {}

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _VARIABLE.sub(lambda found: substitute(found[1], found[0]), value)
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    def substitute(name: str, text: str) -> str:
        if name not in variables:
            missing[name] = None
            return text
        found = variables[name]
        return "" if found is None else js_string(found)

    return {"result": fill(template), "missingVariables": list(missing)}
