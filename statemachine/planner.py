"""The execution plan: a deterministic order of units, cheap nodes packed into inline groups."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field

from statemachine.catalog import Catalog
from statemachine.errors import StateMachineError
from statemachine.graph import dependencies, topological_order
from statemachine.model import Edge, WireModel, Workflow

DEFAULT_MAX_GROUP_SIZE = 50


class IndividualUnit(WireModel):
    """One node run by its own task."""

    type: Literal["individual"] = "individual"
    node_id: str

    @property
    def members(self) -> list[str]:
        """The ids of the nodes the unit runs."""
        return [self.node_id]


class InlineUnit(WireModel):
    """Inlinable nodes run in order by one task."""

    type: Literal["inline"] = "inline"
    node_ids: list[str]

    @property
    def members(self) -> list[str]:
        """The ids of the nodes the unit runs, in order."""
        return list(self.node_ids)


Unit = Annotated[IndividualUnit | InlineUnit, Field(discriminator="type")]


class Plan(WireModel):
    """`order` is the topological order; `units` run one after another, in list order."""

    workflow_id: str
    order: list[str]
    units: list[Unit]

    def digest(self) -> str:
        """sha256 of the plan's JSON: compiled into a state machine, checked when it runs."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


class Wiring:
    """Where the inputs of a plan's units come from: the edges into each node and the unit
    of each node. Both engines give a unit's task the edges into its nodes and the unit of
    each node of another unit it reads (a unit reads only the results of those units)."""

    def __init__(self, workflow: Workflow, plan: Plan) -> None:
        self._edges = workflow.edges
        self._inbound: dict[str, list[int]] = {node.id: [] for node in workflow.nodes}
        for i, edge in enumerate(workflow.edges):
            self._inbound[edge.target].append(i)
        self._unit_of = {node: i for i, unit in enumerate(plan.units) for node in unit.members}

    def edges_into(self, members: Iterable[str]) -> list[Edge]:
        """The edges into the nodes `members`, in the workflow's order."""
        return [self._edges[i] for i in sorted(i for m in members for i in self._inbound[m])]

    def reads(self, members: Iterable[str], own: int | None) -> dict[str, int]:
        """The unit of each node that feeds `members` from another unit than `own`, in the
        order of `members` and of the edges into each."""
        sources = (self._edges[i].source for m in members for i in self._inbound[m])
        return {source: self._unit_of[source] for source in sources if self._unit_of[source] != own}


class PlanError(StateMachineError):
    """The planner was asked for something it cannot do (a bad group size)."""


def plan_workflow(
    workflow: Workflow, catalog: Catalog, *, max_group_size: int = DEFAULT_MAX_GROUP_SIZE
) -> Plan:
    """Plan a validated workflow.

    Units are formed greedily: while inlinable nodes (not those with a retry policy or a
    timeout, which run alone) are ready (every upstream node already in
    an emitted unit or in the group being formed), they join one group, up to
    `max_group_size`; then each ready non-inlinable node becomes an individual unit. Ties are
    broken by declaration order, so the plan is a pure function of the workflow.
    """
    if max_group_size < 1:
        raise PlanError(f"max_group_size must be at least 1, got {max_group_size}")
    node_ids = [node.id for node in workflow.nodes]
    upstream = dependencies(workflow)
    order = topological_order(node_ids, ((s, t) for t, ss in upstream.items() for s in ss))
    # A node with a retry policy or a timeout runs alone: its task retries and times it.
    inlinable = {
        node.id: catalog[node.type].inlinable and not node.has_policy for node in workflow.nodes
    }
    return Plan(
        workflow_id=workflow.id,
        order=order,
        units=_units(node_ids, upstream, inlinable, max_group_size),
    )


def _units(
    node_ids: list[str],
    upstream: dict[str, list[str]],
    inlinable: dict[str, bool],
    max_group_size: int,
) -> list[IndividualUnit | InlineUnit]:
    position = {node: i for i, node in enumerate(node_ids)}
    downstream: dict[str, list[str]] = {node: [] for node in node_ids}
    waiting = {node: len(sources) for node, sources in upstream.items()}
    for node, sources in upstream.items():
        for source in sources:
            downstream[source].append(node)
    ready_inline: list[tuple[int, str]] = []
    ready_alone: list[tuple[int, str]] = []

    def release(node: str) -> None:
        for successor in downstream[node]:
            waiting[successor] -= 1
            if waiting[successor] == 0:
                queue = ready_inline if inlinable[successor] else ready_alone
                heapq.heappush(queue, (position[successor], successor))

    for node in node_ids:
        if waiting[node] == 0:
            heapq.heappush(ready_inline if inlinable[node] else ready_alone, (position[node], node))
    units: list[IndividualUnit | InlineUnit] = []
    while ready_inline or ready_alone:
        if ready_inline:
            group: list[str] = []
            while ready_inline and len(group) < max_group_size:
                _, node = heapq.heappop(ready_inline)
                group.append(node)
                release(node)
            units.append(
                InlineUnit(node_ids=group) if len(group) > 1 else IndividualUnit(node_id=group[0])
            )
            continue
        alone = [heapq.heappop(ready_alone)[1] for _ in range(len(ready_alone))]
        for node in alone:
            units.append(IndividualUnit(node_id=node))
            release(node)
    return units
