"""What a retried execution keeps of the one it retries: results that cannot change."""

from __future__ import annotations

from collections.abc import Iterable

from lambdas.runtime.record import NodeExecution, NodeStatus
from statemachine.graph import dependencies, topological_order
from statemachine.model import Workflow


def reusable(workflow: Workflow, executions: Iterable[NodeExecution]) -> list[NodeExecution]:
    """The node executions a retry starts with, charged nothing (usage 0).

    A node is kept when it completed and every node it depends on is kept too: a node fed by
    one that runs again (it failed, was skipped or never ran) must run again as well.
    """
    done = {e.node_id: e for e in executions if e.status == NodeStatus.COMPLETED}
    upstream = dependencies(workflow)
    pairs = [(source, target) for target, sources in upstream.items() for source in sources]
    kept: list[NodeExecution] = []
    keep: set[str] = set()
    for node_id in topological_order([node.id for node in workflow.nodes], pairs):
        if node_id in done and all(source in keep for source in upstream[node_id]):
            keep.add(node_id)
            kept.append(done[node_id].model_copy(update={"usage": 0}))
    return kept
