"""JSON inspection nodes: keys, values, lengths, types, validity and membership of a value.

As in Dafthunk, these answer for any value: a missing input or one of an unexpected kind
gives the empty answer (no keys, length 0, false) and a hidden flag saying so, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.nodes import json_paths as paths
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType
from statemachine.port_types import describe, loads_strict

family = NodeFamily("JSON")

JSON = ParameterType.JSON
STRING = ParameterType.STRING
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN


def _at(document: Any, path: str) -> Any:
    """The value at a simple path (`$` when none is given), or paths.MISSING."""
    try:
        return paths.read(document, paths.parse(path))
    except paths.PathError:
        return paths.MISSING


@family.node(
    "json-keys",
    "JSON Keys",
    "The keys of the object at `path` in `json` (default $, the whole value), in order. "
    "An array, another value or a path to nothing has no keys; no `json` gives [] with "
    "`isValid` false",
    inputs=(
        port("json", JSON, "A JSON value", required=True, fallback=True),
        port("path", STRING, "Where the object is, such as $.user (default $)"),
    ),
    outputs=(
        port("keys", JSON, "Its keys, as an array"),
        port("count", NUMBER, "How many keys", hidden=True),
        port("isValid", BOOLEAN, "Whether there was a `json` to read", hidden=True),
    ),
)
def json_keys(ctx: NodeContext) -> Mapping[str, Any]:
    if "json" not in ctx.inputs:
        return {"keys": [], "count": 0, "isValid": False}
    target = _at(ctx.inputs["json"], ctx.inputs.get("path") or "$")
    keys = list(target) if isinstance(target, dict) else []
    return {"keys": keys, "count": len(keys), "isValid": True}


def _object_listing(id: str, name: str, output: str, what: str) -> None:
    @family.node(
        id,
        name,
        f"The {what} of an object, in order; anything else, or nothing, gives [] "
        "with `isObject` false",
        inputs=(port("object", JSON, "An object", required=True, fallback=True),),
        outputs=(
            port(output, JSON, f"Its {what}, as an array"),
            port("count", NUMBER, f"How many {what}", hidden=True),
            port("isObject", BOOLEAN, "Whether the input was an object", hidden=True),
        ),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        value = ctx.inputs.get("object")
        if not isinstance(value, dict):
            return {output: [], "count": 0, "isObject": False}
        listed = list(value) if output == "keys" else list(value.values())
        return {output: listed, "count": len(listed), "isObject": True}


_object_listing("json-object-keys", "JSON Object Keys", "keys", "keys")
_object_listing("json-object-values", "JSON Object Values", "values", "values")


@family.node(
    "json-array-length",
    "JSON Array Length",
    "The number of items of an array; anything else, or nothing, has length 0 "
    "(with `isArray` false)",
    inputs=(port("array", JSON, "An array", required=True, fallback=True),),
    outputs=(
        port("length", NUMBER, "How many items it has"),
        port("isArray", BOOLEAN, "Whether the input was an array", hidden=True),
    ),
)
def json_array_length(ctx: NodeContext) -> Mapping[str, Any]:
    array = ctx.inputs.get("array")
    if not isinstance(array, list):
        return {"length": 0, "isArray": False}
    return {"length": len(array), "isArray": True}


@family.node(
    "json-typeof",
    "JSON Typeof",
    "The JSON type of a value: object, array, string, number, boolean; `undefined` when "
    "nothing arrives (a null never does). A text that is JSON is read as JSON first",
    inputs=(port("value", JSON, "Any value", required=True, fallback=True),),
    outputs=(port("type", STRING, "object, array, string, number, boolean or undefined"),),
)
def json_typeof(ctx: NodeContext) -> Mapping[str, Any]:
    if "value" not in ctx.inputs:
        return {"type": "undefined"}
    return {"type": describe(ctx.inputs["value"])}


@family.node(
    "json-valid",
    "JSON Valid",
    "Whether a text is valid JSON, and its parsed value. Anything but a text, an empty "
    "text or nothing is not valid; `error` says why",
    inputs=(
        port("value", STRING, "The text to check", required=True, fallback=True, lenient=True),
    ),
    outputs=(
        port("isValid", BOOLEAN, "Whether it is valid JSON"),
        port("parsed", JSON, "The parsed value, when valid (JSON null gives none)"),
        port("error", STRING, "Why it is not valid", hidden=True),
    ),
)
def json_valid(ctx: NodeContext) -> Mapping[str, Any]:
    if "value" not in ctx.inputs:
        return {"isValid": False, "error": "Input value is required"}
    text = ctx.inputs["value"]
    if not isinstance(text, str):
        return {"isValid": False, "error": f"Input must be a string, got {describe(text)}"}
    if not text.strip():
        return {"isValid": False, "error": "Empty string is not valid JSON"}
    try:
        parsed = loads_strict(text)
    except (ValueError, RecursionError) as error:
        return {"isValid": False, "error": str(error) or type(error).__name__}
    return {"isValid": True, "parsed": parsed}


@family.node(
    "json-contains",
    "JSON Contains",
    "Whether the value at `path` in `json` (default $) is an array holding `value` or is "
    "equal to it. No `json` gives false with `isValid` false; no `value` gives false",
    inputs=(
        port("json", JSON, "The value to search in", required=True, fallback=True),
        port("value", JSON, "The value to look for", required=True, fallback=True),
        port("path", STRING, "Where to search, such as $.items (default $)"),
    ),
    outputs=(
        port("contains", BOOLEAN, "Whether it holds or is the value"),
        port("isValid", BOOLEAN, "Whether there was a `json` to search", hidden=True),
    ),
)
def json_contains(ctx: NodeContext) -> Mapping[str, Any]:
    if "json" not in ctx.inputs:
        return {"contains": False, "isValid": False}
    if "value" not in ctx.inputs:
        return {"contains": False, "isValid": True}
    wanted = ctx.inputs["value"]
    target = _at(ctx.inputs["json"], ctx.inputs.get("path") or "$")
    if isinstance(target, list):
        found = any(equal(item, wanted) for item in target)
    else:
        found = target is not paths.MISSING and equal(target, wanted)
    return {"contains": found, "isValid": True}


def equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 equals 1.0, but true is not 1 (as JavaScript's === sees them)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[key], b[key]) for key in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


@family.node(
    "json-contains-path",
    "JSON Contains Path",
    "Whether `path` (such as $.user.tags[1]) leads to a value in `json`; a key holding null "
    "counts. No `json` gives false with `isValid` false; no `path` gives false",
    inputs=(
        port("json", JSON, "The value to look in", required=True, fallback=True),
        port("path", STRING, "The path to look for", required=True, fallback=True),
    ),
    outputs=(
        port("containsPath", BOOLEAN, "Whether the path leads to a value"),
        port("isValid", BOOLEAN, "Whether there was a `json` to look in", hidden=True),
    ),
)
def json_contains_path(ctx: NodeContext) -> Mapping[str, Any]:
    if "json" not in ctx.inputs:
        return {"containsPath": False, "isValid": False}
    path = ctx.inputs.get("path")
    if not path:
        return {"containsPath": False, "isValid": True}
    return {"containsPath": _at(ctx.inputs["json"], path) is not paths.MISSING, "isValid": True}
