"""A user's object keys carried through a task's `Parameters` as data, whatever they end with.

Step Functions reads a `Parameters` key ending in ".$" as a path (its value is looked up in
the state), so a literal `{"a.$": 1}` in a node definition would not reach the task as it was
written. The compiler escapes such keys and the task restores them: a key ending in ".$"
followed by any number of "~" gets one "~" more, and the task drops it again. The mapping is
one to one (a key that already ends in ".$~" is escaped too), so every key comes back exactly,
and no escaped key ends in ".$".
"""

from __future__ import annotations

import re
from typing import Any

# A key Step Functions would read as a path, or one that reads like an escaped key.
_ESCAPABLE = re.compile(r"\.\$~*\Z")
_ESCAPED = re.compile(r"\.\$~+\Z")
MARK = "~"


def escape_keys(value: Any) -> Any:
    """`value` with every object key, at any depth, that Step Functions would read as a path
    (or that reads as an escaped one) given one more "~"."""
    if isinstance(value, dict):
        return {_escaped(key): escape_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escape_keys(item) for item in value]
    return value


def unescape_keys(value: Any) -> Any:
    """`value` as it was before `escape_keys`: `value` itself when it holds no escaped key
    (nearly always: a task's nodes are read once, not copied), else a copy."""
    return _unescaped_copy(value) if _holds_escaped(value) else value


def _holds_escaped(value: Any) -> bool:
    # Plain loops (not any() over generators): this walks the nodes of every task.
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(MARK) and _ESCAPED.search(key):
                return True
            if isinstance(item, (dict, list)) and _holds_escaped(item):
                return True
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and _holds_escaped(item):
                return True
    return False


def _unescaped_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {_unescaped(key): _unescaped_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unescaped_copy(item) for item in value]
    return value


def _escaped(key: str) -> str:
    return key + MARK if _ESCAPABLE.search(key) else key


def _unescaped(key: str) -> str:
    return key[: -len(MARK)] if _ESCAPED.search(key) else key
