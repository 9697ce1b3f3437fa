"""Math nodes: arithmetic on two numbers, one-number functions, aggregates."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Callable, Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Math")

NUMBER = ParameterType.NUMBER
DIVISION_BY_ZERO = "Division by zero is not allowed"
RESULT = "The result"


def number(value: float) -> int | float:
    """A finite result, integral floats as ints (so 6 / 3 gives 2, not 2.0)."""
    if isinstance(value, complex):
        raise NodeError("The result is not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise NodeError("The result is not a finite number")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise NodeError("The result is too large")  # beyond a double: Infinity in JavaScript
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _binary(id: str, name: str, description: str, compute: Callable[[Any, Any], float]) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(
            port("a", NUMBER, "The first operand", required=True),
            port("b", NUMBER, "The second operand", required=True),
        ),
        outputs=(port("result", NUMBER, RESULT),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {"result": number(compute(ctx.inputs["a"], ctx.inputs["b"]))}


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise NodeError(DIVISION_BY_ZERO)
    return a / b


def _modulo(a: float, b: float) -> float:
    """Remainder with the sign of `a`, as in JavaScript (Dafthunk's semantics)."""
    if b == 0:
        raise NodeError(DIVISION_BY_ZERO)
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return math.fmod(a, b)


_binary("addition", "Addition", "a + b", lambda a, b: a + b)
_binary("subtraction", "Subtraction", "a - b", lambda a, b: a - b)
_binary("multiplication", "Multiplication", "a * b", lambda a, b: a * b)
_binary("division", "Division", "a / b; dividing by zero is an error", _divide)
_binary("modulo", "Modulo", "Remainder of a / b, with the sign of a", _modulo)


@family.node(
    "exponentiation",
    "Exponentiation",
    "base raised to the power exponent",
    inputs=(
        port("base", NUMBER, "The number raised", required=True),
        port("exponent", NUMBER, "The power it is raised to", required=True),
    ),
    outputs=(port("result", NUMBER, RESULT),),
)
def exponentiation(ctx: NodeContext) -> Mapping[str, Any]:
    base, exponent = ctx.inputs["base"], ctx.inputs["exponent"]
    try:
        return {"result": number(_power(base, exponent))}
    except ZeroDivisionError:
        raise NodeError("Zero cannot be raised to a negative power") from None
    except OverflowError:
        raise NodeError("The result is too large") from None


def _power(base: Any, exponent: Any) -> Any:
    # Exact integer powers take minutes for exponents like 10**8: refuse those beyond a double.
    exact = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
    if exact and exponent * math.log2(abs(base)) > 1025:
        raise OverflowError
    return base**exponent


@family.node(
    "square-root",
    "Square Root",
    "√value; negative values are an error",
    inputs=(port("value", NUMBER, "A number, 0 or more", required=True),),
    outputs=(port("result", NUMBER, RESULT),),
)
def square_root(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs["value"]
    if value < 0:
        raise NodeError("Square root of negative numbers is not supported")
    return {"result": number(math.sqrt(value))}


@family.node(
    "absolute-value",
    "Absolute Value",
    "|value|",
    inputs=(port("value", NUMBER, "A number", required=True),),
    outputs=(port("result", NUMBER, RESULT),),
)
def absolute_value(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": number(abs(ctx.inputs["value"]))}


def _aggregate(
    id: str, name: str, description: str, compute: Callable[[list[float]], float], empty: str
) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(port("numbers", NUMBER, "Numbers, from any edges", required=True, repeated=True),),
        outputs=(port("result", NUMBER, RESULT),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        numbers = ctx.inputs["numbers"]
        if not numbers and empty:
            raise NodeError(empty)
        try:
            return {"result": number(compute(numbers))}
        except OverflowError:
            raise NodeError("The result is too large") from None


def _sum(numbers: list[float]) -> float:
    """Exact for integers of any size; correctly rounded (fsum) once a fraction is among them."""
    if all(isinstance(n, int) for n in numbers):
        return sum(numbers)
    return math.fsum(numbers)


_aggregate("sum", "Sum", "Sum of the numbers (0 for an empty list)", _sum, "")
_aggregate(
    "avg",
    "Average",
    "Arithmetic mean of the numbers",
    statistics.fmean,
    "Cannot calculate average of empty array",
)
_aggregate("max", "Maximum", "Largest number", max, "Cannot find maximum of empty array")
_aggregate("min", "Minimum", "Smallest number", min, "Cannot find minimum of empty array")
_aggregate(
    "median",
    "Median",
    "Middle number (mean of the two middle ones for an even count)",
    statistics.median,
    "Cannot calculate median of empty array",
)
