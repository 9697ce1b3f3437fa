"""Math nodes: arithmetic on two numbers, one-number functions, aggregates."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Callable, Mapping
from typing import Any

from lambdas.nodes.jsvalues import js_to_number, js_type
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import PortSpec
from statemachine.model import ParameterType

family = NodeFamily("Math")

NUMBER = ParameterType.NUMBER
STRING = ParameterType.STRING
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


def to_number(value: Any) -> int | float | None:
    """`value` read as JavaScript's `Number(value)` reads it, as Dafthunk's math nodes do
    ("7" is 7, true is 1, "" is 0); None where JavaScript gives NaN. Integers stay exact."""
    read = js_to_number(value)
    return None if isinstance(read, float) and math.isnan(read) else read


def _operand(ctx: NodeContext, name: str) -> Any:
    if name not in ctx.inputs:
        raise NodeError(f"Input '{name}' is required")
    return ctx.inputs[name]


def _operands(ctx: NodeContext, first: str, second: str) -> tuple[int | float, int | float]:
    """Both operands, read as numbers; Dafthunk's messages when one is missing or is not."""
    a, b = _operand(ctx, first), _operand(ctx, second)
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        raise NodeError("Both inputs must be numbers")
    return x, y


def _single(ctx: NodeContext) -> int | float:
    value = to_number(_operand(ctx, "value"))
    if value is None:
        raise NodeError("Input must be a number")
    return value


def _number_port(name: str, description: str) -> PortSpec:
    """A required number input the node reads itself: a number, or text holding one."""
    return port(name, NUMBER, description, required=True, fallback=True, lenient=True)


