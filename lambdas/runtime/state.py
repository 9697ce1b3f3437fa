"""The state document that flows through a compiled state machine, from task to task.

Every Lambda task receives the whole state and returns the next one (see the compiler), so
this model is the contract between the starter, the handlers and the Choice states. It holds
no node results: each unit keeps its own in the ProgressStore (lambdas.runtime.ports), so the
state keeps the same small size from the first unit to the last, whatever the workflow.
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
    # A child execution, started by a run-workflow node (lambdas.lifecycle.calls): the
    # execution and node that called it, and how deep in calls it runs (from 1).
    parent_execution_id: str | None = None
    parent_node_id: str | None = None
    call_depth: int | None = None
    # A retry (lambdas.lifecycle.retry): the execution it retries. A wait-for-form node
    # of a retry takes over the form of an execution it descends from (lambdas.lifecycle.
    # event_wait), which reusing create-form's result hands it.
    retry_of: str | None = None


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
    """What one branch of a Parallel state returns: the bytes of the outputs its unit made
    (and, from the first branch, those of an earlier Parallel state's branches), added to
    WorkflowState.output_bytes by the next task."""

    output_bytes: int = 0


class WorkflowState(WireModel):
    """The state of one execution between two states of its state machine.

    `inputs` are packed (see lambdas.runtime.payload): large values, or the whole map, are
    carried by reference so that the state stays under 256 KiB. So is `reused`, the results
    a retried execution starts with: Initialize hands them to the units (ProgressStore) and
    empties it, setting `resumed` so that each unit reads its own.

    `units` is how many plan units the machine runs (Initialize sets it): Finalize and a
    cancel read what each kept. `waiting` names the units of the wait nodes the task before
    the Wait states left `executing`; the task after them completes them.

    `output_bytes` is what the outputs of the results so far hold
    (lambdas.runtime.output_limits), and each of `branches` adds its own: a task computes
    its total from its input alone, so a retried task counts nothing twice. A retried
    execution counts only what it runs.
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
    reused: dict[str, Any] = Field(default_factory=dict)
    resumed: bool = False
    units: int = 0
    output_bytes: int = 0
    waits: list[int] = Field(default_factory=list)
    waiting: list[int] = Field(default_factory=list)
    failure: Failure | None = None
    branches: list[Branch] = Field(default_factory=list)
    # The child execution a run-workflow node's task prepared, for the task that starts it
    # (states:startExecution.sync:2) and the task that completes the node after it.
    call: dict[str, Any] | None = None
