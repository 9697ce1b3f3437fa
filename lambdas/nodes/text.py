"""Text nodes: joining, converting, changing, slicing, searching and comparing strings.

Behaviour follows JavaScript, as in Dafthunk, except that strings are indexed by code point
(not UTF-16 unit). Regular expressions are in `patterns`, templates in `templates`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Literal

from lambdas.nodes.jsvalues import js_integer, js_string, js_stringify, js_trim, js_type
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import DynamicPorts
from statemachine.model import ParameterType

family = NodeFamily("Text")

STRING = ParameterType.STRING
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN
CONCAT_INPUTS = DynamicPorts(
    prefix="input", type=STRING, description="A string to join", lenient=True
)
_UNSET = object()


@family.node(
    "string-concat",
    "String Concat",
    "Joins input_1, input_2, ... in numeric order, with no separator",
    outputs=(port("result", STRING, "The strings joined"),),
    dynamic_inputs=CONCAT_INPUTS,
)
def string_concat(ctx: NodeContext) -> Mapping[str, Any]:
    names = [name for name in ctx.inputs if CONCAT_INPUTS.matches(name)]
    if not names:
        raise NodeError("No string inputs provided")
    names.sort(key=lambda name: int(name.rsplit("_", 1)[1]))
    strings = [ctx.inputs[name] for name in names]
    for position, value in enumerate(strings):
        if not isinstance(value, str):
            raise NodeError(
                f"Invalid input at position {position}: expected string, got {js_type(value)}"
            )
    return {"result": "".join(strings)}


@family.node(
    "to-string",
    "To String",
    "Any value as text: numbers as JavaScript prints them, arrays and objects as indented "
    'JSON; "null" when no value is given',
    inputs=(port("value", ParameterType.ANY, "Any value", required=True, fallback=True),),
    outputs=(port("result", STRING, "The value as text"),),
)
def to_string(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("value")
    if isinstance(value, list | dict):
        return {"result": js_stringify(value, indent=2)}
    return {"result": js_string(value)}


@family.node(
    "to-json",
    "To JSON",
    "The value as JSON text (JSON.stringify), indented by two spaces with `prettyPrint`",
    inputs=(
        port("value", ParameterType.ANY, "Any value", required=True, fallback=True),
        port("prettyPrint", BOOLEAN, "Indent the text", default=False),
    ),
    outputs=(port("json", ParameterType.JSON, "The JSON text"),),
)
def to_json(ctx: NodeContext) -> Mapping[str, Any]:
    if "value" not in ctx.inputs:
        raise NodeError("Value is required")
    indent = 2 if ctx.inputs.get("prettyPrint") is True else None
    return {"json": js_stringify(ctx.inputs["value"], indent=indent)}


def _unary(id: str, name: str, description: str, apply: Callable[[str], str]) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(port("string", STRING, "The text", required=True),),
        outputs=(port("result", STRING, "The text changed"),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {"result": apply(ctx.inputs["string"])}


_unary("string-to-upper-case", "To Upper Case", "The string in upper case", str.upper)
_unary("string-to-lower-case", "To Lower Case", "The string in lower case", str.lower)
_unary("string-trim", "Trim", "The string without leading and trailing whitespace", js_trim)

_FORMS: dict[str, Literal["NFC", "NFD", "NFKC", "NFKD"]] = {
    "NFC": "NFC",
    "NFD": "NFD",
    "NFKC": "NFKC",
    "NFKD": "NFKD",
}


@family.node(
    "string-normalize",
    "Normalize",
    "The string in a Unicode normalization form (NFC unless `form` says otherwise)",
    inputs=(
        port("string", STRING, "The text", required=True),
        port("form", STRING, "NFC, NFD, NFKC or NFKD", default="NFC", hidden=True),
    ),
    outputs=(port("result", STRING, "The text normalized"),),
)
def string_normalize(ctx: NodeContext) -> Mapping[str, Any]:
    form = _FORMS.get(ctx.inputs.get("form") or "NFC")
    if form is None:
        raise NodeError(f"The normalization form must be one of {', '.join(_FORMS)}")
    return {"result": unicodedata.normalize(form, ctx.inputs["string"])}


@family.node(
    "string-substring",
    "Substring",
    "The characters from `start` up to (not including) `end`; `end` past the text stops at "
    "its end, and `start` after `end` swaps them",
    inputs=(
        port("haystack", STRING, "The text", required=True),
        port(
            "start",
            NUMBER,
            "Index of the first character (0 to the text's length)",
            required=True,
            fallback=True,
            lenient=True,
        ),
        port(
            "end",
            NUMBER,
            "Index after the last character (0 or more)",
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(port("result", STRING, "The characters taken"),),
)
def string_substring(ctx: NodeContext) -> Mapping[str, Any]:
    haystack: str = ctx.inputs["haystack"]
    start = ctx.inputs.get("start", _UNSET)
    end = ctx.inputs.get("end", _UNSET)
    if not js_integer(start):
        raise NodeError("Invalid or missing start index")
    if not js_integer(end) or end < 0:
        raise NodeError("Invalid or missing end index")
    start, end = int(start), min(int(end), len(haystack))
    if not 0 <= start <= len(haystack):
        raise NodeError("Start index is out of bounds")
    return {"result": haystack[min(start, end) : max(start, end)]}


_SEARCH_INPUTS = (
    port("haystack", STRING, "The text searched", required=True),
    port("needle", STRING, "The text looked for", required=True),
)


@family.node(
    "string-includes",
    "Includes",
    "Whether `needle` occurs in `haystack` (case-sensitive; an empty needle always does)",
    inputs=_SEARCH_INPUTS,
    outputs=(port("result", BOOLEAN, "Whether it occurs"),),
)
def string_includes(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": ctx.inputs["needle"] in ctx.inputs["haystack"]}


@family.node(
    "string-index-of",
    "Index Of",
    "Where `needle` first occurs in `haystack` (case-sensitive), -1 when it does not; "
    "0 for an empty needle",
    inputs=_SEARCH_INPUTS,
    outputs=(port("result", NUMBER, "The index of its first character, or -1"),),
)
def string_index_of(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": ctx.inputs["haystack"].find(ctx.inputs["needle"])}


@family.node(
    "string-last-index-of",
    "Last Index Of",
    "Where `needle` last occurs in `haystack` (case-sensitive), -1 when it does not; "
    "the text's length for an empty needle",
    inputs=_SEARCH_INPUTS,
    outputs=(port("result", NUMBER, "The index of its first character, or -1"),),
)
def string_last_index_of(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": ctx.inputs["haystack"].rfind(ctx.inputs["needle"])}


@family.node(
    "string-equals",
    "Equals",
    "Whether `a` and `b` are the same text, ignoring case when `ignoreCase` is true",
    inputs=(
        port("a", STRING, "One text", required=True, lenient=True),
        port("b", STRING, "The other text", required=True, lenient=True),
        port("ignoreCase", BOOLEAN, "Compare without regard to case", default=False),
    ),
    outputs=(port("result", BOOLEAN, "Whether they are equal"),),
)
def string_equals(ctx: NodeContext) -> Mapping[str, Any]:
    a, b = ctx.inputs["a"], ctx.inputs["b"]
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, str):  # as Dafthunk's node answers a value that is not text
            raise NodeError(f"Invalid or missing input '{name}'")
    if ctx.inputs.get("ignoreCase", False):
        # JavaScript's toLowerCase, as Dafthunk compares: "ß" does not equal "SS".
        a, b = a.lower(), b.lower()
    return {"result": a == b}
