"""Text nodes: joining, converting, slicing and comparing strings, and regular expressions.

Behaviour follows JavaScript, as in Dafthunk, except that strings are indexed by code point
(not UTF-16 unit) and patterns use the `regex` package's syntax, which accepts JavaScript's
common syntax (named groups are `(?<name>...)` in both) but lets `\\d` and `\\w` match
non-ASCII digits and letters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any

import regex

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import DynamicPorts
from statemachine.model import ParameterType

family = NodeFamily("Text")

STRING = ParameterType.STRING
BOOLEAN = ParameterType.BOOLEAN
CONCAT_INPUTS = DynamicPorts(prefix="input", type=STRING, description="A string to join")
# A pattern that backtracks catastrophically must fail the node, not hang the Lambda.
REGEX_TIME_CAP = 2.0
REGEX_TIMEOUT = "Regular expression took too long"


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
    return {"result": "".join(ctx.inputs[name] for name in names)}


@family.node(
    "to-string",
    "To String",
    "Any value as text: numbers as JavaScript prints them, arrays and objects as indented JSON",
    inputs=(port("value", ParameterType.ANY, "Any value", required=True),),
    outputs=(port("result", STRING, "The value as text"),),
)
def to_string(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs["value"]
    if isinstance(value, str):
        return {"result": value}
    if isinstance(value, bool):
        return {"result": "true" if value else "false"}
    if isinstance(value, int | float):
        return {"result": js_number(value)}
    return {"result": json.dumps(_integral_floats_as_ints(value), indent=2, ensure_ascii=False)}


def js_number(value: float) -> str:
    """`value` as JavaScript's Number.prototype.toString prints it (1 not 1.0, 1e+21, 1e-7)."""
    if isinstance(value, int) and abs(value) < 10**21:
        return str(value)
    if value == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite: ports never carry NaN or Infinity
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), exponent + len(digits)  # value = 0.<digits> x 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return "-" + text if sign else text


