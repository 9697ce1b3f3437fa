"""JSON nodes: reading values by JSONPath, setting, merging, inspecting and aggregating JSON.

Nodes never mutate their inputs: results copy the containers they change and share the
unchanged parts, which is safe because no node writes into a value it received.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.output_limits import OutputBudget
from statemachine.model import ParameterType
from statemachine.values import describe

if TYPE_CHECKING:
    import jsonpath

family = NodeFamily("JSON")

JSON = ParameterType.JSON
STRING = ParameterType.STRING
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN


def _a(value: Any) -> str:
    """'a number', 'an object': the JSON type of `value` with its article."""
    kind = describe(value)
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _first_line(error: Exception) -> str:
    # python-jsonpath appends a multi-line caret diagram; the first line is the reason.
    return str(error).splitlines()[0] if str(error) else type(error).__name__


@lru_cache(maxsize=512)
def _compiled(path: str) -> jsonpath.JSONPath | jsonpath.CompoundJSONPath:
    # Loaded by the first query (python-jsonpath takes a tenth of a second to import), not
    # with the catalog, which the API and the planner read without running a node.
    import jsonpath

    try:
        return jsonpath.compile(path)
    except jsonpath.JSONPathError as error:
        raise NodeError(f"Invalid JSONPath expression: {_first_line(error)} in '{path}'") from None


def _extract(
    id: str, name: str, type: ParameterType, default: Any, accept: Callable[[Any], bool]
) -> None:
    @family.node(
        id,
        name,
        f"The first {type} the JSONPath `path` selects in `json`, else `defaultValue`",
        inputs=(
            port("json", JSON, "An object or array", required=True),
            port("path", STRING, "A JSONPath query such as $.items[0].name", required=True),
            port(
                "defaultValue",
                type,
                "Given when no match is a " + type,
                hidden=True,
                default=default,
            ),
        ),
        outputs=(
            port("value", type, "The match, else defaultValue"),
            port("found", BOOLEAN, "Whether there was a match", hidden=True),
        ),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        document = ctx.inputs["json"]
        if not isinstance(document, dict | list):
            # A string must not reach python-jsonpath, which would parse it as JSON text.
            raise NodeError(f"Input 'json' must be an object or array, got {describe(document)}")
        query = _compiled(ctx.inputs["path"])
        import jsonpath  # loaded by _compiled

        try:
            for match in query.finditer(document):
                if accept(match.obj):
                    return {"value": match.obj, "found": True}
        except jsonpath.JSONPathError as error:
            raise NodeError(f"JSONPath query failed: {_first_line(error)}") from None
        return {"value": ctx.inputs.get("defaultValue", default), "found": False}


_extract(
    "json-extract-string",
    "Extract String",
    STRING,
    "",
    lambda value: isinstance(value, str),
)
_extract(
    "json-extract-number",
    "Extract Number",
    NUMBER,
    0,
    lambda value: isinstance(value, int | float) and not isinstance(value, bool),
)


@family.node(
    "json-set",
    "Set Value",
    "`json` with `value` written at `path` ($, .key, ['key'], [index], [-index] from the end); "
    "missing objects and arrays on the way are created",
    inputs=(
        port("json", JSON, "The document to change", required=True),
        port("path", STRING, "Where to write, such as $.user.tags[0]", required=True),
        port("value", JSON, "The value written", required=True),
    ),
    outputs=(port("result", JSON, "The changed document"),),
)
def json_set(ctx: NodeContext) -> Mapping[str, Any]:
    path: str = ctx.inputs["path"]
    text, segments = _parse_set_path(path)
    grown = Growth(ctx.environment.budget)
    return {"result": _set(ctx.inputs["json"], segments, ctx.inputs["value"], text, grown)}


# JSONPath queries cannot create what is missing, so json-set reads this simple subset itself.
# Quoted keys accept backslash escapes of the quote and of the backslash only.
_SEGMENT = re.compile(
    r"""\.(?P<name>[^\W\d][\w-]*)
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*'(?P<single>(?:[^'\\]|\\.)*)'\s*\]
      | \[\s*"(?P<double>(?:[^"\\]|\\.)*)"\s*\]""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")

# A key (str) or an index (int), and where its segment starts in the normalized path.
Segment = tuple[str | int, int]


