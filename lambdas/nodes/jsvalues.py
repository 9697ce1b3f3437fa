"""JavaScript's conversions of JSON values, which Dafthunk's nodes apply to their inputs:
String(v), Number(v), Boolean(v), Number.prototype.toString and JSON.stringify."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from statemachine.port_types import DOUBLE_DIGITS, LARGEST_INTEGER

# What Number("...") reads after trimming whitespace (besides hex, octal, binary, Infinity).
# Its digits are ASCII: Number("\u0661") is NaN. Python's `\d`, int() and float() take other
# scripts' digits too, so the patterns say [0-9] and int() and float() see only what they match.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PREFIXED = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
_BASES = {"x": 16, "o": 8, "b": 2}
# What JavaScript's trim() removes: its white space (Unicode's Zs, tab, vertical tab, form
# feed, BOM) and line terminators. Python's strip() also removes \x1c-\x1f and \x85.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """String.prototype.trim."""
    return text.strip(JS_WHITESPACE)


def js_number(value: float) -> str:
    """`value` as JavaScript's Number.prototype.toString prints it (1 not 1.0, 1e+21, 1e-7)."""
    if isinstance(value, int) and abs(value) < 10**21:
        return str(value)
    value = js_held(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):  # a number read from text ("1e400" is Infinity)
        return "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    sign, digit_tuple, exponent = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), exponent + len(digits)  # value = 0.<digits> x 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return "-" + text if sign else text


def js_string(value: Any) -> str:
    """String(value): arrays joined with commas (null items empty), objects as
    "[object Object]"; None (null or a missing value) as "null"."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_type(value: Any) -> str:
    """JavaScript's `typeof` of a JSON value ("object" for null, arrays and objects)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def js_to_number(value: Any) -> float:
    """Number(value): NaN (a float) where JavaScript gives NaN; an integer where the value
    is a whole number, so that it travels as one."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return js_held(value)
    if isinstance(value, list):
        return js_to_number(js_string(value)) if len(value) <= 1 else math.nan
    if isinstance(value, dict):
        return math.nan
    return _string_to_number(str(value))


def _string_to_number(text: str) -> float:
    text = js_trim(text)
    if text == "":
        return 0
    if _DECIMAL.fullmatch(text):
        if _INTEGER.fullmatch(text):
            return _integer(text)
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed:
        try:
            return js_held(int(prefixed.group(2), _BASES[prefixed.group(1).lower()]))
        except ValueError:
            return math.nan
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return math.nan


def _integer(text: str) -> float:
    """An integer's text, exactly within a double's range (every digit past 2^53 kept); beyond
    it Infinity, as JavaScript reads it. More digits than the largest double's are not read at
    all (int() would refuse more than 4,300 of them)."""
    negative = text.startswith("-")
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > DOUBLE_DIGITS:
        return -math.inf if negative else math.inf
    return js_held(-int(digits) if negative else int(digits))


def js_held(number: float) -> float:
    """`number` as JavaScript holds it: an integer beyond a double's range is Infinity (or
    -Infinity), which Python's float() would refuse with OverflowError; any other number as it
    is, an integer exactly."""
    if isinstance(number, int) and abs(number) > LARGEST_INTEGER:
        return math.inf if number > 0 else -math.inf
    return number


def js_truthy(value: Any) -> bool:
    """Boolean(value): false for null, false, 0, NaN and ""; true for anything else."""
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, list | dict):
        return True
    return bool(value)


def js_integer(value: Any) -> bool:
    """Number.isInteger(value), without conversion: a whole finite number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def js_stringify(value: Any, indent: int | None = None) -> str:
    """JSON.stringify(value, null, indent): numbers printed as JavaScript prints them."""
    return _stringify(value, indent, "")


def _stringify(value: Any, indent: int | None, margin: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = js_held(value)
        return js_number(number) if math.isfinite(number) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = [_stringify(item, indent, margin + " " * (indent or 0)) for item in value]
        return _join(items, "[", "]", indent, margin)
    entries = [
        f"{json.dumps(str(key), ensure_ascii=False)}:{' ' if indent else ''}"
        + _stringify(item, indent, margin + " " * (indent or 0))
        for key, item in value.items()
    ]
    return _join(entries, "{", "}", indent, margin)


def _join(parts: list[str], opening: str, closing: str, indent: int | None, margin: str) -> str:
    if not parts:
        return opening + closing
    if not indent:
        return opening + ",".join(parts) + closing
    inner = margin + " " * indent
    return f"{opening}\n{inner}" + f",\n{inner}".join(parts) + f"\n{margin}{closing}"