def _integral_floats_as_ints(value: Any) -> Any:
    """So that JSON text shows 2 where JavaScript would, rather than Python's 2.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


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
_unary("string-trim", "Trim", "The string without leading and trailing whitespace", str.strip)


@family.node(
    "string-substring",
    "Substring",
    "The characters from `start` up to (not including) `end`, or to the end when `end` is absent",
    inputs=(
        port("haystack", STRING, "The text", required=True),
        port("start", ParameterType.NUMBER, "Index of the first character", required=True),
        port("end", ParameterType.NUMBER, "Index after the last character"),
    ),
    outputs=(port("result", STRING, "The characters taken"),),
)
def string_substring(ctx: NodeContext) -> Mapping[str, Any]:
    # JavaScript's substring: indices clamped to [0, length], swapped when start > end.
    haystack: str = ctx.inputs["haystack"]
    start = _index(ctx, "start", len(haystack))
    end = _index(ctx, "end", len(haystack))
    return {"result": haystack[min(start, end) : max(start, end)]}


def _index(ctx: NodeContext, name: str, length: int) -> int:
    value = ctx.inputs.get(name, length)
    if isinstance(value, float) and not value.is_integer():
        raise NodeError(f"Input '{name}' must be a whole number, got {js_number(value)}")
    return max(0, min(length, int(value)))


@family.node(
    "string-includes",
    "Includes",
    "Whether `needle` occurs in `haystack` (case-sensitive; an empty needle always does)",
    inputs=(
        port("haystack", STRING, "The text searched", required=True),
        port("needle", STRING, "The text looked for", required=True),
    ),
    outputs=(port("result", BOOLEAN, "Whether it occurs"),),
)
def string_includes(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": ctx.inputs["needle"] in ctx.inputs["haystack"]}


@family.node(
    "string-equals",
    "Equals",
    "Whether `a` and `b` are the same text, ignoring case when `ignoreCase` is true",
    inputs=(
        port("a", STRING, "One text", required=True),
        port("b", STRING, "The other text", required=True),
        port("ignoreCase", BOOLEAN, "Compare without regard to case", default=False),
    ),
    outputs=(port("result", BOOLEAN, "Whether they are equal"),),
)
def string_equals(ctx: NodeContext) -> Mapping[str, Any]:
    a, b = ctx.inputs["a"], ctx.inputs["b"]
    if ctx.inputs.get("ignoreCase", False):
        a, b = a.casefold(), b.casefold()
    return {"result": a == b}


_REGEX_INPUTS = (
    port("string", STRING, "The text searched", required=True),
    port("pattern", STRING, "A JavaScript regular expression, without slashes", required=True),
)
_FLAGS_INPUT = port("flags", STRING, "JavaScript flags: g, i, m, s, u", default="")
# `g` only matters to replace; `u` is how Python matches anyway.
_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL, "g": 0, "u": 0}


@family.node(
    "regex-match",
    "Regex Match",
    "Whether `pattern` matches anywhere in `string`",
    inputs=(*_REGEX_INPUTS, _FLAGS_INPUT),
    outputs=(port("result", BOOLEAN, "Whether it matches"),),
)
def regex_match(ctx: NodeContext) -> Mapping[str, Any]:
    compiled, _ = _compile_js(ctx.inputs["pattern"], ctx.inputs.get("flags", ""))
    with _time_limit():
        found = compiled.search(ctx.inputs["string"], timeout=_timeout(ctx))
    return {"result": found is not None}


@family.node(
    "regex-replace",
    "Regex Replace",
    "Replaces the first match of `pattern` (every match with the `g` flag); "
    "`replacement` may use $&, $1..$99, $<name>, $$, $` and $'",
    inputs=(
        *_REGEX_INPUTS,
        port(
            "replacement", STRING, "Text for each match; $1, $& and $<name> allowed", required=True
        ),
        _FLAGS_INPUT,
    ),
    outputs=(port("result", STRING, "The text with matches replaced"),),
)
def regex_replace(ctx: NodeContext) -> Mapping[str, Any]:
    compiled, every = _compile_js(ctx.inputs["pattern"], ctx.inputs.get("flags", ""))
    parts = _template(ctx.inputs["replacement"], compiled)
    budget = ctx.environment.budget
    replaced = 0  # characters of the replacements so far, each part of the result

    def replace(match: Any) -> str:
        # A replacement may repeat the whole text at every match ($` and $'): the result is
        # refused as soon as it would pass the output limit, not once it is built.
        nonlocal replaced
        replaced += _expanded_length(parts, match)
        budget.refuse_over("result", replaced + len('""'))
        return _expand(parts, match)

    with _time_limit():
        result = compiled.sub(
            replace,
            ctx.inputs["string"],
            count=0 if every else 1,
            timeout=_timeout(ctx),
        )
    return {"result": result}


def _compile_js(pattern: str, flags: str) -> tuple[Any, bool]:
    """The compiled pattern and whether the `g` flag asks for every match."""
    bits = 0
    for flag in flags:
        if flag not in _FLAGS:
            raise NodeError(f"Unsupported regex flag '{flag}'")
        bits |= _FLAGS[flag]
    return _compile(pattern, bits), "g" in flags


@lru_cache(maxsize=256)
def _compile(pattern: str, bits: int) -> Any:
    try:
        return regex.compile(pattern, bits)
    except regex.error as error:
        raise NodeError(f"Invalid regex: {error}") from None


def _timeout(ctx: NodeContext) -> float:
    return ctx.remaining_seconds(cap=REGEX_TIME_CAP)


@contextmanager
def _time_limit() -> Iterator[None]:
    try:
        yield
    except TimeoutError:
        raise NodeError(REGEX_TIMEOUT) from None


# Parts of a replacement: literal text, a group number, or the text before/after the match.
_BEFORE, _AFTER = -1, -2
_SPECIAL: dict[str, str | int] = {"$": "$", "&": 0, "`": _BEFORE, "'": _AFTER}
_TOKEN = regex.compile(r"\$([$&`']|\d\d?)")
_TOKEN_NAMED = regex.compile(r"\$([$&`']|\d\d?|<[^>]*>)")


def _template(replacement: str, compiled: Any) -> list[str | int]:
    """JavaScript's GetSubstitution rules, parsed once per node run."""
    groups: int = compiled.groups
    names: dict[str, int] = compiled.groupindex
    # `$<name>` is plain text unless the pattern has named groups, as in JavaScript.
    tokens = _TOKEN_NAMED if names else _TOKEN
    parts: list[str | int] = []
    position = 0
    for token in tokens.finditer(replacement):
        parts.append(replacement[position : token.start()])
        position = token.end()
        code = token.group(1)
        if code in _SPECIAL:
            parts.append(_SPECIAL[code])
        elif code.startswith("<"):
            parts.append(names.get(code[1:-1], ""))  # an unknown name expands to nothing
        elif 1 <= int(code) <= groups:
            parts.append(int(code))
        elif len(code) == 2 and 1 <= int(code[0]) <= groups:
            parts += [int(code[0]), code[1]]
        else:
            parts.append(token.group(0))
    parts.append(replacement[position:])
    return parts


def _expanded_length(parts: list[str | int], match: Any) -> int:
    """The length of `_expand(parts, match)`, without building it."""
    length = 0
    for part in parts:
        if isinstance(part, str):
            length += len(part)
        elif part == _BEFORE:
            length += match.start()
        elif part == _AFTER:
            length += len(match.string) - match.end()
        else:
            start, end = match.span(part)
            length += max(end - start, 0)  # an unmatched group spans (-1, -1)
    return length


def _expand(parts: list[str | int], match: Any) -> str:
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
        elif part == _BEFORE:
            pieces.append(match.string[: match.start()])
        elif part == _AFTER:
            pieces.append(match.string[match.end() :])
        else:
            pieces.append(match.group(part) or "")
    return "".join(pieces)
