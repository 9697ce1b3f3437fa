"""JSON query nodes: the values a JSONPath query selects in a document.

The other JSON nodes live beside this module: json_edit (set, insert, replace, remove),
json_inspect (keys, values, lengths, types, membership), json_build (merge, aggregate,
flatten, strip, template) and json_schema (records from and to a schema's fields).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType
from statemachine.port_types import describe

if TYPE_CHECKING:
    import jsonpath

family = NodeFamily("JSON")

JSON = ParameterType.JSON
STRING = ParameterType.STRING
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN


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


def matches(document: Any, path: str) -> Iterator[Any]:
    """The values `path` selects in `document` (an object or array), in document order."""
    if not isinstance(document, dict | list):
        # A string must not reach python-jsonpath, which would parse it as JSON text.
        raise NodeError(f"Input 'json' must be an object or array, got {describe(document)}")
    if not path.strip():
        raise NodeError("Input 'path' is empty: give a JSONPath query such as $.name")
    query = _compiled(path)
    import jsonpath  # loaded by _compiled

    try:
        for match in query.finditer(document):
            yield match.obj
    except jsonpath.JSONPathError as error:
        raise NodeError(f"JSONPath query failed: {_first_line(error)}") from None


def _extract(
    id: str,
    name: str,
    type: ParameterType,
    default: Any,
    accept: Callable[[Any], bool],
    *,
    kind: str,
    missing: str,
    required: bool = True,
    hidden: bool = True,
    fallback: bool = False,
) -> None:
    @family.node(
        id,
        name,
        f"The first {kind} the JSONPath `path` selects in `json`, else `defaultValue`. " + missing,
        inputs=(
            port(
                "json",
                JSON,
                "An object or array",
                required=required,
                fallback=fallback,
            ),
            port("path", STRING, "A JSONPath query such as $.items[0].name", required=required),
            port(
                "defaultValue",
                type,
                f"Given when no {kind} is selected",
                hidden=hidden,
                default=default,
            ),
        ),
        outputs=(
            port("value", type, "The match, else defaultValue"),
            port("found", BOOLEAN, "Whether there was a match", hidden=hidden),
        ),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        default_value = ctx.inputs.get("defaultValue", {} if default is None else default)
        if "json" not in ctx.inputs:
            if fallback:  # as Dafthunk's json-extract-string: nothing to read, the default
                return {"value": default_value, "found": False}
            raise NodeError("Input 'json' missing: give an object or array")
        if "path" not in ctx.inputs:
            raise NodeError("Input 'path' missing: give a JSONPath query such as $.name")
        for value in matches(ctx.inputs["json"], ctx.inputs["path"]):
            if accept(value):
                return {"value": value, "found": True}
        return {"value": default_value, "found": False}


_extract(
    "json-extract-string",
    "JSON Extract String",
    STRING,
    "",
    lambda value: isinstance(value, str),
    kind="string",
    missing="No `json` at all gives `defaultValue`.",
    fallback=True,
)
_extract(
    "json-extract-number",
    "JSON Extract Number",
    NUMBER,
    0,
    lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    kind="number",
    missing="No `json` is an error.",
)
_extract(
    "json-extract-boolean",
    "JSON Extract Boolean",
    BOOLEAN,
    False,
    lambda value: isinstance(value, bool),
    kind="boolean",
    missing="No `json` or `path` is an error.",
    required=False,
    hidden=False,
)
_extract(
    "json-extract-object",
    "JSON Extract Object",
    JSON,
    None,
    lambda value: isinstance(value, dict | list),
    kind="object or array",
    missing="Without `defaultValue` the default is {}; no `json` is an error.",
)


@family.node(
    "json-extract-all",
    "JSON Extract All",
    "Every value the JSONPath `path` selects in `json`, as an array. No `json` gives [] "
    "with `isValid` false; no `path` gives []",
    inputs=(
        port("json", JSON, "An object or array", required=True, fallback=True),
        port(
            "path",
            STRING,
            "A JSONPath query such as $.items[*].name",
            required=True,
            fallback=True,
        ),
    ),
    outputs=(
        port("values", JSON, "The matches, in document order"),
        port("count", NUMBER, "How many there are", hidden=True),
        port("isValid", BOOLEAN, "Whether there was a `json` to query", hidden=True),
    ),
)
def json_extract_all(ctx: NodeContext) -> Mapping[str, Any]:
    if "json" not in ctx.inputs:
        return {"values": [], "count": 0, "isValid": False}
    path = ctx.inputs.get("path", "")
    document = ctx.inputs["json"]
    if not path.strip():
        return {"values": [], "count": 0, "isValid": True}
    if path.strip() == "$":
        values = [document]
    elif isinstance(document, dict | list):
        values = list(matches(document, path))
    else:
        values = []  # nothing inside a string or a number
    return {"values": values, "count": len(values), "isValid": True}
