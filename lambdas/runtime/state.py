"""The state document that flows through a compiled state machine, from task to task.

Every Lambda task receives the whole state and returns the next one (see the compiler), so
this model is the contract between the starter, the handlers and the Choice states.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from statemachine.model import WireModel


class ExecutionContext(WireModel):
    """Who and what is running: set by the starter, never changed."""

    id: str
    workflow_id: str
    workflow_name: str
    organization_id: str
    session_id: str | None = None


class Credits(WireModel):
    """What Check credits found the organization can afford: the workflow's estimate."""

    estimate: int


class Sealed(WireModel):
    """The organization's secrets and integrations in encrypted form, loaded once."""

    secrets: dict[str, str] = Field(default_factory=dict)
    integrations: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Failure(WireModel):
    """What a Catch adds: the error name and its cause (our handlers' cause is JSON)."""

    model_config = ConfigDict(alias_generator=None)

    Error: str = ""
    Cause: str = ""


class Branch(WireModel):
    """What one branch of a Parallel state returns: the results of its unit alone (packed),
    merged into the state's results by the next task that reads them, and the bytes of
    the outputs among them (see WorkflowState.output_bytes)."""

    results: dict[str, Any] = Field(default_factory=dict)
    output_bytes: int = 0


class WorkflowState(WireModel):
    """The state of one execution between two states of its state machine.

    `inputs` and `results` are packed (see lambdas.runtime.payload): large values, or the
    whole map, are carried by reference so that the state stays under 256 KiB.

    `output_bytes` is what the outputs in `results` hold (lambdas.runtime.output_limits),
    and each of `branches` adds its own: a task computes its total from its input alone, so
    a retried task counts nothing twice. A retried execution counts only what it runs.
    """

    execution: ExecutionContext
    # where the workflow is stored when its tasks name only node ids (lambdas.runtime.stored)
    workflow_key: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    credits: Credits | None = None
    sealed: Sealed = Field(default_factory=Sealed)
    started_at: str | None = None
    # when Express stops a short-lived execution (ISO-8601): a wait must end before
    ends_by: str | None = None
    results: dict[str, Any] = Field(default_factory=dict)
    output_bytes: int = 0
    waits: list[int] = Field(default_factory=list)
    failure: Failure | None = None
    branches: list[Branch] = Field(default_factory=list)
