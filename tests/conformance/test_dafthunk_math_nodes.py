"""Dafthunk's tests of its math nodes, every case, run as workflows (the calculator's are in
test_calculator.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.ported import Case, check

ONE_NODE = True  # every case is a workflow of one node (conftest.py)


class _Missing:
    """An input Dafthunk's test leaves out (named in test ids the same in every process)."""

    def __repr__(self) -> str:
        return "missing"


MISSING = _Missing()


def _literals(**given: Any) -> dict[str, Any]:
    return {name: value for name, value in given.items() if value is not MISSING}


def arithmetic(node_type: str, a: Any, b: Any, expected: Any, error: str | None = None) -> Any:
    title = f"{a!r} and {b!r}"
    literals = _literals(a=a, b=b)
    if error is not None:
        return Case(title, node_type, literals, error=error).param()
    return Case(title, node_type, literals, outputs={"result": expected}).param()


REQUIRED_A, REQUIRED_B = "Input 'a' is required", "Input 'b' is required"
NOT_NUMBERS = "Both inputs must be numbers"
BY_ZERO = "Division by zero is not allowed"

ARITHMETIC = [
    arithmetic("addition", 5, 3, 8),
    arithmetic("addition", 10, -3, 7),
    arithmetic("addition", -5, -3, -8),
    arithmetic("addition", 2.5, 1.75, 4.25),
    arithmetic("addition", "7", "3", 10),
    arithmetic("addition", "invalid", 3, None, NOT_NUMBERS),
    arithmetic("addition", 5, "invalid", None, NOT_NUMBERS),
    arithmetic("addition", MISSING, 3, None, REQUIRED_A),
    arithmetic("addition", 5, MISSING, None, REQUIRED_B),
    arithmetic("addition", MISSING, MISSING, None, REQUIRED_A),
    arithmetic("subtraction", 10, 3, 7),
    arithmetic("subtraction", 3, 10, -7),
    arithmetic("subtraction", -5, -3, -2),
    arithmetic("subtraction", 5.5, 2.25, 3.25),
    arithmetic("subtraction", 5, 0, 5),
    arithmetic("subtraction", "15", "7", 8),
    arithmetic("subtraction", "invalid", 3, None, NOT_NUMBERS),
    arithmetic("subtraction", 10, "invalid", None, NOT_NUMBERS),
    arithmetic("subtraction", MISSING, 3, None, REQUIRED_A),
    arithmetic("subtraction", 10, MISSING, None, REQUIRED_B),
    arithmetic("multiplication", 5, 3, 15),
    arithmetic("multiplication", 4, -2, -8),
    arithmetic("multiplication", -3, -4, 12),
    arithmetic("multiplication", 2.5, 1.5, 3.75),
    arithmetic("multiplication", 5, 0, 0),
    arithmetic("multiplication", "6", "7", 42),
    arithmetic("multiplication", "invalid", 3, None, NOT_NUMBERS),
    arithmetic("multiplication", 5, "invalid", None, NOT_NUMBERS),
    arithmetic("multiplication", MISSING, 3, None, REQUIRED_A),
    arithmetic("multiplication", 5, MISSING, None, REQUIRED_B),
    arithmetic("division", 10, 2, 5),
    arithmetic("division", 7, 2, 3.5),
    arithmetic("division", -10, 2, -5),
    arithmetic("division", "15", "3", 5),
    arithmetic("division", 10, 0, None, BY_ZERO),
    arithmetic("division", "invalid", 2, None, NOT_NUMBERS),
    arithmetic("division", 10, "invalid", None, NOT_NUMBERS),
    arithmetic("division", MISSING, 2, None, REQUIRED_A),
    arithmetic("division", 10, MISSING, None, REQUIRED_B),
    arithmetic("modulo", 7, 3, 1),
    arithmetic("modulo", 8, 2, 0),
    arithmetic("modulo", -7, 3, -1),
    arithmetic("modulo", 7, -3, 1),
    arithmetic("modulo", 7.5, 2.5, 0),
    arithmetic("modulo", "10", "3", 1),
    arithmetic("modulo", 10, 0, None, BY_ZERO),
    arithmetic("modulo", "invalid", 3, None, NOT_NUMBERS),
    arithmetic("modulo", 10, "invalid", None, NOT_NUMBERS),
    arithmetic("modulo", MISSING, 3, None, REQUIRED_A),
    arithmetic("modulo", 10, MISSING, None, REQUIRED_B),
]


