"""From upstream results to a node's inputs: the skip rule and input precedence of SPEC §4."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.runtime.errors import PlanViolationError
from lambdas.runtime.record import NodeExecution, NodeStatus, SkipReason
from statemachine.model import Edge, Node


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a node does not run and which direct upstream nodes caused it."""

    reason: SkipReason
    blocked_by: list[str]


def _source(results: Mapping[str, NodeExecution], edge: Edge) -> NodeExecution:
    source = results.get(edge.source)
    if source is None or source.status in (NodeStatus.IDLE, NodeStatus.EXECUTING):
        raise PlanViolationError(edge.target, edge.source)
    return source


def _is_live(source: NodeExecution, edge: Edge) -> bool:
    return (
        source.status == NodeStatus.COMPLETED
        and source.outputs is not None
        and edge.source_output in source.outputs
    )


def skip_check(inbound: list[Edge], results: Mapping[str, NodeExecution]) -> Skip | None:
    """A Skip when every inbound edge is blocked; None when the node runs.

    An edge is blocked when its source errored, was skipped, or completed without producing
    that output. The reason is `upstream_failure` if any blocker traces back to an error.
    """
    if not inbound:
        return None
    failures: dict[str, None] = {}
    branches: dict[str, None] = {}
    for edge in inbound:
        source = _source(results, edge)
        if _is_live(source, edge):
            return None
        failed = source.status == NodeStatus.ERROR or (
            source.status == NodeStatus.SKIPPED
            and source.skip_reason == SkipReason.UPSTREAM_FAILURE
        )
        (failures if failed else branches)[edge.source] = None
    if failures:
        return Skip(SkipReason.UPSTREAM_FAILURE, list(failures))
    return Skip(SkipReason.CONDITIONAL_BRANCH, list(branches))


def gather_inputs(
    node: Node,
    inbound: list[Edge],
    results: Mapping[str, NodeExecution],
    overrides: Mapping[str, Any],
    repeated: frozenset[str],
) -> dict[str, Any]:
    """Raw input values by precedence: literal < per-run override < edge.

    Several live edges into a non-repeated input: the last one (edge-list order) wins.
    A repeated input collects every live edge's value, flattening upstream lists.
    None never counts as a value, except as the literal of a port marked `null` (whose node
    type takes null as a value) while nothing replaces it.
    """
    nulls = {p.name for p in node.inputs if p.null}
    values = {p.name: p.value for p in node.inputs if p.value is not None or p.name in nulls}
    values.update(overrides)
    collected: dict[str, list[Any]] = {}
    for edge in inbound:
        source = _source(results, edge)
        if not _is_live(source, edge):
            continue
        assert source.outputs is not None
        value = source.outputs[edge.source_output]
        if edge.target_input in repeated:
            bucket = collected.setdefault(edge.target_input, [])
            bucket.extend(value) if isinstance(value, list) else bucket.append(value)
        else:
            values[edge.target_input] = value
    values.update(collected)
    return {
        name: value
        for name, value in values.items()
        if value is not None or (name in nulls and name not in overrides)
    }
