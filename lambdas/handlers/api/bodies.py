"""What the HTTP API's routes answer on success, as models: the OpenAPI document describes each
body with them (tests/api/test_openapi_conformance.py checks real answers against it). A
deployed workflow is lambdas.runtime.ports.DeployedWorkflow, what the store keeps of it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lambdas.runtime.ports import WorkflowSummary
from lambdas.runtime.record import ExecutionRecord, ExecutionSummary, NodeExecution
from statemachine.model import WireModel

# The pages a listing answers (lambdas.runtime.ports.Page of each), as classes of their own:
# a parametrized generic model is built as it is made, on every cold start, and these are
# only needed for the OpenAPI document.
_NEXT = Field(default=None, description="Pass it back for the next page (none: no more)")


class WorkflowPage(WireModel):
    items: list[WorkflowSummary]
    next_token: str | None = _NEXT


class ExecutionPage(WireModel):
    items: list[ExecutionSummary]
    next_token: str | None = _NEXT


class NodeExecutionPage(WireModel):
    items: list[NodeExecution]
    next_token: str | None = _NEXT


class ErrorDetail(WireModel):
    code: str = Field(description="What went wrong, for programs")
    message: str = Field(description="What went wrong, for people")
    details: Any = Field(default=None, description="Each problem, where there are several")


class Error(WireModel):
    """The body of every answer over 399."""

    error: ErrorDetail


class RecordBody(ExecutionRecord):
    """An execution's record; one too large for a response holds its leading node executions
    and the token to read the rest from /executions/{id}/nodes."""

    node_executions_next_token: str | None = None


class Started(WireModel):
    execution_id: str
    workflow_id: str
    status: str
    retry_of: str | None = None


class SecretStored(WireModel):
    name: str


class SecretNames(WireModel):
    secrets: list[str]


class NodeTypes(WireModel):
    node_types: list[dict[str, Any]] = Field(description="Each node type with its ports")


class BlobReference(WireModel):
    id: str
    mime_type: str
    filename: str | None = None
