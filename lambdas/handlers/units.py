"""Running plan units inside a task: the shared body of `run_node` and `run_inline_group`.

It reads the results of the units it depends on (and only those: the ProgressStore keeps
each unit's apart), completes the wait nodes whose Wait state has just passed, runs the unit
with the pure executor, resolves the wait nodes of the Wait states that follow (they stay
`executing` until their Wait state has passed), keeps its results, and announces the nodes it
changed. The state it returns carries no results, only the bytes their outputs hold (held to
the deployment's limits on node outputs): what a unit moves never grows with the workflow.
A task may run several independent units side by side (`together`), each as it would run
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from lambdas.handlers.entry import Invocation
from lambdas.handlers.notify import notify
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
from lambdas.lifecycle.records import end_wait
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import BlobStore
from lambdas.runtime.executor import PreparedWorkflow, run_node, run_unit
from lambdas.runtime.mail import NO_MAIL, Mailer
from lambdas.runtime.network import PUBLIC_ONLY, NetworkPolicy
from lambdas.runtime.node_type import ExecutionEnvironment
from lambdas.runtime.output_limits import OutputBudget, OutputLimits
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import (
    IntegrationVault,
    LiveUpdates,
    ProgressStore,
    SecretVault,
    ValueStore,
)
from lambdas.runtime.record import ExecutionStatus, NodeExecution, NodeStatus, instant
from lambdas.runtime.registry import Registry
from lambdas.runtime.sealed import SealedIntegrations, SealedSecrets
from lambdas.runtime.state import Branch, WorkflowState
from lambdas.runtime.stored import StoredWorkflows, WorkflowIndex
from statemachine.model import Edge, Node, Workflow
from statemachine.path_keys import unescape_keys

# What one unit keeps of its results in the ProgressStore at most (bytes of JSON), within a
# DynamoDB item; more goes to the value store, the item holding a reference.
PROGRESS_LIMIT = 64 * 1024


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


@dataclass(frozen=True)
class Deps:
    registry: Registry
    values: ValueStore
    blobs: Callable[[str], BlobStore]
    secrets: SecretVault
    integrations: IntegrationVault
    updates: LiveUpdates | None
    progress: ProgressStore
    stored: StoredWorkflows
    limits: OutputLimits
    mail: Mailer = NO_MAIL
    network: NetworkPolicy = PUBLIC_ONLY


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


class WaitNode(BaseModel):
    """A wait node whose seconds the task resolves for the Wait state that follows it."""

    node: Node
    edges: list[Edge] = Field(default_factory=list)


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
    runner = UnitRunner(state, deps, invocation, request.reads, own)
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
        runner = UnitRunner(state, deps, invocation, member.reads, own)
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


def wait_nodes(workflow: Workflow | WorkflowIndex, wait_ids: list[str]) -> list[WaitNode]:
    """The wait nodes `wait_ids` names in the stored workflow, each with its inbound edges."""
    if not wait_ids:
        return []
    index = workflow if isinstance(workflow, WorkflowIndex) else WorkflowIndex(workflow)
    waits = []
    for wait_id in wait_ids:
        [node], into = index.members([wait_id])
        waits.append(WaitNode(node=node, edges=into))
    return waits


class UnitRunner:
    """Runs nodes against the results of the units they read, keeps what it made."""

    def __init__(
        self,
        state: WorkflowState,
        deps: Deps,
        invocation: Invocation,
        reads: dict[str, int] | None = None,
        units: list[int] | None = None,
    ) -> None:
        """`reads` gives the unit of each upstream node the unit reads; `units` more units
        whose results it starts with (its own and its waits', on a retried execution)."""
        execution = state.execution
        self.state = state
        self.registry = deps.registry
        self.progress = deps.progress
        self.payloads = Payloads(deps.values, execution.organization_id)
        wanted = list(dict.fromkeys([*(reads or {}).values(), *(units or []), *state.waiting]))
        kept = self.progress.get(execution.id, wanted) if wanted else {}
        self._packed: dict[str, Any] = {}
        self._members: dict[int, list[str]] = {}  # the nodes of each unit read
        for unit in wanted:
            unpacked = self.payloads.unpack_map(kept.get(unit, {}))
            self._members[unit] = list(unpacked)
            self._packed.update(unpacked)
        self.results = self.payloads.unpack_results(self._packed)
        # what the outputs of the results so far hold, its own added as it runs
        self.known_bytes = state.output_bytes + sum(b.output_bytes for b in state.branches)
        self.fresh: list[str] = []
        self.waiting: list[int] = []
        self._fresh_packed: dict[str, Any] = {}
        self.environment = ExecutionEnvironment(
            workflow_id=execution.workflow_id,
            execution_id=execution.id,
            organization_id=execution.organization_id,
            secrets=SealedSecrets(state.sealed.secrets, deps.secrets, execution.organization_id),
            integrations=SealedIntegrations(
                state.sealed.integrations, deps.integrations, execution.organization_id
            ),
            blobs=deps.blobs(execution.organization_id),
            deadline=invocation.deadline,
            ends_by=None if state.ends_by is None else instant(state.ends_by),
            defer_waits=True,
            budget=OutputBudget(deps.limits, self.known_bytes),
            mail=deps.mail,
            network=deps.network,
        )

    def run(self, nodes: list[Node], edges: list[Edge]) -> list[NodeExecution]:
        # A retried execution starts with the results its predecessor completed: reused.
        pending = [node.id for node in nodes if not self._reused(node.id)]
        if not pending:
            return []
        prepared = self._prepare(nodes, edges)
        overrides = self.payloads.unpack_inputs(self.state.inputs, pending)
        executions = run_unit(prepared, pending, self.results, overrides, self.environment)
        self.fresh += pending
        return executions

    def end_waits(self) -> None:
        """Complete the wait nodes whose Wait state has passed: the task before it left them
        `executing` (a task after a Wait state is the first code to run once it is over)."""
        for unit in self.state.waiting:
            for node_id in self._members.get(unit, []):
                execution = self.results[node_id]
                if execution.status == NodeStatus.EXECUTING:
                    self.results[node_id] = end_wait(execution)
                    self.fresh.append(node_id)

    def resolve_waits(self, waits: list[WaitNode]) -> list[int]:
        """Seconds for each following Wait state: 0 when its node is skipped or failed.

        A wait node that can wait is `executing` until its Wait state has passed, so that
        neither a live update nor a cancel during the wait calls it completed."""
        from lambdas.nodes.date import wait_seconds  # loaded with the registry by now

        seconds = []
        for wait in waits:
            if self._reused(wait.node.id):  # it waited in the execution that was retried
                seconds.append(0)
                continue
            prepared = self._prepare([wait.node], wait.edges)
            overrides = self.payloads.unpack_inputs(self.state.inputs, [wait.node.id])
            execution = run_node(
                prepared.nodes[wait.node.id],
                self.results,
                overrides.get(wait.node.id, {}),
                self.environment,
            )
            inputs = execution.inputs
            waiting = execution.status == NodeStatus.COMPLETED and inputs is not None
            seconds.append(wait_seconds(inputs) if waiting and inputs else 0)
            if waiting:
                execution = execution.model_copy(update={"status": NodeStatus.EXECUTING})
            self.results[wait.node.id] = execution
            self.fresh.append(wait.node.id)
        return seconds

    def keep(
        self, unit: int | None, node_ids: list[str], wait_units: list[int], waits: list[WaitNode]
    ) -> None:
        """Keep what changed of the unit's results (`unit`, running `node_ids`), of the
        waits it resolved and of the waits it completed, each under its own unit; remember
        the units of the waits left `executing` for the task after their Wait states."""
        owned: dict[int, list[str]] = {} if unit is None else {unit: node_ids}
        for wait_unit, wait in zip(wait_units, waits, strict=True):
            owned[wait_unit] = [wait.node.id]
            if self.results[wait.node.id].status == NodeStatus.EXECUTING:
                self.waiting.append(wait_unit)
        for waited in self.state.waiting:
            owned.setdefault(waited, self._members.get(waited, []))
        changed = set(self.fresh)
        packed = {**self._packed, **self._packed_fresh()}
        kept = {
            owner: self.payloads.pack_map(
                {n: packed[n] for n in ids if n in packed}, limit=PROGRESS_LIMIT
            )
            for owner, ids in owned.items()
            if changed.intersection(ids)
        }
        if kept:
            self.progress.put(self.state.execution.id, kept)

    def announce(self, deps: Deps) -> None:
        """Send the live update of the nodes this task changed, once they are kept (keep)
        and only while the execution is not sealed by a cancel: what a user was told never
        goes missing from the record."""
        if not self.fresh:
            return
        execution = self.state.execution

        def unsealed() -> bool:
            return not deps.progress.sealed(execution.id)

        # as the record will hold them: large values by reference
        changed = (self._packed_fresh()[node_id] for node_id in dict.fromkeys(self.fresh))
        notify(deps.updates, execution, ExecutionStatus.EXECUTING, changed, keep=unsealed)

    def _reused(self, node_id: str) -> bool:
        execution = self.results.get(node_id)
        return execution is not None and execution.status == NodeStatus.COMPLETED

    @property
    def output_bytes(self) -> int:
        """What the outputs of every result this task knows hold, its own included."""
        return self.environment.budget.produced

    def _packed_fresh(self) -> dict[str, Any]:
        """The executions this task made, packed (large values stored once)."""
        packed = self._fresh_packed
        for node_id in self.fresh:
            if node_id not in packed:
                packed[node_id] = self.payloads.pack_execution(self.results[node_id])
        return packed

    def _prepare(self, nodes: list[Node], edges: list[Edge]) -> PreparedWorkflow:
        for edge in edges:  # load the upstream values this unit reads, and only those
            upstream = self.results.get(edge.source)
            if upstream is not None:
                names = [edge.source_output]
                self.results[edge.source] = self.payloads.with_outputs(upstream, names)
        execution = self.state.execution
        fragment = Workflow(
            id=execution.workflow_id, name=execution.workflow_name, nodes=nodes, edges=edges
        )
        return PreparedWorkflow(fragment, self.registry)
