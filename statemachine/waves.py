"""Which units run at once: waves of independent units, and the rule that decides whether
a workflow runs them in Parallel states."""

from __future__ import annotations

from statemachine.catalog import Catalog
from statemachine.graph import dependencies
from statemachine.model import Workflow
from statemachine.planner import IndividualUnit, InlineUnit, Plan

# The node type whose units become Wait states (lambdas/nodes/date.py declares it).
WAIT_NODE_TYPE = "wait"

# Branches of one Parallel state at most: a wider wave runs as several Parallel states, so
# that the branches' results stay well within the 256 KiB a state may carry.
MAX_BRANCHES = 25


def runs_in_parallel(workflow: Workflow, catalog: Catalog, plan: Plan) -> bool:
    """The cost/latency rule: run independent units in Parallel states when at least two
    units of remote nodes (nodes that wait on a request: `fetch`) could overlap, and no Wait
    state is needed (a Wait follows the task that resolves it).

    A Parallel state costs one more state transition per wave of units run together and
    saves the time of all but the slowest of them; inline groups take milliseconds, so
    they alone never make a workflow parallel.
    """
    if any(node.type == WAIT_NODE_TYPE for node in workflow.nodes):
        return False
    slow = _slow_units(catalog, workflow, plan)
    return any(sum(slow[i] for i in wave) >= 2 for wave in _levels(workflow, plan))


def waves(
    workflow: Workflow, catalog: Catalog, plan: Plan, parallel: bool | None
) -> list[list[int]]:
    """The unit indexes in the order their states run, grouped by the states that run them
    together (one unit each when sequential)."""
    chosen = runs_in_parallel(workflow, catalog, plan) if parallel is None else parallel
    if not chosen or any(node.type == WAIT_NODE_TYPE for node in workflow.nodes):
        return [[i] for i in range(len(plan.units))]
    slow = _slow_units(catalog, workflow, plan)
    waves: list[list[int]] = []
    for level in _levels(workflow, plan):
        # forced (parallel=True), every wave of two or more units runs together
        together = parallel is True or sum(slow[i] for i in level) >= 2
        if not together:
            waves += [[i] for i in level]
            continue
        for start in range(0, len(level), MAX_BRANCHES):
            waves.append(level[start : start + MAX_BRANCHES])
    return waves


def _levels(workflow: Workflow, plan: Plan) -> list[list[int]]:
    """Units by level: a unit's level is one more than the highest of the units it reads
    from; each level in plan order."""
    unit_of = {node_id: i for i, unit in enumerate(plan.units) for node_id in _members(unit)}
    upstream = dependencies(workflow)
    level: list[int] = []
    for i, unit in enumerate(plan.units):
        sources = {unit_of[s] for n in _members(unit) for s in upstream[n]} - {i}
        level.append(1 + max((level[s] for s in sources), default=-1))
    levels: list[list[int]] = [[] for _ in range(max(level, default=-1) + 1)]
    for i, at in enumerate(level):
        levels[at].append(i)
    return levels


def _slow_units(catalog: Catalog, workflow: Workflow, plan: Plan) -> list[bool]:
    """Whether each unit waits on a remote service (an individual unit of a remote node)."""
    types = {node.id: node.type for node in workflow.nodes}
    return [
        isinstance(unit, IndividualUnit) and catalog[types[unit.node_id]].remote
        for unit in plan.units
    ]


def _members(unit: IndividualUnit | InlineUnit) -> list[str]:
    return unit.node_ids if isinstance(unit, InlineUnit) else [unit.node_id]
