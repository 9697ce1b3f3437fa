"""Simple JSON paths (`$.a.b[0]`, `a.b`, `$['odd key']`): parsing, reading and writing.

The nodes that read one place or change a document (json-keys, json-contains, json-set,
json-remove, ...) take these paths, as Dafthunk's do; the query nodes take full JSONPath.
Writers never mutate their input: they copy the containers on the way to the change and
share the unchanged parts, which is safe because no node writes into a value it received.
"""

from __future__ import annotations

import re
from typing import Any

from lambdas.runtime.output_limits import OutputBudget

# A key (str) or an index (int); a key of digits also indexes an array (`items.0`).
Segment = str | int

# `.key` takes any run of characters but dots, brackets, quotes and spaces, so that
# `$.user-name`, `$.1` and `$.café` are keys. Quoted keys accept escapes of the quote and
# of the backslash only.
_SEGMENT = re.compile(
    r"""\.(?P<name>[^.\[\]\s'"]+)
      | \[\s*(?P<index>-?[0-9]+)\s*\]
      | \[\s*'(?P<single>(?:[^'\\]|\\.)*)'\s*\]
      | \[\s*"(?P<double>(?:[^"\\]|\\.)*)"\s*\]""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class PathError(ValueError):
    """A path these nodes cannot follow (a wildcard, a slice, a filter, a stray character)."""


class Unwritable(ValueError):
    """A write that cannot happen: a key into an array, an index into an object or
    before the start of an array."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # what reading a path that leads nowhere gives


def parse(path: str) -> list[Segment]:
    """The segments of `path`: `$` and the empty path are the document itself, and the
    root may be left out (`a.b` is `$.a.b`)."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    elif text and text[0] not in ".[":
        text = "." + text
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        found = _SEGMENT.match(text, position)
        if found is None:
            raise PathError(path)
        if found["name"] is not None:
            segments.append(found["name"])
        elif found["index"] is not None:
            segments.append(_position(found["index"]))
        else:
            segments.append(_ESCAPE.sub(r"\1", found["single"] or found["double"] or ""))
        position = found.end()
    return segments


def _index(container: list[Any], key: Segment) -> int | None:
    """The position `key` names in `container` (negative counts from the end), or None."""
    if isinstance(key, str):
        if not (key.isascii() and key.isdigit()):  # other scripts' digits make a key
            return None
        key = _position(key)
    return key + len(container) if key < 0 else key


# Beyond any array a node could build (its outputs are limited far below).
_FAR = 10**20


def _position(text: str) -> int:
    """An index's ASCII digits (a leading minus allowed) as a number: one with more digits
    than int() reads (4300) is as far beyond any array as _FAR."""
    negative = text.startswith("-")
    digits = text.lstrip("-").lstrip("0") or "0"
    position = _FAR if len(digits) > len(str(_FAR)) else int(digits)
    return -position if negative else position


def read(document: Any, segments: list[Segment]) -> Any:
    """The value at `segments` in `document`, or MISSING (a key holding null is present)."""
    current = document
    for key in segments:
        if isinstance(current, dict) and isinstance(key, str):
            current = current.get(key, MISSING)
        elif isinstance(current, list):
            index = _index(current, key)
            if index is None or not 0 <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


class Growth:
    """The nulls a write pads arrays with, refused before they pass the output limit (an
    index of a billion would otherwise build a billion of them)."""

    def __init__(self, budget: OutputBudget, output: str = "result") -> None:
        self.budget = budget
        self.output = output
        self.nulls = 0

    def pad(self, count: int) -> list[None]:
        if count <= 0:
            return []
        self.nulls += count - 1  # the last receives what is written
        self.budget.refuse_over(self.output, len("null,") * self.nulls)
        return [None] * count


def write(node: Any, segments: list[Segment], value: Any, grown: Growth) -> Any:
    """A copy of `node` with `value` at `segments`. Missing (or null) containers on the way
    are created (an array before an index, else an object); arrays are padded with null
    up to a new index, as in JavaScript. Raises Unwritable."""
    if not segments:
        return value
    key, rest = segments[0], segments[1:]
    if node is None:
        node = [] if isinstance(key, int) else {}
    if isinstance(node, dict):
        if not isinstance(key, str):
            raise Unwritable
        copy = dict(node)
        copy[key] = write(node.get(key), rest, value, grown)
        return copy
    if not isinstance(node, list):
        raise Unwritable
    index = _index(node, key)
    if index is None or index < 0:
        raise Unwritable
    items = list(node)
    items.extend(grown.pad(index + 1 - len(items)))
    items[index] = write(items[index], rest, value, grown)
    return items


def remove(node: Any, segments: list[Segment]) -> tuple[Any, bool]:
    """A copy of `node` without the value at `segments`, and whether there was one (an array
    closes the gap). Raises Unwritable when the way passes through a value of the wrong kind."""
    key, rest = segments[0], segments[1:]
    if isinstance(node, dict) and isinstance(key, str):
        if key not in node:
            return node, False
        copy = dict(node)
        if rest:
            copy[key], removed = remove(node[key], rest)
            return (copy, True) if removed else (node, False)
        del copy[key]
        return copy, True
    if not isinstance(node, list):
        raise Unwritable
    index = _index(node, key)
    if index is None:
        raise Unwritable
    if not 0 <= index < len(node):
        return node, False
    items = list(node)
    if rest:
        items[index], removed = remove(node[index], rest)
        return (items, True) if removed else (node, False)
    del items[index]
    return items, True
