"""What a retried execution keeps of the one it retries: results that cannot change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lambdas.runtime.record import NodeExecution, NodeStatus
from statemachine.graph import dependencies, inbound_edges, topological_order
from statemachine.model import Workflow


def reusable(
    workflow: Workflow, executions: Iterable[NodeExecution], ran: Workflow | None = None
) -> list[NodeExecution]:
    """The node executions a retry of `workflow` starts with, charged nothing (usage 0).

    A node is kept when it completed and every node it depends on is kept too: a node fed by
    one that runs again (it failed, was skipped or never ran) must run again as well. With
    `ran`, the version of the workflow that produced `executions` when it is not `workflow`,
    a node is kept only if it is defined alike in both (see `definitions`).
    """
    done = {e.node_id: e for e in executions if e.status == NodeStatus.COMPLETED}
    if ran is not None:
        before = definitions(ran)
        done = {
            node_id: execution
            for node_id, definition in definitions(workflow).items()
            if (execution := done.get(node_id)) is not None and before.get(node_id) == definition
        }
    upstream = dependencies(workflow)
    pairs = [(source, target) for target, sources in upstream.items() for source in sources]
    kept: list[NodeExecution] = []
    keep: set[str] = set()
    for node_id in topological_order([node.id for node in workflow.nodes], pairs):
        if node_id in done and all(source in keep for source in upstream[node_id]):
            keep.add(node_id)
            kept.append(done[node_id].model_copy(update={"usage": 0}))
    return kept


def definitions(workflow: Workflow) -> dict[str, dict[str, Any]]:
    """What decides each node's result, by node id: its type, its ports with their literal
    values, and the edges into it in order (the last edge into an input wins, a repeated
    input collects in edge order). Its name and position on a canvas do not count."""
    inbound = inbound_edges(workflow)
    return {
        node.id: {
            **node.model_dump(mode="json", exclude={"name", "position"}),
            "edges": [edge.to_json() for edge in inbound[node.id]],
        }
        for node in workflow.nodes
    }
