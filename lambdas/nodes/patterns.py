"""Regular expression nodes: testing, replacing, extracting and splitting with a pattern.

Patterns use the `regex` package's syntax, which accepts JavaScript's common syntax (named
groups are `(?<name>...)` in both) but lets `\\d` and `\\w` match non-ASCII digits and
letters; strings are indexed by code point. Each search stops at the node's deadline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import regex

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Text")

STRING = ParameterType.STRING
BOOLEAN = ParameterType.BOOLEAN
# A pattern that backtracks catastrophically must fail the node, not hang the Lambda.
REGEX_TIME_CAP = 2.0
REGEX_TIMEOUT = "Regular expression took too long"

_REGEX_INPUTS = (
    port("string", STRING, "The text searched", required=True),
    port("pattern", STRING, "A JavaScript regular expression, without slashes", required=True),
)
_FLAGS_INPUT = port("flags", STRING, "JavaScript flags: g, i, m, s, u")
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


@family.node(
    "regex-extract",
    "Regex Extract",
    "Every match of `pattern` in `string`, in order (the `g` flag is implied)",
    inputs=(*_REGEX_INPUTS, _FLAGS_INPUT),
    outputs=(port("matches", ParameterType.JSON, "The matched texts, as an array"),),
)
def regex_extract(ctx: NodeContext) -> Mapping[str, Any]:
    compiled, _ = _compile_js(ctx.inputs["pattern"], ctx.inputs.get("flags", ""))
    with _time_limit():
        found = compiled.finditer(ctx.inputs["string"], timeout=_timeout(ctx))
        return {"matches": [match.group(0) for match in found]}


@family.node(
    "regex-split",
    "Regex Split",
    "`string` cut at each match of `pattern` (JavaScript's split: the texts of capturing "
    "groups are kept between the pieces, an empty match cuts between characters)",
    inputs=(*_REGEX_INPUTS, _FLAGS_INPUT),
    outputs=(port("result", ParameterType.JSON, "The pieces, as an array"),),
)
def regex_split(ctx: NodeContext) -> Mapping[str, Any]:
    compiled, _ = _compile_js(ctx.inputs["pattern"], ctx.inputs.get("flags", ""))
    text: str = ctx.inputs["string"]
    timeout = _timeout(ctx)
    with _time_limit():
        if not text:
            # An empty text is one piece, unless the pattern matches it.
            return {"result": [] if compiled.match(text, timeout=timeout) else [""]}
        pieces: list[str | None] = []
        piece_start = search_from = 0
        while search_from < len(text):
            match = compiled.search(text, search_from, timeout=timeout)
            if match is None or match.start() >= len(text):
                break
            if match.end() == piece_start:  # an empty match where the last piece ended
                search_from = match.start() + 1
                continue
            pieces.append(text[piece_start : match.start()])
            pieces.extend(match.groups())
            piece_start = search_from = match.end()
            if match.end() == match.start():
                search_from += 1
        pieces.append(text[piece_start:])
    return {"result": pieces}


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
# A group's number is ASCII digits, as in JavaScript (`$` and another script's digit is text).
_TOKEN = regex.compile(r"\$([$&`']|[0-9][0-9]?)")
_TOKEN_NAMED = regex.compile(r"\$([$&`']|[0-9][0-9]?|<[^>]*>)")


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
