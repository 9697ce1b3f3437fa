"""Live update messages (SPEC §8): one update as pages that each fit a WebSocket message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.runtime.payload import encode

MESSAGE_TYPE = "execution_update"
# API Gateway WebSocket messages are at most 128 KB; leave room for framing.
MESSAGE_LIMIT = 120 * 1024
# What an execution's error may take of a message (of a smaller limit, an eighth of it): the
# rest is for its nodes.
ERROR_ROOM = 8 * 1024
# Measured in place of the page numbers, which are known only once every page is filled.
LARGEST_PAGE = {"index": 9_999_999, "count": 9_999_999}
CUT = "…"


def subscribers(execution_id: str) -> str:
    """The session under which connections that subscribed to an execution are stored."""
    return f"execution#{execution_id}"


def execution_updates(
    *,
    execution_id: str,
    workflow_id: str,
    status: str,
    node_executions: Iterable[Mapping[str, Any]],
    error: str | None = None,
    limit: int = MESSAGE_LIMIT,
) -> list[dict[str, Any]]:
    """The `execution_update` messages of one update, each at most `limit` bytes of JSON.

    Each page has the same envelope (type, executionId, workflowId, status, error?), its
    place `"page": {"index": 1.., "count": n}`, and the next node executions (given as JSON)
    in their order. A node execution is never split: values stored by reference stay
    `{"@stepthunk/ref": key}` (lambdas.runtime.payload), so one fits a page; one that alone
    would not (a very long error, or large values on the in-process engine, which stores
    nothing by reference) is cut to fit (`_fitting`). The record keeps everything.
    """
    envelope: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "executionId": execution_id,
        "workflowId": workflow_id,
        "status": status,
    }
    if error:
        envelope["error"] = _cut(error, min(ERROR_ROOM, limit // 8))
    room = limit - _size({**envelope, "page": LARGEST_PAGE, "nodeExecutions": []})
    pages: list[list[dict[str, Any]]] = [[]]
    taken = 0
    for execution in node_executions:
        node, size = _fitting(dict(execution), room)
        if pages[-1] and taken + size > room:
            pages.append([])
            taken = 0
        pages[-1].append(node)
        taken += size
    return [
        {**envelope, "page": {"index": index, "count": len(pages)}, "nodeExecutions": nodes}
        for index, nodes in enumerate(pages, start=1)
    ]


def _fitting(node: dict[str, Any], room: int) -> tuple[dict[str, Any], int]:
    """`node` and the bytes it takes in a list; when it alone exceeds `room`, cut to fit in
    the order that keeps what a user needs most: a long error cut to ERROR_ROOM, then its
    inputs left out, then its outputs, then the error cut further."""
    size = _size(node) + 1  # and the comma before it
    if size <= room:
        return node, size
    if isinstance(node.get("error"), str):
        node["error"] = _cut(node["error"], ERROR_ROOM)
    for part in ("inputs", "outputs"):
        size = _size(node) + 1
        if size <= room:
            return node, size
        node.pop(part, None)
    size = _size(node) + 1
    error = node.get("error")
    if size > room and isinstance(error, str):
        node["error"] = _cut(error, max(_size(error) - (size - room), _size(CUT)))
        size = _size(node) + 1
    return node, size


def _cut(text: str, room: int) -> str:
    """`text`, or its longest beginning that fits `room` bytes of JSON with "…" after it."""
    if _size(text) <= room:
        return text
    fits, too_long = 0, min(len(text), room) + 1  # a character takes a byte at least
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if _size(text[:middle] + CUT) <= room:
            fits = middle
        else:
            too_long = middle
    return text[:fits] + CUT


def _size(value: Any) -> int:
    """Bytes of `value`'s JSON as a message carries it."""
    return len(encode(value))
