"""Calculator expressions: Dafthunk's JavaScript syntax, evaluated by simpleeval, never `eval`.

An expression is checked against the characters Dafthunk's calculator allows, rewritten
token by token into the Python expression of the same meaning (`^` is a power, `&&` and
`||` are `and` and `or`, `!x` is `not x`), then evaluated by simpleeval with only the
operators and `Math` functions below, each computing as JavaScript does (`%` keeps the
sign of the dividend, bitwise operators work on 32-bit integers, `round` rounds halves up)
except that integers stay exact, whatever their size, where JavaScript would round them.
Comparisons (`<`, `<=`, `==`, `!=`, ...) and the logical operators give booleans.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import sys
from collections.abc import Callable
from typing import Any

from simpleeval import InvalidExpression, SimpleEval

from lambdas.nodes.math import exact_sqrt, number, power, remainder

EMPTY = "Missing or empty expression."
INVALID_CHARACTERS = (
    "Expression contains invalid characters. Only numbers, operators (+, -, *, /, ^, %, &, |, "
    "<, >, ~, =, !), parentheses, and math functions are allowed."
)
INVALID_NUMBER = "Expression evaluation resulted in an invalid number (NaN or Infinity)."


class ExpressionError(ValueError):
    """An expression that cannot be evaluated; the message is the node's error."""


class _NotANumber(ArithmeticError):
    """Where JavaScript's result would be NaN or Infinity."""


def _finite(value: Any) -> Any:
    if isinstance(value, complex):
        raise _NotANumber
    if isinstance(value, float) and not math.isfinite(value):
        raise _NotANumber
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise _NotANumber  # beyond a double: Infinity in JavaScript
    return value


def _multiply(a: Any, b: Any) -> Any:
    return _finite(a * b)


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        raise _NotANumber
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b  # exact, past 2**53 too
    return _finite(a / b)


def _remainder(a: Any, b: Any) -> Any:
    if b == 0:
        raise _NotANumber
    return remainder(a, b)


def _power(a: Any, b: Any) -> Any:
    if a == 0 and b < 0:
        raise _NotANumber
    return _finite(power(a, b))


