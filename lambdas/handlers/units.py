"""The tasks that run plan units: the shared body of `run_node` and `run_inline_group`.

Each runs a unit as lambdas.lifecycle.unit says. The state it returns carries no results,
only the bytes their outputs hold (held to the deployment's limits on node outputs): what a
unit moves never grows with the workflow. A task may run several independent units side by
side (`together`), each as it would run alone.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from lambdas.handlers.entry import Invocation
from lambdas.handlers.settings import (
    BlobBucket,
    Connections,
    EmailSender,
    ExecutionsTable,
    IntegrationsTable,
    NetworkAccess,
    OutputLimitSettings,
    SecretsTable,
)
from lambdas.handlers.wiring import (
    Clients,
    blobs,
    integrations,
    live_updates,
    mailer,
    progress,
    secrets,
    values,
)
from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit import UnitRunner, WaitNode, wait_nodes
from lambdas.nodes import default_registry
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import Branch, WorkflowState
from lambdas.runtime.stored import StoredWorkflows
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
):
    pass


@dataclass(frozen=True, kw_only=True)
class Deps(UnitPorts):
    stored: StoredWorkflows


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
    return Deps(
        registry=registry or default_registry(),
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
    # In a branch of a Parallel state: return the bytes of the unit's outputs alone
    # ("own"), or also those of the branches of an earlier Parallel state ("carry").
    branch: Literal["own", "carry"] | None = None

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
    state = request.state
    if request.branch == "own":  # the first branch completes the waits that passed
        state = state.model_copy(update={"waiting": []})
    # a retried execution's units read the results they start with: their own, their waits'
    own = [request.unit, *request.wait_units] if state.resumed else []
    runner = UnitRunner(state, deps, invocation.deadline, request.reads, own)
    runner.end_waits()
    runner.run(request.nodes, request.edges)
    waits = runner.resolve_waits(request.waits)
    runner.keep(
        request.unit, [node.id for node in request.nodes], request.wait_units, request.waits
    )
    if request.branch is not None:
        carried = state.branches if request.branch == "carry" else []
        own_bytes = runner.output_bytes - runner.known_bytes
        returned = Branch(output_bytes=sum(b.output_bytes for b in carried) + own_bytes).to_json()
    else:
        update = {
            "output_bytes": runner.output_bytes,
            "waits": waits,
            "waiting": runner.waiting,
            "branches": [],
        }
        returned = state.model_copy(update=update).to_json()
    runner.announce(deps)
    return returned


def run_together(request: Together, deps: Deps, invocation: Invocation) -> dict[str, Any]:
    """Run each unit on a thread of its own, as a task of its own would, then return the
    state with the bytes all their outputs hold.

    Each unit keeps its results and announces them as soon as it is done. A unit's failure
    (not a node error, which is data) is raised once every unit has ended; a retried
    attempt reuses what each unit completed before, so a request that completed is not
    sent again.
    """
    state = request.state
    if state.workflow_key is not None:
        index = deps.stored.index(state.workflow_key)
        picked = [index.members(member.node_ids) for member in request.together]
        request = request.model_copy(
            update={
                "together": [
                    member.model_copy(update={"nodes": nodes, "edges": edges})
                    for member, (nodes, edges) in zip(request.together, picked, strict=True)
                ]
            }
        )

    def run(member: Member) -> int:
        own = [member.unit] if request.attempt or state.resumed else []
        runner = UnitRunner(state, deps, invocation.deadline, member.reads, own)
        runner.run(member.nodes, member.edges)
        runner.keep(member.unit, [node.id for node in member.nodes], [], [])
        runner.announce(deps)
        return runner.output_bytes - runner.known_bytes

    with futures.ThreadPoolExecutor(max_workers=len(request.together)) as pool:
        running = [pool.submit(run, member) for member in request.together]
    failed = next((error for f in running if (error := f.exception()) is not None), None)
    if failed is not None:
        raise failed
    known = state.output_bytes + sum(branch.output_bytes for branch in state.branches)
    produced = known + sum(f.result() for f in running)
    update = {"output_bytes": produced, "waits": [], "waiting": [], "branches": []}
    return state.model_copy(update=update).to_json()


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
