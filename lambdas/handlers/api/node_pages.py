"""An execution's node executions in pages that fit a Lambda response, with tokens to go on.

A Lambda's response, hence an HTTP API's, is capped at 6 MB, and the record of a workflow of
thousands of nodes, its values loaded, can be larger. A page holds the nodes that fit in
RESPONSE_BUDGET (always at least one, so that paging moves on), in the record's order. Its
token is the next node's position in the record, encoded and checked as the listings' page
tokens are (lambdas.runtime.pages), bound to the execution it was issued for.
"""

from __future__ import annotations

import json
from typing import Any

from lambdas.runtime.pages import decode_token, encode_token
from lambdas.runtime.payload import Payloads, holds_reference
from lambdas.runtime.record import ExecutionRecord, NodeExecution
from lambdas.runtime.store_errors import InvalidPageToken

# What a response body may take, which leaves room under the 6 MB cap for the rest of the
# Lambda response and for the page token.
RESPONSE_BUDGET = 5_000_000
MAX_NODE_PAGE = 1000
TOKEN_KEY = ("executionId", "offset")
TOKEN_ACTION = "GET /executions/{executionId}/nodes"
# What a page's token and the separators around it take, at most.
TOKEN_ROOM = 512
# A node's JSON is followed by ", " in its list.
SEPARATOR = 2


def size(value: Any) -> int:
    """The bytes `value`'s JSON takes in a Lambda response: there the body is itself a JSON
    string, in which every quote and backslash takes two bytes."""
    return len(json.dumps(json.dumps(value, ensure_ascii=False), ensure_ascii=False).encode())


def record_body(payloads: Payloads, record: ExecutionRecord) -> dict[str, Any]:
    """The record as the API answers it: whole when it fits, else with the leading node
    executions that do and `nodeExecutionsNextToken` to read the rest from
    /executions/{id}/nodes."""
    body = record.model_copy(update={"node_executions": []}).to_json()
    nodes, token = _page(payloads, record, 0, len(record.node_executions), size(body))
    body["nodeExecutions"] = nodes
    if token is not None:
        body["nodeExecutionsNextToken"] = token
    return body


def nodes_body(
    payloads: Payloads, record: ExecutionRecord, limit: int, next_token: str | None
) -> dict[str, Any]:
    """`{"items", "nextToken"?}`: up to `limit` node executions from where `next_token`
    (issued for this execution) says, else from the first."""
    start = 0 if next_token is None else _offset(next_token, record)
    items, token = _page(payloads, record, start, limit, size({"items": []}))
    return {"items": items} if token is None else {"items": items, "nextToken": token}


def _page(
    payloads: Payloads, record: ExecutionRecord, start: int, limit: int, taken: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` node executions from position `start`, their values loaded, as many as
    fit beside the `taken` bytes of the rest of the body; the token of the next, if any."""
    room = RESPONSE_BUDGET - taken - TOKEN_ROOM
    wanted = record.node_executions[start : start + limit]
    nodes = _all_inline(wanted, room)
    if nodes is None:
        nodes = []
        for execution in wanted:
            node = payloads.loaded(execution).to_json()
            room -= size(node) + SEPARATOR
            if room < 0 and nodes:
                break
            nodes.append(node)
    following = start + len(nodes)
    if following == len(record.node_executions):
        return nodes, None
    return nodes, encode_token(
        {"executionId": {"S": record.id}, "offset": {"S": str(following)}}, TOKEN_KEY
    )


def _all_inline(executions: list[NodeExecution], room: int) -> list[dict[str, Any]] | None:
    """The node executions as JSON, measured at once, when none has a value to load (by
    reference) and together they fit in `room`: most records. None otherwise."""
    if any(holds_reference(execution) for execution in executions):
        return None
    nodes = [execution.to_json() for execution in executions]
    return nodes if size(nodes) <= room else None


def _offset(token: str, record: ExecutionRecord) -> int:
    """The position a token of `record`'s pages stands for, or InvalidPageToken."""
    key = decode_token(token, TOKEN_KEY, ("executionId", record.id), TOKEN_ACTION)
    offset = key["offset"]["S"]
    if offset.isascii() and offset.isdecimal() and 0 < int(offset) < len(record.node_executions):
        return int(offset)
    raise InvalidPageToken("The page token is not valid for this listing", action=TOKEN_ACTION)
