"""Which units run at once: waves of independent units, and how each wave's units share
the states that run them."""

from __future__ import annotations

from statemachine.calls import FOR_EACH_TYPE, RUN_WORKFLOW_TYPE
from statemachine.catalog import Catalog
from statemachine.event_waits import TOKEN_WAIT_TYPES
from statemachine.graph import dependencies
from statemachine.model import Workflow
from statemachine.planner import IndividualUnit, InlineUnit, Plan

# The node type whose units become Wait states (lambdas/nodes/date.py declares it).
WAIT_NODE_TYPE = "wait"
# Node types that wait between two states: a workflow with one runs one unit a state.
WAITING_TYPES = frozenset({WAIT_NODE_TYPE, *TOKEN_WAIT_TYPES})

# Branches of one Parallel state at most: a wider wave runs as several Parallel states, so
# that the branches' results stay well within the 256 KiB a state may carry.
MAX_BRANCHES = 25

# Units one task runs side by side at most: their nodes share the function's memory (a
# `fetch` response may take 50 MiB), so a wider wave runs as several tasks, one after another.
MAX_TOGETHER = 10


def waves(
    workflow: Workflow, catalog: Catalog, plan: Plan, parallel: bool | None, most: int
) -> list[list[int]]:
    """The unit indexes in the order their states run, grouped by the state that runs them
    (one unit each when sequential).

    `parallel` None, the compiler's choice: the units of a wave that each run one node that
    is not inlinable share one task, `most` (and MAX_TOGETHER) at most, which runs them
    side by side; the other units of the wave follow, one state each. True: every wave of
    two units or more runs in Parallel states, a branch per unit. False: one unit a state.
    Workflows with Wait states, run-workflow or for-each nodes (each a task followed by the
    states that run its children) or wait-for-event nodes run one unit a state whatever is
    asked.
    """
    one_by_one = (*WAITING_TYPES, RUN_WORKFLOW_TYPE, FOR_EACH_TYPE)
    if parallel is False or any(node.type in one_by_one for node in workflow.nodes):
        return [[i] for i in range(len(plan.units))]
    if parallel is True:
        return [
            level[start : start + MAX_BRANCHES]
            for level in _levels(workflow, plan)
            for start in range(0, len(level), MAX_BRANCHES)
        ]
    alone = _alone_units(catalog, workflow, plan)
    size = max(1, min(most, MAX_TOGETHER))
    grouped: list[list[int]] = []
    for level in _levels(workflow, plan):
        sharing = [i for i in level if alone[i]]
        shared = [sharing[start : start + size] for start in range(0, len(sharing), size)]
        grouped += sorted([*shared, *([i] for i in level if not alone[i])])
    return grouped


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


def _alone_units(catalog: Catalog, workflow: Workflow, plan: Plan) -> list[bool]:
    """Whether each unit runs one node that is not inlinable (a task of its own but for
    the units it may share one with); a node with a retry policy or a timeout has a task of
    its own, whose Retry and TimeoutSeconds are the node's."""
    nodes = {node.id: node for node in workflow.nodes}
    return [
        isinstance(unit, IndividualUnit)
        and not catalog[nodes[unit.node_id].type].inlinable
        and not nodes[unit.node_id].has_policy
        for unit in plan.units
    ]


def _members(unit: IndividualUnit | InlineUnit) -> list[str]:
    return unit.node_ids if isinstance(unit, InlineUnit) else [unit.node_id]