def _int32(value: Any) -> int:
    """JavaScript's ToInt32, which its bitwise operators apply to their operands."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return 0
        value = math.trunc(value)
    wrapped = int(value) % 2**32
    return wrapped - 2**32 if wrapped >= 2**31 else wrapped


def _bitwise(apply: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    return lambda a, b: _int32(apply(_int32(a), _int32(b)))


def _sign(value: Any) -> int:
    return int(value > 0) - int(value < 0)


def _round(value: Any) -> Any:
    """Math.round: to the nearest integer, halves towards +∞."""
    return value if isinstance(value, int) else math.floor(value + 0.5)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        if not values:
            raise _NotANumber  # Math.max() is -Infinity
        return pick(values)

    return apply


OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: lambda a, b: _finite(a + b),
    ast.Sub: lambda a, b: _finite(a - b),
    ast.Mult: _multiply,
    ast.Div: _divide,
    ast.Mod: _remainder,
    ast.Pow: _power,
    ast.BitAnd: _bitwise(operator.and_),
    ast.BitOr: _bitwise(operator.or_),
    ast.LShift: _bitwise(lambda a, b: a << (b & 31)),
    ast.RShift: _bitwise(lambda a, b: a >> (b & 31)),
    ast.Invert: lambda a: ~_int32(a),
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "sqrt": exact_sqrt,
    "cbrt": math.cbrt,
    "pow": _power,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": _round,
    "sign": _sign,
    "trunc": math.trunc,
    "min": _extreme(min),
    "max": _extreme(max),
    "hypot": math.hypot,
}
CONSTANTS = {"PI": math.pi, "E": math.e, "True": True, "False": False}

# Dafthunk's whitelist, with = and ! for comparisons and negation, and true and false.
_NAMES = re.compile(r"\b(" + "|".join([*FUNCTIONS, "PI", "E", "true", "false"]) + r")\b")
_ALLOWED = re.compile(r"[0-9+\-*/()., \t\n\r\s^%&|<>~=!]*")
_TOKEN = re.compile(
    r"\s*([0-9]+\.?[0-9]*|\.[0-9]+|[A-Za-z_][A-Za-z0-9_]*"
    r"|===|!==|==|!=|<=|>=|<<|>>>|>>|&&|\|\||\*\*|[-+*/%^&|~!<>(),])"
)
_SPELLED = {
    "^": "**",
    "&&": "and",
    "||": "or",
    "===": "==",
    "!==": "!=",
    "true": "True",
    "false": "False",
}


class _Evaluator(SimpleEval):  # type: ignore[misc]  # simpleeval ships no type hints
    """simpleeval, with comparisons chained left to right as in JavaScript
    (`3 > 2 > 1` is `(3 > 2) > 1`, false), not as in Python."""

    def _eval_compare(self, node: ast.Compare) -> Any:
        result = self._eval(node.left)
        for operation, operand in zip(node.ops, node.comparators, strict=True):
            result = self.operators[type(operation)](result, self._eval(operand))
        return result


def evaluate(expression: Any) -> int | float | bool:
    """The value of `expression`: a number, or a boolean for a comparison; ExpressionError
    with Dafthunk's messages when there is none."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError(EMPTY)
    if not _ALLOWED.fullmatch(_NAMES.sub("", expression)):
        raise ExpressionError(INVALID_CHARACTERS)
    evaluator = _Evaluator(operators=OPERATORS, functions=FUNCTIONS, names=dict(CONSTANTS))
    try:
        source = _python(_tokens(expression))
        value = evaluator.eval(source)
    except (_NotANumber, ZeroDivisionError, OverflowError):
        raise ExpressionError(INVALID_NUMBER) from None
    except ValueError:  # a math domain error, a literal past a double: NaN or Infinity there
        raise ExpressionError(INVALID_NUMBER) from None
    except (SyntaxError, InvalidExpression, TypeError, RecursionError, MemoryError) as error:
        raise ExpressionError(f"Expression evaluation error: {_reason(error)}") from None
    if isinstance(value, bool):
        return value
    if not isinstance(value, int | float):
        raise ExpressionError(INVALID_NUMBER)
    try:
        return number(_finite(value))
    except _NotANumber:
        raise ExpressionError(INVALID_NUMBER) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        return "the expression is incomplete or malformed"
    if isinstance(error, RecursionError | MemoryError):
        return "the expression is nested too deeply"
    return str(error) or type(error).__name__


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SyntaxError(expression)
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _python(tokens: list[str]) -> str:
    """The Python source of the same meaning as these JavaScript tokens."""
    pieces, index = [], 0
    while index < len(tokens):
        if tokens[index] == "!":
            operand, index = _operand(tokens, index + 1)
            pieces.append(f"(not {operand})")
        elif tokens[index] == ">>>":
            raise InvalidExpression("the operator >>> is not supported")
        else:
            pieces.append(_SPELLED.get(tokens[index], tokens[index]))
            index += 1
    return " ".join(pieces)


def _operand(tokens: list[str], index: int) -> tuple[str, int]:
    """The Python source of the operand of a unary operator starting at `index`, and the
    index after it: JavaScript's unary operators bind tighter than any binary one."""
    if index >= len(tokens):
        raise SyntaxError("an operator lacks its operand")
    token = tokens[index]
    if token == "!":
        inner, end = _operand(tokens, index + 1)
        return f"(not {inner})", end
    if token in ("-", "+", "~"):
        inner, end = _operand(tokens, index + 1)
        return f"{token}{inner}", end
    if token == "(":
        close = _closing(tokens, index)
        return f"({_python(tokens[index + 1 : close])})", close + 1
    if index + 1 < len(tokens) and tokens[index + 1] == "(":
        close = _closing(tokens, index + 1)
        return f"{token}({_python(tokens[index + 2 : close])})", close + 1
    return _SPELLED.get(token, token), index + 1


def _closing(tokens: list[str], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[index], 0)
        if depth == 0:
            return index
    raise SyntaxError("a parenthesis is not closed")
