"""Running the nodes of a plan unit inside a task: it reads the results of the units it
depends on (and only those: the ProgressStore keeps each unit's apart), completes the wait
nodes whose Wait state has just passed, runs the unit with the pure executor, resolves the
wait nodes of the Wait states that follow (they stay `executing` until their Wait state has
passed), keeps its results, and announces the nodes it changed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lambdas.lifecycle.announce import notify
from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.records import end_wait
from lambdas.runtime.calls import WorkflowCalls
from lambdas.runtime.errors import NodeAttemptFailed
from lambdas.runtime.executor import PreparedWorkflow, run_node, run_unit
from lambdas.runtime.node_type import ExecutionEnvironment
from lambdas.runtime.output_limits import OutputBudget
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import (
    WAITING_FOR_WORKFLOW,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    instant,
)
from lambdas.runtime.sealed import SealedIntegrations, SealedSecrets
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import WorkflowIndex
from lambdas.runtime.waits import wait_seconds
from statemachine.event_waits import is_event_wait
from statemachine.model import Edge, Node, Workflow

# What one unit keeps of its results in the ProgressStore at most (bytes of JSON), within a
# DynamoDB item; more goes to the value store, the item holding a reference.
PROGRESS_LIMIT = 64 * 1024


class WaitNode(BaseModel):
    """A wait node whose seconds the task resolves for the Wait state that follows it."""

    node: Node
    edges: list[Edge] = Field(default_factory=list)


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


def _environment(
    state: WorkflowState,
    deps: UnitPorts,
    deadline: float | None,
    budget: OutputBudget,
    time_scale: float,
    calls: WorkflowCalls | None,
) -> ExecutionEnvironment:
    """What the execution of `state` gives the nodes a task runs."""
    execution = state.execution
    organization = execution.organization_id
    return ExecutionEnvironment(
        workflow_id=execution.workflow_id,
        execution_id=execution.id,
        organization_id=organization,
        secrets=SealedSecrets(state.sealed.secrets, deps.secrets, organization),
        integrations=SealedIntegrations(state.sealed.integrations, deps.integrations, organization),
        blobs=deps.blobs(organization),
        deadline=deadline,
        ends_by=None if state.ends_by is None else instant(state.ends_by),
        defer_waits=deps.defer_waits,
        budget=budget,
        mail=deps.mail,
        network=deps.network,
        model_apis=deps.model_apis,
        time_scale=time_scale,
        calls=calls,
        forms=deps.forms,
    )


class UnitRunner:
    """Runs nodes against the results of the units they read, keeps what it made."""

    def __init__(
        self,
        state: WorkflowState,
        deps: UnitPorts,
        deadline: float | None,
        reads: dict[str, int] | None = None,
        units: list[int] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        """`reads` gives the unit of each upstream node the unit reads; `units` more units
        whose results it starts with (its own and its waits', on a retried execution);
        `time_scale` how fast the nodes' timeouts run out (ExecutionEnvironment)."""
        execution = state.execution
        self.state = state
        self.registry, self.progress = deps.registry, deps.progress
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
        self.calls = None if deps.calls is None else deps.calls(execution)
        budget = OutputBudget(deps.limits, self.known_bytes)
        self.environment = _environment(state, deps, deadline, budget, time_scale, self.calls)

    def run(self, nodes: list[Node], edges: list[Edge]) -> list[NodeExecution]:
        """Run the nodes not yet completed.

        A node with a retry policy or a timeout (alone in its unit) records its `attempts`,
        counted in the progress store (a task retried for another reason, a throttled
        invocation, tries the node no more times); one that failed with attempts left
        raises NodeAttemptFailed, keeping nothing but the count, so that its task is
        retried (Step Functions' Retry, or the in-process engine's)."""
        # A retried execution starts with the results its predecessor completed: reused.
        pending = [node.id for node in nodes if not self._reused(node.id)]
        if not pending:
            return []
        prepared = self._prepare(nodes, edges)
        overrides = self.payloads.unpack_inputs(self.state.inputs, pending)
        executions = run_unit(prepared, pending, self.results, overrides, self.environment)
        for node in nodes:
            # a wait-for-event node's timeout is its wait's, not an attempt's
            if node.has_policy and node.id in pending and not is_event_wait(node):
                executions[pending.index(node.id)] = self._attempted(node)
        for node_id in self.started:  # its child runs next, in states of its own
            waiting = {"status": NodeStatus.EXECUTING, "waiting_for": WAITING_FOR_WORKFLOW}
            self.results[node_id] = self.results[node_id].model_copy(update=waiting)
            executions[pending.index(node_id)] = self.results[node_id]
        self.fresh += pending
        return executions

    @property
    def started(self) -> dict[str, dict[str, Any]]:
        """The child executions this task's run-workflow nodes prepared, for the states after
        the task to run (lambdas.lifecycle.calls), by node id."""
        return {} if self.calls is None else dict(self.calls.started)

    def settle(self, execution: NodeExecution) -> None:
        """Replace what is known of a node with how it ended (a run-workflow node once its
        child has)."""
        self.results[execution.node_id] = execution
        self._fresh_packed.pop(execution.node_id, None)
        self.fresh.append(execution.node_id)

    def _attempted(self, node: Node) -> NodeExecution:
        """The result of this attempt of `node`, with its count of attempts, or
        NodeAttemptFailed (the failure counted) when it failed and attempts remain."""
        execution = self.results[node.id]
        if execution.status == NodeStatus.SKIPPED:  # never tried
            return execution
        execution_id = self.state.execution.id
        tried = self.progress.failed_attempts(execution_id, node.id) + 1
        if execution.status == NodeStatus.ERROR and tried < node.max_attempts:
            self.progress.fail_attempt(execution_id, node.id)
            raise NodeAttemptFailed(node.id, tried, node.max_attempts, execution.error or "")
        execution = execution.model_copy(update={"attempts": tried})
        self.results[node.id] = execution
        return execution

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

    def announce(self, deps: UnitPorts) -> None:
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
