"""Validation problems: a code, a message, and the node or edge each one concerns."""

from __future__ import annotations

from enum import StrEnum

from statemachine.model import WireModel


class ProblemCode(StrEnum):
    """Every code validation reports (SPEC §2), plus INVALID_WORKFLOW for malformed JSON,
    TOO_LONG for an id, a name or a description over its length (statemachine.identifiers),
    INVALID_ID for a workflow id that no URL path could carry, DUPLICATE_JSON_KEY for an object
    of the file that names a key twice, the codes of what the compiler refuses in a valid workflow
    (statemachine.errors.CompileError), and the ones the README lists under "Choices where SPEC
    is silent"."""

    INVALID_WORKFLOW = "INVALID_WORKFLOW"
    EMPTY_WORKFLOW = "EMPTY_WORKFLOW"
    DUPLICATE_NODE_ID = "DUPLICATE_NODE_ID"
    UNKNOWN_NODE_TYPE = "UNKNOWN_NODE_TYPE"
    CYCLE_DETECTED = "CYCLE_DETECTED"
    INVALID_CONNECTION = "INVALID_CONNECTION"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    DUPLICATE_CONNECTION = "DUPLICATE_CONNECTION"
    INVALID_VALUE = "INVALID_VALUE"
    DUPLICATE_INPUT = "DUPLICATE_INPUT"
    DUPLICATE_OUTPUT = "DUPLICATE_OUTPUT"
    EXPRESS_DURATION_EXCEEDED = "EXPRESS_DURATION_EXCEEDED"
    TOO_LONG = "TOO_LONG"
    INVALID_ID = "INVALID_ID"
    DUPLICATE_JSON_KEY = "DUPLICATE_JSON_KEY"
    WORKFLOW_TOO_LARGE = "WORKFLOW_TOO_LARGE"
    NOT_COMPILABLE = "NOT_COMPILABLE"
    INVALID_RETRY_POLICY = "INVALID_RETRY_POLICY"
    INVALID_TIMEOUT = "INVALID_TIMEOUT"
    EXPRESS_UNSUPPORTED = "EXPRESS_UNSUPPORTED"
    CALL_CYCLE = "CALL_CYCLE"


class ValidationProblem(WireModel):
    """One problem. `path` locates it in the JSON (`nodes[2].type`, `edges[0]`)."""

    code: ProblemCode
    message: str
    node_id: str | None = None
    node_ids: list[str] | None = None
    edge_index: int | None = None
    path: str | None = None
