"""The tasks that run plan units: the shared body of `run_node` and `run_inline_group`.

Each reads what its event names (the nodes, or their ids in the stored workflow) and runs
it as lambdas.lifecycle.unit_task says: one unit, a branch of a Parallel state, or several
independent units side by side (`together`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from lambdas.handlers.entry import Invocation
from lambdas.handlers.settings import (
    BlobBucket,
    CallableWorkflows,
    Connections,
    EmailSender,
    ExecutionsTable,
    ForEachItems,
    FormsUrl,
    IntegrationsTable,
    ModelApiSettings,
    NetworkAccess,
    OutputLimitSettings,
    SecretsTable,
    WorkflowsTable,
)
from lambdas.handlers.wiring import (
    Clients,
    blobs,
    event_waits,
    executions,
    forms,
    integrations,
    live_updates,
    mailer,
    progress,
    secrets,
    values,
    workflows,
)
from lambdas.lifecycle.calls import finish_call
from lambdas.lifecycle.children import CallPorts
from lambdas.lifecycle.event_wait import settle, start_waiting
from lambdas.lifecycle.for_each import DeferredForEach, finish_for_each
from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit import WaitNode, wait_nodes
from lambdas.lifecycle.unit_task import (
    UnitWork,
    run_branch,
    run_side_by_side,
    run_unit,
)
from lambdas.nodes import default_registry
from lambdas.runtime.forms import FormDesk
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows
from statemachine.for_each import INLINE_ITEMS
from statemachine.model import Edge, Node
from statemachine.path_keys import unescape_keys


class Settings(
    EmailSender,
    SecretsTable,
    IntegrationsTable,
    BlobBucket,
    Connections,
    ExecutionsTable,
    OutputLimitSettings,
    NetworkAccess,
    ModelApiSettings,
):
    pass


class CallingSettings(Settings, CallableWorkflows, ForEachItems, FormsUrl):
    """A function whose units may be run-workflow, for-each or create-form nodes
    (run-node)."""


@dataclass(frozen=True, kw_only=True)
class Deps(UnitPorts):
    stored: StoredWorkflows
    # what run-workflow nodes call workflows with (None: this function runs none)
    call_ports: CallPorts | None = None


def deps_from(
    settings: Settings,
    clients: Clients,
    registry: Registry | None = None,
    *,
    stored: StoredWorkflows | None = None,
) -> Deps:
    """The task's dependencies; `stored` shares the stored workflows another task of this
    process read (the embedded engine's functions share one process)."""
    value_store = values(settings, clients)
    registry = registry or default_registry()
    call_ports = None
    if isinstance(settings, CallableWorkflows) and settings.workflows_table is not None:
        table = WorkflowsTable(workflows_table=settings.workflows_table)
        call_ports = CallPorts(
            workflows=workflows(table, settings, clients),
            executions=executions(settings, settings, clients),
            values=value_store,
            catalog=registry.catalog,
            items_bucket=settings.blob_bucket,
            inline_items=(
                settings.stepthunk_for_each_inline_items
                if isinstance(settings, ForEachItems)
                else INLINE_ITEMS
            ),
        )
    return Deps(
        registry=registry,
        values=value_store,
        blobs=blobs(settings, clients),
        secrets=secrets(settings, clients),
        integrations=integrations(settings, clients),
        updates=live_updates(settings, clients),
        progress=progress(settings, clients),
        stored=stored or StoredWorkflows(value_store),
        limits=settings.output_limits,
        mail=mailer(settings, clients),
        network=settings.network_policy,
        model_apis=settings.model_apis,
        call_ports=call_ports,
        calls=None if call_ports is None else functools.partial(DeferredForEach, call_ports),
        event_waits=event_waits(settings, clients),
        executions=executions(settings, settings, clients),
        # run-inline-group has no forms URL: it runs no create-form node (not inlinable)
        forms=FormDesk(
            forms(settings, clients),
            settings.stepthunk_forms_url if isinstance(settings, FormsUrl) else None,
        ),
    )


class Member(BaseModel):
    """One of the units a task runs side by side: its nodes, the edges into them (or the
    ids of its nodes, for a stored workflow), its index, and the unit of each node it reads."""

    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    node_ids: list[str] = Field(default_factory=list, alias="nodeIds")
    unit: int
    reads: dict[str, int] = Field(default_factory=dict)

    @field_validator("nodes", mode="before")
    @classmethod
    def _restored(cls, value: Any) -> Any:
        return unescape_keys(value)


class Together(BaseModel):
    """A task running independent units side by side (`attempt`: Step Functions' retry
    count, from 0)."""

    state: WorkflowState
    together: list[Member]
    attempt: int = 0


class Event(BaseModel):
    state: WorkflowState
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    waits: list[WaitNode] = Field(default_factory=list)
    # Or, for a workflow stored apart from its definition, the ids of the nodes and waits.
    node_ids: list[str] = Field(default_factory=list, alias="nodeIds")
    wait_ids: list[str] = Field(default_factory=list, alias="waitIds")
    # The unit this task runs (its index in the plan), the units of the waits it resolves,
    # and the unit of each node of another unit that its nodes and waits read.
    unit: int
    wait_units: list[int] = Field(default_factory=list, alias="waitUnits")
    reads: dict[str, int] = Field(default_factory=dict)
    # After the child of a run-workflow node ran: complete the node from its record.
    finish_call: bool = Field(default=False, alias="finishCall")
    # After the Map state ran the items of a for-each node: complete it from their records.
    finish_for_each: bool = Field(default=False, alias="finishForEach")
    # In a branch of a Parallel state: return the bytes of the unit's outputs alone
    # ("own"), or also those of the branches of an earlier Parallel state ("carry").
    branch: Literal["own", "carry"] | None = None
    # A wait-for-event node's waiting task gives its task token (statemachine.event_waits);
    # the task after it what ended the wait.
    task_token: str | None = Field(default=None, alias="taskToken", repr=False)
    ended: dict[str, Any] | None = Field(default=None, alias="event")

    @field_validator("nodes", "waits", mode="before")
    @classmethod
    def _restored(cls, value: Any) -> Any:
        """The nodes as written: the compiler escaped keys Step Functions would read as
        paths (statemachine.path_keys)."""
        return unescape_keys(value)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    if "together" in event:
        return run_together(Together.model_validate(event), deps, invocation)
    request = referenced(Event.model_validate(event), deps.stored)
    work = UnitWork(
        request.unit, request.nodes, request.edges, request.reads, request.waits, request.wait_units
    )
    time_scale = invocation.time_scale
    if request.finish_call or request.finish_for_each:
        if deps.call_ports is None:
            raise RuntimeError("This function runs no workflows: it has no workflows table")
        finish = finish_call if request.finish_call else finish_for_each
        finished = finish(deps, deps.call_ports.executions, request.state, work)
        return finished.to_json()
    if request.task_token is not None:
        token, deadline = request.task_token, invocation.deadline
        start_waiting(deps, request.state, work, token, deadline, time_scale)
        return {}  # a waiting task's result is what ends its wait
    if "event" in event:
        ended = request.ended
        return settle(deps, request.state, work, ended, invocation.deadline, time_scale).to_json()
    if request.branch is not None:
        carry = request.branch == "carry"
        branch = run_branch(deps, request.state, work, invocation.deadline, carry, time_scale)
        return branch.to_json()
    return run_unit(deps, request.state, work, invocation.deadline, time_scale).to_json()


def run_together(request: Together, deps: Deps, invocation: Invocation) -> dict[str, Any]:
    """Run the units side by side (each with the nodes and edges its ids name in the stored
    workflow, when the state has one)."""
    state = request.state
    members = request.together
    if state.workflow_key is not None:
        index = deps.stored.index(state.workflow_key)
        picked = [index.members(member.node_ids) for member in members]
    else:
        picked = [(member.nodes, member.edges) for member in members]
    units = [
        UnitWork(member.unit, nodes, edges, member.reads)
        for member, (nodes, edges) in zip(members, picked, strict=True)
    ]
    return run_side_by_side(deps, state, units, invocation.deadline, request.attempt).to_json()


def referenced(request: Event, stored: StoredWorkflows) -> Event:
    """`request` with the nodes, edges and waits its ids name read from the stored
    workflow; as it is when it carries them itself."""
    key = request.state.workflow_key
    if key is None or not (request.node_ids or request.wait_ids):
        return request
    index = stored.index(key)
    nodes, edges = index.members(request.node_ids)
    waits = wait_nodes(index, request.wait_ids)
    return request.model_copy(update={"nodes": nodes, "edges": edges, "waits": waits})
