"""Running one plan unit inside a task: the shared body of `run_node` and `run_inline_group`.

It completes the wait nodes whose Wait state has just passed, loads only the upstream values
the unit reads, runs the unit with the pure executor, resolves the wait nodes of the Wait
states that follow (they stay `executing` until their Wait state has passed), packs the
results back into the state with the bytes their outputs hold (held to the deployment's
limits on node outputs), and announces the nodes it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from lambdas.handlers.entry import Invocation
from lambdas.handlers.notify import notify
from lambdas.handlers.settings import (
    BlobBucket,
    Connections,
    ExecutionsTable,
    IntegrationsTable,
    OutputLimitSettings,
    SecretsTable,
)
from lambdas.handlers.wiring import (
    Clients,
    blobs,
    integrations,
    live_updates,
    progress,
    secrets,
    values,
)
from lambdas.nodes import default_registry
from lambdas.nodes.date import wait_seconds
from lambdas.runtime.blobs import BlobStore
from lambdas.runtime.executor import PreparedWorkflow, run_node, run_unit
from lambdas.runtime.node_type import ExecutionEnvironment
from lambdas.runtime.outcome import end_wait
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
from lambdas.runtime.stored import StoredWorkflows, members
from statemachine.model import Edge, Node, Workflow
from statemachine.path_keys import unescape_keys

# The results a branch of a Parallel state carries in the state at most (bytes of JSON): up
# to 25 branches (statemachine.compiler.MAX_BRANCHES) stay far below the 256 KiB of a state.
BRANCH_LIMIT = 2 * 1024
# What one task keeps of its results for a cancel (lambdas.adapters.progress) at most, within
# a DynamoDB item; more goes to the value store.
PROGRESS_LIMIT = 64 * 1024


class Settings(
    SecretsTable,
    IntegrationsTable,
    BlobBucket,
    Connections,
    ExecutionsTable,
    OutputLimitSettings,
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


def deps_from(settings: Settings, clients: Clients, registry: Registry | None = None) -> Deps:
    value_store = values(settings, clients)
    return Deps(
        registry=registry or default_registry(),
        values=value_store,
        blobs=blobs(settings, clients),
        secrets=secrets(settings, clients),
        integrations=integrations(settings, clients),
        updates=live_updates(settings, clients),
        progress=progress(settings, clients),
        stored=StoredWorkflows(value_store),
        limits=settings.output_limits,
    )


class WaitNode(BaseModel):
    """A wait node whose seconds the task resolves for the Wait state that follows it."""

    node: Node
    edges: list[Edge] = Field(default_factory=list)


class Event(BaseModel):
    state: WorkflowState
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    waits: list[WaitNode] = Field(default_factory=list)
    # Or, for a workflow stored apart from its definition, the ids of the nodes and waits.
    node_ids: list[str] = Field(default_factory=list, alias="nodeIds")
    wait_ids: list[str] = Field(default_factory=list, alias="waitIds")
    # In a branch of a Parallel state: return the unit's results alone ("own"), or also
    # those of the branches of an earlier Parallel state, not yet merged ("carry").
    branch: Literal["own", "carry"] | None = None

    @field_validator("nodes", "waits", mode="before")
    @classmethod
    def _restored(cls, value: Any) -> Any:
        """The nodes as written: the compiler escaped keys Step Functions would read as
        paths (statemachine.path_keys)."""
        return unescape_keys(value)


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = referenced(Event.model_validate(event), deps.stored)
    state = request.state
    runner = UnitRunner(state, deps, invocation)
    runner.end_waits()
    runner.run(request.nodes, request.edges)
    waits = runner.resolve_waits(request.waits)
    if request.branch is not None:
        returned = runner.branch_results(carry=request.branch == "carry").to_json()
    else:
        results = runner.payloads.pack_map(runner.packed_results())
        update = {
            "results": results,
            "output_bytes": runner.output_bytes,
            "waits": waits,
            "branches": [],
        }
        returned = state.model_copy(update=update).to_json()
    runner.announce(deps)
    return returned


def referenced(request: Event, stored: StoredWorkflows) -> Event:
    """`request` with the nodes, edges and waits its ids name read from the stored
    workflow; as it is when it carries them itself."""
    key = request.state.workflow_key
    if key is None or not (request.node_ids or request.wait_ids):
        return request
    workflow = stored.get(key)
    nodes, edges = members(workflow, request.node_ids)
    waits = wait_nodes(workflow, request.wait_ids)
    return request.model_copy(update={"nodes": nodes, "edges": edges, "waits": waits})


def wait_nodes(workflow: Workflow, wait_ids: list[str]) -> list[WaitNode]:
    """The wait nodes `wait_ids` names in the stored workflow, each with its inbound edges."""
    waits = []
    for wait_id in wait_ids:
        [node], into = members(workflow, [wait_id])
        waits.append(WaitNode(node=node, edges=into))
    return waits


class UnitRunner:
    """Runs nodes against the results carried by one state."""

    def __init__(self, state: WorkflowState, deps: Deps, invocation: Invocation) -> None:
        execution = state.execution
        self.state = state
        self.registry = deps.registry
        self.payloads = Payloads(deps.values, execution.organization_id)
        branches = (branch.results for branch in state.branches)
        self._packed = self.payloads.merged_map(state.results, branches)
        self.results = self.payloads.unpack_results(self._packed)
        # what the outputs of the results this task starts with hold, its own added as it runs
        self._known_bytes = state.output_bytes + sum(b.output_bytes for b in state.branches)
        self.fresh: list[str] = []
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
            budget=OutputBudget(deps.limits, self._known_bytes),
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
        for node_id, execution in self.results.items():
            if execution.status == NodeStatus.EXECUTING:
                self.results[node_id] = end_wait(execution)
                self.fresh.append(node_id)

    def resolve_waits(self, waits: list[WaitNode]) -> list[int]:
        """Seconds for each following Wait state: 0 when its node is skipped or failed.

        A wait node that can wait is `executing` until its Wait state has passed, so that
        neither a live update nor a cancel during the wait calls it completed."""
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

    def announce(self, deps: Deps) -> None:
        """Send the live update of the nodes this task changed, once they are kept where a
        cancel finds them (ProgressStore): what a user was told never goes missing.

        Called last, once the task's results are packed: a store fault while packing fails
        the task (and is retried) before anything is announced."""
        if not self.fresh:
            return
        execution = self.state.execution

        def keep() -> bool:
            own = self.payloads.pack_map(self._packed_fresh(), limit=PROGRESS_LIMIT)
            return deps.progress.record(execution.id, own)

        # as the record will hold them: large values by reference
        changed = (self._packed_fresh()[node_id] for node_id in dict.fromkeys(self.fresh))
        notify(deps.updates, execution, ExecutionStatus.EXECUTING, changed, keep=keep)

    def _reused(self, node_id: str) -> bool:
        execution = self.results.get(node_id)
        return execution is not None and execution.status == NodeStatus.COMPLETED

    def branch_results(self, *, carry: bool) -> Branch:
        """What the unit returns from a branch of a Parallel state: its own results, and
        with `carry` those of the earlier branches the state still holds apart. Over
        BRANCH_LIMIT they go to the value store, so that many branches fit one state."""
        carried = self.state.branches if carry else []
        results = self.payloads.merged_map({}, (branch.results for branch in carried))
        results.update(self._packed_fresh())
        own_bytes = self.output_bytes - self._known_bytes
        return Branch(
            results=self.payloads.pack_map(results, limit=BRANCH_LIMIT),
            output_bytes=sum(branch.output_bytes for branch in carried) + own_bytes,
        )

    @property
    def output_bytes(self) -> int:
        """What the outputs of every result this task knows hold, its own included."""
        return self.environment.budget.produced

    def packed_results(self) -> dict[str, Any]:
        """The results as the state carries them: earlier ones untouched, new ones packed."""
        return {**self._packed, **self._packed_fresh()}

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