def power(base: Any, exponent: Any, expected: Any, error: str | None = None) -> Any:
    literals = _literals(base=base, exponent=exponent)
    title = f"{base!r} ^ {exponent!r}"
    if error is not None:
        return Case(title, "exponentiation", literals, error=error).param()
    return Case(title, "exponentiation", literals, outputs={"result": expected}).param()


POWERS = [
    power(2, 3, 8),
    power(-2, 3, -8),
    power(5, 0, 1),
    power(2, -2, 0.25),
    power(2.5, 2, 6.25),
    power("3", "4", 81),
    power("invalid", 2, None, NOT_NUMBERS),
    power(2, "invalid", None, NOT_NUMBERS),
    power(MISSING, 2, None, "Input 'base' is required"),
    power(2, MISSING, None, "Input 'exponent' is required"),
]


def unary(node_type: str, value: Any, expected: Any, error: str | None = None) -> Any:
    literals = _literals(value=value)
    title = repr(value) if value is not MISSING else "no value"
    if error is not None:
        return Case(title, node_type, literals, error=error).param()
    return Case(title, node_type, literals, outputs={"result": expected}).param()


UNARY = [
    unary("square-root", 16, 4),
    unary("square-root", 0, 0),
    unary("square-root", 2.25, 1.5),
    unary("square-root", "25", 5),
    unary("square-root", -4, None, "Square root of negative numbers is not supported"),
    unary("square-root", "invalid", None, "Input must be a number"),
    unary("square-root", MISSING, None, "Input 'value' is required"),
    unary("absolute-value", 5, 5),
    unary("absolute-value", -7, 7),
    unary("absolute-value", 0, 0),
    unary("absolute-value", "-3.5", 3.5),
    unary("absolute-value", "invalid", None, "Input must be a number"),
    unary("absolute-value", MISSING, None, "Input 'value' is required"),
]


def aggregate(
    node_type: str, numbers: Any, expected: Any, contains: str | None = None, close: bool = False
) -> Any:
    literals = _literals(numbers=numbers)
    title = "no input" if numbers is MISSING else repr(numbers)[:40]
    if contains is not None:
        return Case(title, node_type, literals, contains=(contains,)).param()
    return Case(title, node_type, literals, outputs={"result": expected}, close=close).param()


ONE_TO_100 = list(range(1, 101))
NO_INPUT = "No number inputs provided"
AT_POSITION_1 = "Invalid input at position 1: expected number, got string"

