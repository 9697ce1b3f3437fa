"""The node graph: deterministic topological order (graphlib) and the cycles that prevent one."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from graphlib import CycleError, TopologicalSorter

from statemachine.model import Edge, Workflow


def dependencies(workflow: Workflow) -> dict[str, list[str]]:
    """Each node's distinct upstream nodes, in edge order; every node has an entry."""
    upstream: dict[str, dict[str, None]] = {node.id: {} for node in workflow.nodes}
    for edge in workflow.edges:
        upstream[edge.target][edge.source] = None
    return {node: list(sources) for node, sources in upstream.items()}


def inbound_edges(workflow: Workflow) -> dict[str, list[Edge]]:
    """Each node's inbound edges in edge-list order; every node has an entry."""
    inbound: dict[str, list[Edge]] = {node.id: [] for node in workflow.nodes}
    for edge in workflow.edges:
        inbound[edge.target].append(edge)
    return inbound


def topological_order(node_ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Nodes in dependency order, ties broken by position in `node_ids`.

    Raises graphlib.CycleError when there is no such order.
    """
    position = {node: i for i, node in enumerate(node_ids)}
    sorter: TopologicalSorter[str] = TopologicalSorter(dict.fromkeys(node_ids, ()))
    for source, target in edges:
        sorter.add(target, source)
    sorter.prepare()
    ready = [(position[node], node) for node in sorter.get_ready()]
    heapq.heapify(ready)
    order = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        sorter.done(node)
        for successor in sorter.get_ready():
            heapq.heappush(ready, (position[successor], successor))
    return order


def find_cycles(node_ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Every group of nodes that lie on a cycle together, each in `node_ids` order.

    Empty when the graph is acyclic. Groups are strongly connected components (Tarjan,
    iterative so that deep graphs do not hit the recursion limit).
    """
    successors: dict[str, list[str]] = {node: [] for node in node_ids}
    self_loops = set()
    for source, target in edges:
        successors[source].append(target)
        if source == target:
            self_loops.add(source)
    try:
        topological_order(node_ids, [(s, t) for s, ts in successors.items() for t in ts])
    except CycleError:
        pass
    else:
        return []
    position = {node: i for i, node in enumerate(node_ids)}
    cycles = [
        sorted(component, key=position.__getitem__)
        for component in _strongly_connected(node_ids, successors)
        if len(component) > 1 or component[0] in self_loops
    ]
    return sorted(cycles, key=lambda c: position[c[0]])


def _strongly_connected(
    node_ids: Sequence[str], successors: dict[str, list[str]]
) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in node_ids:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for i in range(child, len(successors[node])):
                nxt = successors[node][i]
                if nxt not in index:
                    work.append((node, i + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
