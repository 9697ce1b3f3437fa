"""The calculator: Dafthunk's tests of it, every case, then its exact integers, booleans and
refusals, as a user sees them run."""

from __future__ import annotations

import math

import pytest

from tests.conformance.ported import Case, check, completes, fails
from tests.support.workflows import edge, node, workflow

INVALID_NUMBER = "Expression evaluation resulted in an invalid number (NaN or Infinity)."


def calc(expression: str, result: object) -> object:
    return completes(expression, "calculator", {"expression": expression}, result=result)


DAFTHUNK = [
    calc("2 + 3", 5),
    calc("10 * 5 / 2", 25),
    calc("(2 + 3) * 4", 20),
    calc("2^3", 8),
    calc("sqrt(16)", 4),
    calc("sin(0)", 0),
    calc("PI", math.pi),
    calc("sqrt(16) + sin(0) * 5", 4),
    fails("empty", "calculator", {"expression": ""}, "Missing or empty expression."),
    fails(
        "alert",
        "calculator",
        {"expression": "alert('hello')"},
        None,
        "Expression contains invalid characters",
    ),
    fails("incomplete", "calculator", {"expression": "2 +"}),
    calc("3.14 * 2", 6.28),
    calc("17 % 5", 2),
    calc("15 & 7", 7),
    calc("8 | 4", 12),
    calc("~10", -11),
    calc("sign(-5) + trunc(3.7) + hypot(3, 4)", 7),
    calc("atan2(1, 1)", math.pi / 4),
]

OURS = [
    # JavaScript's arithmetic where it differs from Python's
    calc("-7 % 3", -1),
    calc("round(-2.5)", -2),
    calc("round(2.5)", 3),
    calc("1 << 31", -2147483648),
    calc("5.5 & 3", 1),
    calc("2 ^ 3 ^ 2", 512),
    calc("max(1, 7, 3) - min(4, 2)", 5),
    # integers stay exact past 2^53, where JavaScript would round them
    calc("9007199254740993 + 0", 9007199254740993),
    calc("2^60 / 2", 576460752303423488),
    calc("12345678901234567890 * 10", 123456789012345678900),
    # comparisons and logic give booleans, chained left to right as in JavaScript
    calc("412 > 300", True),
    calc("300 >= 412", False),
    calc("2 + 2 == 4", True),
    calc("1 != 1", False),
    calc("3 > 2 > 1", False),
    calc("1 < 2 && 2 < 3", True),
    calc("1 > 2 || 0", 0),
    calc("!(1 > 2)", True),
    calc("!(1 > 2) && 2 < 3", True),
    calc("true || false", True),
    calc("9007199254740993 > 9007199254740992", True),
]

REFUSED = [
    fails("1 / 0", "calculator", {"expression": "1 / 0"}, INVALID_NUMBER),
    fails("5 % 0", "calculator", {"expression": "5 % 0"}, INVALID_NUMBER),
    fails("sqrt(-1)", "calculator", {"expression": "sqrt(-1)"}, INVALID_NUMBER),
    fails("10^400", "calculator", {"expression": "10^400"}, INVALID_NUMBER),
    fails("log(0)", "calculator", {"expression": "log(0)"}, INVALID_NUMBER),
    fails("a function", "calculator", {"expression": "sqrt"}, INVALID_NUMBER),
    fails(
        "random()",
        "calculator",
        {"expression": "random()"},
        None,
        "Expression contains invalid characters",
    ),
    fails(
        "python",
        "calculator",
        {"expression": "__import__('os').system('true')"},
        None,
        "Expression contains invalid characters",
    ),
    fails("no expression", "calculator", {}, "Missing or empty expression."),
    fails("blank", "calculator", {"expression": "  \n "}, "Missing or empty expression."),
    fails("not text", "calculator", {"expression": 42}, "Missing or empty expression."),
    fails("unclosed", "calculator", {"expression": "(1 + 2"}, None, "Expression evaluation error"),
    fails("deep", "calculator", {"expression": "(" * 500 + "1" + ")" * 500}),
    fails("huge power", "calculator", {"expression": "9^9^9"}, INVALID_NUMBER),
]


@pytest.mark.parametrize("case", DAFTHUNK)
def test_calculator_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", OURS)
def test_calculator_computes_as_javascript_with_exact_integers_and_booleans(engine, case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", REFUSED)
def test_calculator_refuses_what_has_no_finite_value_or_is_not_arithmetic(engine, case) -> None:
    check(engine, case)


def test_a_calculator_comparison_can_drive_a_fork(engine) -> None:
    result = engine.run(
        workflow(
            node("check", "calculator", expression="412 > 300"),
            node("fork", "conditional-fork", value="big order"),
            node("out", "output-text"),
            edges=[edge("check.result", "fork.condition"), edge("fork.true", "out.value")],
        )
    )
    assert result.status == "completed"
    assert result.output("out", "displayValue") == "big order"
