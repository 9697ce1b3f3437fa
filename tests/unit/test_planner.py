"""The execution plan (SPEC §3): deterministic order, individual units and bounded inline groups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.catalog import Catalog
from statemachine.model import Workflow
from statemachine.planner import IndividualUnit, InlineUnit, Plan, PlanError, plan_workflow
from statemachine.validation import validate_workflow
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog
# Which output a node of each type offers downstream, and which input takes an upstream value.
OUTPUT = {"addition": "result", "sum": "result", "random-number": "value", "fetch": "status"}
INPUT = {"addition": "a", "sum": "numbers", "random-number": "min", "fetch": "timeout"}


def graph(nodes: Sequence[tuple[str, str]], links: Iterable[tuple[str, str]] = ()) -> Workflow:
    """A validated workflow of `(id, type)` nodes and `(source, target)` dependencies."""
    types = dict(nodes)
    raw = workflow(
        *(node(node_id, node_type) for node_id, node_type in nodes),
        edges=[edge(f"{s}.{OUTPUT[types[s]]}", f"{t}.{INPUT[types[t]]}") for s, t in links],
    )
    return validate_workflow(raw, CATALOG)


def members(unit: IndividualUnit | InlineUnit) -> list[str]:
    return [unit.node_id] if isinstance(unit, IndividualUnit) else unit.node_ids


def shape(plan: Plan) -> list[str | list[str]]:
    """Units written briefly: a node id for an individual unit, a list for an inline group."""
    return [u.node_id if isinstance(u, IndividualUnit) else u.node_ids for u in plan.units]


def reference_order(node_ids: Sequence[str], upstream: Mapping[str, set[str]]) -> list[str]:
    """The topological order SPEC §3 asks for, computed the slow obvious way."""
    order: list[str] = []
    while len(order) < len(node_ids):
        placed = set(order)
        order.append(next(n for n in node_ids if n not in placed and upstream[n] <= placed))
    return order


def assert_valid_plan(
    workflow: Workflow, catalog: Catalog, plan: Plan, max_group_size: int
) -> None:
    """Every property SPEC §3 promises of a plan."""
    node_ids = [n.id for n in workflow.nodes]
    types = {n.id: n.type for n in workflow.nodes}
    upstream: dict[str, set[str]] = {n: set() for n in node_ids}
    for link in workflow.edges:
        upstream[link.target].add(link.source)
    assert plan.order == reference_order(node_ids, upstream)
    place: dict[str, tuple[int, int]] = {}
    for index, unit in enumerate(plan.units):
        if isinstance(unit, InlineUnit):
            assert 2 <= len(unit.node_ids) <= max_group_size, unit
            assert all(catalog[types[n]].inlinable for n in unit.node_ids), unit
        for position, member in enumerate(members(unit)):
            assert member not in place, f"{member} is in two units"
            place[member] = (index, position)
    assert sorted(place) == sorted(node_ids)
    for target, sources in upstream.items():
        for source in sources:
            # Same unit: earlier in the group. Otherwise a really earlier unit.
            assert place[source] < place[target], f"{target} runs before its upstream {source}"


def test_the_plan_is_byte_identical_across_calls_and_edge_orders():
    nodes = [
        ("n1", "addition"),
        ("r", "random-number"),
        ("n2", "sum"),
        ("n3", "addition"),
        ("f", "fetch"),
        ("n4", "sum"),
    ]
    links = [("n1", "r"), ("n1", "n2"), ("r", "n3"), ("n2", "n4"), ("n3", "n4"), ("f", "n4")]
    first = plan_workflow(graph(nodes, links), CATALOG).model_dump_json()
    assert plan_workflow(graph(nodes, links), CATALOG).model_dump_json() == first
    assert plan_workflow(graph(nodes, reversed(links)), CATALOG).model_dump_json() == first
    assert json.loads(first)["units"][0] == {"type": "inline", "nodeIds": ["n1", "n2"]}


def test_ties_are_broken_by_declaration_order():
    alone = graph([("c", "random-number"), ("a", "random-number"), ("b", "random-number")])
    assert plan_workflow(alone, CATALOG).order == ["c", "a", "b"]
    assert shape(plan_workflow(alone, CATALOG)) == ["c", "a", "b"]
    grouped = graph([("c", "addition"), ("a", "addition"), ("b", "addition")])
    assert shape(plan_workflow(grouped, CATALOG)) == [["c", "a", "b"]]


def test_a_dependency_outranks_declaration_order():
    plan = plan_workflow(
        graph([("late", "addition"), ("early", "addition")], [("early", "late")]), CATALOG
    )
    assert plan.order == ["early", "late"]
    assert shape(plan) == [["early", "late"]]


@pytest.mark.parametrize(
    "node_type",
    ["fetch", "random-number", "random-choice", "random-string", "random-uuid", "date-now"],
)
def test_slow_or_impure_nodes_are_never_inlined(node_type):
    assert not CATALOG[node_type].inlinable
    raw = workflow(
        node("a", "addition"), node("x", node_type), node("y", node_type), node("b", "addition")
    )
    plan = plan_workflow(validate_workflow(raw, CATALOG), CATALOG)
    assert shape(plan) == [["a", "b"], "x", "y"]


def test_inline_groups_are_bounded_by_the_maximum_size():
    independent = graph([(f"n{i}", "addition") for i in range(7)])
    plan = plan_workflow(independent, CATALOG, max_group_size=3)
    assert shape(plan) == [["n0", "n1", "n2"], ["n3", "n4", "n5"], "n6"]
    ids = [f"c{i}" for i in range(7)]
    chained = graph([(n, "addition") for n in ids], pairwise(ids))
    plan = plan_workflow(chained, CATALOG, max_group_size=3)
    assert shape(plan) == [["c0", "c1", "c2"], ["c3", "c4", "c5"], "c6"]
    assert_valid_plan(chained, CATALOG, plan, 3)


def test_a_group_size_below_one_is_refused():
    with pytest.raises(PlanError):
        plan_workflow(graph([("a", "addition")]), CATALOG, max_group_size=0)


def test_a_lone_inlinable_node_is_an_individual_unit():
    plan = plan_workflow(
        graph(
            [("a", "addition"), ("r", "random-number"), ("b", "addition")], [("a", "r"), ("r", "b")]
        ),
        CATALOG,
    )
    assert shape(plan) == ["a", "r", "b"]
    assert all(isinstance(u, IndividualUnit) for u in plan.units)


def test_a_group_never_holds_a_node_waiting_for_a_later_unit():
    # Order: a, r, b, c. Grouping the inlinable nodes of that order together ([a, b, c], then
    # r) would run b before r; the planner groups a with c and runs b after r.
    nodes = [("a", "addition"), ("r", "random-number"), ("b", "addition"), ("c", "addition")]
    workflow_ = graph(nodes, [("a", "r"), ("r", "b"), ("a", "c")])
    plan = plan_workflow(workflow_, CATALOG)
    assert plan.order == ["a", "r", "b", "c"]
    assert shape(plan) == [["a", "c"], "r", "b"]
    assert_valid_plan(workflow_, CATALOG, plan, 50)


def test_a_wide_graph_with_interleaved_slow_nodes_keeps_every_dependency():
    nodes: list[tuple[str, Any]] = []
    links = []
    for k in range(5):
        nodes += [(f"in{k}", "addition"), (f"slow{k}", "fetch"), (f"out{k}", "sum")]
        links += [(f"in{k}", f"slow{k}"), (f"slow{k}", f"out{k}"), (f"in{k}", f"out{k}")]
    workflow_ = graph(nodes, links)
    for size in (2, 3, 50):
        assert_valid_plan(
            workflow_, CATALOG, plan_workflow(workflow_, CATALOG, max_group_size=size), size
        )


@pytest.mark.parametrize(
    ("order", "units"),
    [
        (["a", "r", "b"], [InlineUnit(node_ids=["a", "r"]), IndividualUnit(node_id="b")]),
        (["a", "r", "b"], [InlineUnit(node_ids=["b", "a"]), IndividualUnit(node_id="r")]),
        (["a", "r", "b"], [IndividualUnit(node_id="a"), InlineUnit(node_ids=["r", "b"])]),
        (["a", "r", "b"], [IndividualUnit(node_id="a"), IndividualUnit(node_id="r")]),
        (["r", "a", "b"], [IndividualUnit(node_id=n) for n in ("a", "r", "b")]),
    ],
)
def test_the_plan_checker_rejects_broken_plans(order, units):
    # a -> b, r independent. Shows that the checks the property tests rely on can fail.
    workflow_ = graph([("a", "addition"), ("r", "random-number"), ("b", "addition")], [("a", "b")])
    broken = Plan(workflow_id=workflow_.id, order=order, units=units)
    with pytest.raises(AssertionError):
        assert_valid_plan(workflow_, CATALOG, broken, 50)