def _binary(id: str, name: str, description: str, compute: Callable[[Any, Any], float]) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(_number_port("a", "The first operand"), _number_port("b", "The second operand")),
        outputs=(port("result", NUMBER, RESULT),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {"result": number(compute(*_operands(ctx, "a", "b")))}


def _divide(a: float, b: float) -> float:
    """a / b, exact when an integer divides another (so 2**60 / 2 keeps every digit)."""
    if b == 0:
        raise NodeError(DIVISION_BY_ZERO)
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def _modulo(a: float, b: float) -> float:
    """Remainder with the sign of `a`, as in JavaScript (Dafthunk's semantics)."""
    if b == 0:
        raise NodeError(DIVISION_BY_ZERO)
    return remainder(a, b)


def remainder(a: float, b: float) -> float:
    """JavaScript's `a % b` for b != 0: the sign of `a`, exact for integers."""
    if isinstance(a, int) and isinstance(b, int):
        result = abs(a) % abs(b)
        return -result if a < 0 else result
    if math.isinf(a):  # an operand read from text ("1e400"): Infinity % b is NaN
        return math.nan
    return math.fmod(a, b)


_binary("addition", "Addition", "The sum a + b", lambda a, b: a + b)
_binary("subtraction", "Subtraction", "The difference a - b", lambda a, b: a - b)
_binary("multiplication", "Multiplication", "The product a * b", lambda a, b: a * b)
_binary("division", "Division", "a / b; dividing by zero is an error", _divide)
_binary("modulo", "Modulo", "Remainder of a / b, with the sign of a", _modulo)


@family.node(
    "exponentiation",
    "Exponentiation",
    "base raised to the power exponent",
    inputs=(
        _number_port("base", "The number raised"),
        _number_port("exponent", "The power it is raised to"),
    ),
    outputs=(port("result", NUMBER, RESULT),),
)
def exponentiation(ctx: NodeContext) -> Mapping[str, Any]:
    base, exponent = _operands(ctx, "base", "exponent")
    try:
        return {"result": number(power(base, exponent))}
    except ZeroDivisionError:
        raise NodeError("Zero cannot be raised to a negative power") from None
    except OverflowError:
        raise NodeError("The result is too large") from None


def power(base: Any, exponent: Any) -> Any:
    """base ** exponent, as JavaScript's Math.pow: NaN for 1 or -1 to an infinite power
    (Python's ** gives 1); refusing (OverflowError) an exact integer power beyond a double:
    those take minutes for exponents like 10**8."""
    if abs(base) == 1 and isinstance(exponent, float) and math.isinf(exponent):
        return math.nan
    exact = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
    if exact and exponent * math.log2(abs(base)) > 1025:
        raise OverflowError
    return base**exponent


@family.node(
    "square-root",
    "Square Root",
    "√value; negative values are an error",
    inputs=(_number_port("value", "A number, 0 or more"),),
    outputs=(port("result", NUMBER, RESULT),),
)
def square_root(ctx: NodeContext) -> Mapping[str, Any]:
    value = _single(ctx)
    if value < 0:
        raise NodeError("Square root of negative numbers is not supported")
    return {"result": number(exact_sqrt(value))}


def exact_sqrt(value: float) -> float:
    """√value; an integer's integral root exactly, whatever its size."""
    if isinstance(value, int):
        root = math.isqrt(value)
        if root * root == value:
            return root
    return math.sqrt(value)


@family.node(
    "absolute-value",
    "Absolute Value",
    "The absolute value |value|",
    inputs=(_number_port("value", "A number"),),
    outputs=(port("result", NUMBER, RESULT),),
)
def absolute_value(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": number(abs(_single(ctx)))}


@family.node(
    "calculator",
    "Calculator",
    "Evaluates an arithmetic expression (Dafthunk's syntax: + - * / % ^, & | ~ << >>, "
    "Math functions such as sqrt, sin, round, min, max, hypot, and PI, E); comparisons "
    "(< <= > >= == !=) and && || ! give a boolean instead of a number",
    inputs=(
        port(
            "expression",
            STRING,
            "The expression, e.g. `sqrt(16) + 2^3` or `412 > 300`",
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(port("result", ParameterType.ANY, "A number, or a boolean for a comparison"),),
)
def calculator(ctx: NodeContext) -> Mapping[str, Any]:
    # imported here: the expression evaluator builds on this module's arithmetic
    from lambdas.nodes.expressions import ExpressionError, evaluate

    try:
        return {"result": evaluate(ctx.inputs.get("expression"))}
    except ExpressionError as error:
        raise NodeError(str(error)) from None


def _aggregate(
    id: str, name: str, description: str, compute: Callable[[list[float]], float], empty: str
) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(
            port(
                "numbers",
                NUMBER,
                "Numbers, from any edges (text holding a number counts as that number)",
                required=True,
                repeated=True,
                fallback=True,
                lenient=True,
            ),
        ),
        outputs=(port("result", NUMBER, RESULT),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        if "numbers" not in ctx.inputs:
            raise NodeError("No number inputs provided")
        numbers = _numbers(ctx.inputs["numbers"])
        if not numbers and empty:
            raise NodeError(empty)
        try:
            return {"result": number(compute(numbers))}
        except OverflowError:
            raise NodeError("The result is too large") from None


def _numbers(given: Any) -> list[int | float]:
    """The numbers of a repeated input, each read as JavaScript's Number() reads it."""
    if not isinstance(given, list):
        if isinstance(given, int | float) and not isinstance(given, bool):
            return [given]
        raise NodeError("Invalid input type: expected number or array of numbers")
    numbers = []
    for position, item in enumerate(given):
        value = to_number(item)
        if value is None:
            raise NodeError(
                f"Invalid input at position {position}: expected number, got {js_type(item)}"
            )
        numbers.append(value)
    return numbers


def _sum(numbers: list[float]) -> float:
    """Exact for integers of any size; correctly rounded (fsum) once a fraction is among them."""
    if all(isinstance(n, int) for n in numbers):
        return sum(numbers)
    return math.fsum(_finite_terms(numbers))


def _mean(numbers: list[float]) -> float:
    return statistics.fmean(_finite_terms(numbers))


def _finite_terms(numbers: list[float]) -> list[float]:
    """The terms of a sum (fsum, fmean), which must be finite: with an Infinity among them
    (text such as "1e400" or "-Infinity") JavaScript's sum is Infinity or NaN, which JSON
    cannot hold (and fsum raises "-inf + inf in fsum" when both signs are there)."""
    if not all(math.isfinite(n) for n in numbers if isinstance(n, float)):
        raise NodeError("The result is not a finite number")
    return numbers


_aggregate("sum", "Sum", "Sum of the numbers (0 for an empty list)", _sum, "")
_aggregate(
    "avg",
    "Average",
    "Arithmetic mean of the numbers",
    _mean,
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