def _parse_set_path(path: str) -> tuple[str, list[Segment]]:
    """The path with its root made explicit (`a.b` is `$.a.b`, as for the query nodes)."""
    text = path.strip()
    if not text.startswith("$"):
        text = "$" + text if text.startswith("[") else "$." + text
    segments: list[Segment] = []
    position = 1
    while position < len(text):
        found = _SEGMENT.match(text, position)
        if found is None:
            raise NodeError(
                f"Invalid path '{path}': json-set understands $, .key, ['key'] and [index]"
            )
        if found["name"] is not None:
            key: str | int = found["name"]
        elif found["index"] is not None:
            key = int(found["index"])
        else:
            key = _ESCAPE.sub(r"\1", found["single"] or found["double"] or "")
        segments.append((key, position))
        position = found.end()
    return text, segments


class Growth:
    """The nulls json-set pads arrays with, refused before they pass the output limit (an
    index of a billion would otherwise build a billion of them)."""

    def __init__(self, budget: OutputBudget) -> None:
        self.budget = budget
        self.nulls = 0

    def pad(self, count: int) -> list[None]:
        if count <= 0:
            return []
        self.nulls += count - 1  # the last receives what is written
        self.budget.refuse_over("result", len("null,") * self.nulls)
        return [None] * count


def _set(node: Any, segments: list[Segment], value: Any, path: str, grown: Growth) -> Any:
    if not segments:
        return value
    (key, start), rest = segments[0], segments[1:]
    if node is None:  # a missing (or null) intermediate becomes the container the key needs
        node = [] if isinstance(key, int) else {}
    where = path[:start]
    if isinstance(key, str):
        if not isinstance(node, dict):
            raise NodeError(f"Cannot set '{path}': '{where}' is {_a(node)}, not an object")
        copy = dict(node)
        copy[key] = _set(node.get(key), rest, value, path, grown)
        return copy
    if not isinstance(node, list):
        raise NodeError(f"Cannot set '{path}': '{where}' is {_a(node)}, not an array")
    items = list(node)
    index = key + len(items) if key < 0 else key
    if index < 0:
        raise NodeError(
            f"Cannot set '{path}': index {key} is out of range for '{where}' ({len(items)} items)"
        )
    items.extend(grown.pad(index + 1 - len(items)))  # padded with null, as in JavaScript
    items[index] = _set(items[index], rest, value, path, grown)
    return items


@family.node(
    "json-merge",
    "Merge Objects",
    "One object from several; later objects win. `deep` merges nested objects too "
    "(arrays and other values are replaced)",
    inputs=(
        port("objects", JSON, "Objects, from any edges", required=True, repeated=True),
        port("deep", BOOLEAN, "Merge nested objects too (false: top level only)", default=True),
    ),
    outputs=(port("result", JSON, "The merged object"),),
)
def json_merge(ctx: NodeContext) -> Mapping[str, Any]:
    objects = ctx.inputs["objects"]
    for number, item in enumerate(objects, start=1):
        if not isinstance(item, dict):
            raise NodeError(f"Item {number} of 'objects' is {_a(item)}, not an object")
    deep = ctx.inputs.get("deep", True)
    merged: dict[str, Any] = {}
    for item in objects:
        merged = _deep_merge(merged, item) if deep else {**merged, **item}
    return {"result": merged}


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
    "json-keys",
    "Object Keys",
    "The keys of an object, in order",
    inputs=(port("json", JSON, "An object", required=True),),
    outputs=(port("keys", JSON, "Its keys, as an array"),),
)
def json_keys(ctx: NodeContext) -> Mapping[str, Any]:
    document = ctx.inputs["json"]
    if not isinstance(document, dict):
        raise NodeError(f"Input 'json' must be an object, got {describe(document)}")
    return {"keys": list(document)}


@family.node(
    "json-array-length",
    "Array Length",
    "The number of items of an array",
    inputs=(port("array", JSON, "An array", required=True),),
    outputs=(port("length", NUMBER, "How many items it has"),),
)
def json_array_length(ctx: NodeContext) -> Mapping[str, Any]:
    array = ctx.inputs["array"]
    if not isinstance(array, list):
        raise NodeError(f"Input 'array' must be an array, got {describe(array)}")
    return {"length": len(array)}


@family.node(
    "json-agg",
    "JSON Aggregate",
    "An array of every value received (arrays from upstream are flattened in)",
    inputs=(
        port("values", ParameterType.ANY, "Values, from any edges", required=True, repeated=True),
    ),
    outputs=(port("result", JSON, "The values, as an array"),),
)
def json_agg(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": list(ctx.inputs["values"])}