AGGREGATES = [
    aggregate("sum", 42, 42),
    aggregate("sum", [1, 2, 3, 4, 5], 15),
    aggregate("sum", [1.5, 2.3, 0.2], 4),
    aggregate("sum", [-1, -2, 3, 4], 4),
    aggregate("sum", [], 0),
    aggregate("sum", MISSING, None, NO_INPUT),
    aggregate("sum", [1, "not-a-number", 3], None, AT_POSITION_1),
    aggregate("sum", ["1", "2", "3"], 6),
    aggregate("sum", ONE_TO_100, 5050),
    aggregate("avg", 42, 42),
    aggregate("avg", [1, 2, 3, 4, 5], 3),
    aggregate("avg", [1.5, 2.5, 3.5], 2.5),
    aggregate("avg", [-10, -5, -15], -10),
    aggregate("avg", [-5, 10, -3, 7, -1], 1.6),
    aggregate("avg", [5, 5, 5, 5], 5),
    aggregate("avg", [0, 5, -10, 0], -1.25),
    aggregate("avg", [0, 0, 0], 0),
    aggregate("avg", [], None, "Cannot calculate average of empty array"),
    aggregate("avg", MISSING, None, NO_INPUT),
    aggregate("avg", [1, "not-a-number", 3], None, AT_POSITION_1),
    aggregate("avg", ["1", "2", "3"], 2),
    aggregate("avg", ONE_TO_100, 50.5),
    aggregate("avg", [10, 20], 15),
    aggregate("avg", [1.1, 2.2, 3.3], 2.2, close=True),
    aggregate("max", 42, 42),
    aggregate("max", [1, 5, 3, 9, 2], 9),
    aggregate("max", [1.5, 2.3, 0.2, 3.7], 3.7),
    aggregate("max", [-10, -5, -20, -1], -1),
    aggregate("max", [-5, 10, -3, 7, -1], 10),
    aggregate("max", [1, 5, 5, 3, 2], 5),
    aggregate("max", [], None, "Cannot find maximum of empty array"),
    aggregate("max", MISSING, None, NO_INPUT),
    aggregate("max", [1, "not-a-number", 3], None, AT_POSITION_1),
    aggregate("max", ["1", "5", "3"], 5),
    aggregate("max", ONE_TO_100, 100),
    aggregate("max", [0, -5, 10, 0], 10),
    aggregate("min", 42, 42),
    aggregate("min", [5, 1, 9, 3, 2], 1),
    aggregate("min", [2.3, 1.5, 3.7, 0.2], 0.2),
    aggregate("min", [-1, -5, -20, -10], -20),
    aggregate("min", [7, -5, 10, -3, -1], -5),
    aggregate("min", [5, 1, 1, 3, 2], 1),
    aggregate("min", [], None, "Cannot find minimum of empty array"),
    aggregate("min", MISSING, None, NO_INPUT),
    aggregate("min", [3, "not-a-number", 1], None, AT_POSITION_1),
    aggregate("min", ["5", "1", "3"], 1),
    aggregate("min", ONE_TO_100, 1),
    aggregate("min", [0, 5, -10, 0], -10),
    aggregate("min", [0, 0, 0], 0),
    aggregate("median", 42, 42),
    aggregate("median", [1, 3, 5, 7, 9], 5),
    aggregate("median", [1, 2, 3, 4], 2.5),
    aggregate("median", [9, 1, 5, 3, 7], 5),
    aggregate("median", [5, 2, 5, 8, 5], 5),
    aggregate("median", [-10, -5, -15, -20], -12.5),
    aggregate("median", [-5, 10, -3, 7, -1], -1),
    aggregate("median", [1.5, 2.5, 3.5, 4.5], 3),
    aggregate("median", [10, 20], 15),
    aggregate("median", [15, 5, 25], 15),
    aggregate("median", [5, 5, 5, 5, 5], 5),
    aggregate("median", [0, 5, -10, 0], 0),
    aggregate("median", list(range(1, 100)), 50),
    aggregate("median", ONE_TO_100, 50.5),
    aggregate("median", ["1", "3", "2", "4"], 2.5),
    aggregate("median", [], None, "Cannot calculate median of empty array"),
    aggregate("median", MISSING, None, NO_INPUT),
    aggregate("median", [1, "not-a-number", 3], None, AT_POSITION_1),
    aggregate("median", [1.1, 2.2, 3.3, 4.4], 2.75, close=True),
    aggregate("median", [42], 42),
]


@pytest.mark.parametrize("case", ARITHMETIC)
def test_arithmetic_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", POWERS)
def test_exponentiation_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", UNARY)
def test_square_root_and_absolute_value_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", AGGREGATES)
def test_aggregates_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)
