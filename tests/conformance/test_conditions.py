"""Comparisons and boolean logic, and forks branching on them, as a user sees them run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow


def run_one(engine, node_type: str, **literals: Any):
    return engine.run(workflow(node("it", node_type, **literals)))


@pytest.mark.parametrize(
    ("a", "operator", "b", "expected"),
    [
        (1, "==", 1, True),
        (1, "==", 1.0, True),
        (1, "!=", 2, True),
        (2, "!=", 2, False),
        (1, "<", 2, True),
        (2, "<", 2, False),
        (2, "<=", 2, True),
        (3, "<=", 2, False),
        (412, ">", 300, True),
        (300, ">", 300, False),
        (300, ">=", 300, True),
        (-0.5, ">=", 0, False),
        # exact past 2^53, where doubles would call these equal
        (2**53 + 1, ">", 2**53, True),
        (2**53 + 1, "==", 2**53, False),
    ],
)
def test_number_compare_gives_whether_the_comparison_holds(engine, a, operator, b, expected):
    result = run_one(engine, "number-compare", a=a, b=b, operator=operator)
    assert result.output("it") is expected


def test_number_compare_compares_for_equality_when_no_operator_is_given(engine):
    assert run_one(engine, "number-compare", a=3, b=3).output("it") is True


@pytest.mark.parametrize("operator", ["=", "===", "gt", "", " <"])
def test_number_compare_refuses_an_unknown_operator_naming_the_known_ones(engine, operator):
    error = run_one(engine, "number-compare", a=1, b=2, operator=operator).error("it")
    assert error == f"Unknown operator {operator!r}: expected one of ==, !=, <, <=, >, >="


@pytest.mark.parametrize(
    ("node_type", "literals", "message"),
    [
        ("number-compare", {"a": 1}, "Required input 'b' missing"),
        ("boolean-and", {"a": True}, "Required input 'b' missing"),
        ("boolean-or", {"b": True}, "Required input 'a' missing"),
        ("boolean-not", {}, "Required input 'value' missing"),
    ],
)
def test_a_condition_missing_an_operand_fails(engine, node_type, literals, message):
    assert run_one(engine, node_type, **literals).error("it") == message


@pytest.mark.parametrize(
    ("node_type", "a", "b", "expected"),
    [
        ("boolean-and", True, True, True),
        ("boolean-and", True, False, False),
        ("boolean-and", False, True, False),
        ("boolean-and", False, False, False),
        ("boolean-or", True, True, True),
        ("boolean-or", True, False, True),
        ("boolean-or", False, True, True),
        ("boolean-or", False, False, False),
    ],
)
def test_boolean_connectives_follow_their_truth_tables(engine, node_type, a, b, expected):
    assert run_one(engine, node_type, a=a, b=b).output("it") is expected


@pytest.mark.parametrize(("value", "expected"), [(True, False), (False, True)])
def test_boolean_not_gives_the_opposite(engine, value, expected):
    assert run_one(engine, "boolean-not", value=value).output("it") is expected


def test_a_number_arriving_at_a_boolean_input_fails_the_node(engine):
    result = engine.run(
        workflow(
            node("n", "number-input", value=1),
            node("any", "output-any"),
            node("not", "boolean-not"),
            edges=[edge("n.value", "any.value"), edge("any.displayValue", "not.value")],
        )
    )
    assert result.error("not") == "Input 'value' expected a boolean, got number"


def order_workflow(quantity: int) -> dict[str, Any]:
    """An order of `quantity` items at 12.5 each: a total over 300 ships free, else 4.95
    is added; the join shows what is charged."""
    return workflow(
        node("quantity", "number-input", value=quantity),
        node("total", "multiplication", b=12.5),
        node("over-300", "number-compare", b=300, operator=">"),
        node("route", "conditional-fork"),
        node("free-shipping", "addition", b=0),
        node("add-shipping", "addition", b=4.95),
        node("charged", "conditional-join"),
        node("show", "output-number"),
        edges=[
            edge("quantity.value", "total.a"),
            edge("total.result", "over-300.a"),
            edge("total.result", "route.value"),
            edge("over-300.result", "route.condition"),
            edge("route.true", "free-shipping.a"),
            edge("route.false", "add-shipping.a"),
            edge("free-shipping.result", "charged.true"),
            edge("add-shipping.result", "charged.false"),
            edge("charged.result", "show.value"),
        ],
    )


@pytest.mark.parametrize(
    ("quantity", "over", "taken", "skipped", "charged"),
    [
        (30, True, "free-shipping", "add-shipping", 375),
        (24, False, "add-shipping", "free-shipping", 304.95),
        (20, False, "add-shipping", "free-shipping", 254.95),
    ],
)
def test_a_workflow_branches_on_total_over_300(engine, quantity, over, taken, skipped, charged):
    result = engine.run(order_workflow(quantity))
    assert result.status == "completed"
    assert result.output("over-300") is over
    assert result.node(taken)["status"] == "completed"
    assert result.node(skipped)["status"] == "skipped"
    assert result.node(skipped)["skipReason"] == "conditional_branch"
    assert result.node(skipped)["blockedBy"] == ["route"]
    assert result.output("show", "displayValue") == charged


def test_a_fork_branches_on_conditions_combined_and_negated(engine):
    """Ship today when the total is over 300 and the customer is not on hold."""
    result = engine.run(
        workflow(
            node("total", "number-input", value=412),
            node("on-hold", "boolean-input", value=False),
            node("big", "number-compare", b=300, operator=">"),
            node("not-held", "boolean-not"),
            node("both", "boolean-and"),
            node("either", "boolean-or"),
            node("route", "conditional-fork", value="ship today"),
            node("out", "output-text"),
            edges=[
                edge("total.value", "big.a"),
                edge("on-hold.value", "not-held.value"),
                edge("big.result", "both.a"),
                edge("not-held.result", "both.b"),
                edge("on-hold.value", "either.a"),
                edge("both.result", "either.b"),
                edge("either.result", "route.condition"),
                edge("route.true", "out.value"),
            ],
        )
    )
    assert result.status == "completed"
    assert result.output("both") is True
    assert result.output("out", "displayValue") == "ship today"
