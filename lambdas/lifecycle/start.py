"""How an execution starts, on every engine: who it is (its context) and the state document
its state machine starts with."""

from __future__ import annotations

from typing import Any

from lambdas.runtime.state import ExecutionContext, WorkflowState
from statemachine.model import Workflow


def context_of(
    execution_id: str, workflow: Workflow, organization_id: str, session_id: str | None = None
) -> ExecutionContext:
    """Who and what runs: set once, at the start, and carried unchanged to the end."""
    return ExecutionContext(
        id=execution_id,
        workflow_id=workflow.id,
        workflow_name=workflow.name,
        organization_id=organization_id,
        session_id=session_id,
    )


def start_state(
    execution: ExecutionContext,
    inputs: dict[str, Any],
    reused: dict[str, Any] | None = None,
) -> WorkflowState:
    """The state an execution starts with: its per-run `inputs` and the results a retry
    `reused`, both packed (lambdas.runtime.payload); Initialize fills in the rest."""
    return WorkflowState(execution=execution, inputs=inputs, reused=reused or {})
