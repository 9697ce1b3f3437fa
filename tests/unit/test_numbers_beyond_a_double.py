"""Numbers beyond a double's range (about 1.8e308): JavaScript holds none (1e400 is Infinity),
JSON readers refuse them, and no Python int that large may meet a float in a node (OverflowError:
'int too large to convert to float').

JSON text refuses them wherever it is read (loads_strict); a node reading a number from text
reads it as JavaScript's Number() does: exactly within a double's range (every digit past 2^53
kept), Infinity beyond it, whether written as digits or with an exponent.
"""

from __future__ import annotations

import math
import sys

import pytest

from lambdas.nodes.jsvalues import js_number, js_stringify, js_to_number
from lambdas.nodes.math import power
from statemachine.port_types import loads_strict

LARGEST = int(sys.float_info.max)  # the largest integer a double holds, 309 digits


@pytest.mark.parametrize(
    "text",
    [str(LARGEST + 1), f"-{LARGEST + 1}", "1" + "0" * 400, f"[{2**1100}]", "9" * 5000],
)
def test_json_refuses_an_integer_beyond_a_double(text: str) -> None:
    with pytest.raises(ValueError, match="is beyond the range of a number"):
        loads_strict(text)


def test_json_keeps_every_digit_of_an_integer_a_double_holds() -> None:
    text = f"[{LARGEST}, -{LARGEST}, {2**53 + 1}, {2**1000}, 0, -0]"
    assert loads_strict(text) == [LARGEST, -LARGEST, 2**53 + 1, 2**1000, 0, 0]


def test_json_of_long_digit_strings_is_text() -> None:
    assert loads_strict(f'{{"{"1" * 400}": "{"2" * 5000}"}}') == {"1" * 400: "2" * 5000}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (str(LARGEST), LARGEST),
        (f"-{LARGEST}", -LARGEST),
        (f"000{LARGEST}", LARGEST),
        ("9007199254740993", 9007199254740993),
        (str(LARGEST + 1), math.inf),
        ("1" + "0" * 400, math.inf),
        ("-" + "1" * 400, -math.inf),
        ("0x" + "f" * 300, math.inf),
    ],
)
def test_number_reads_an_integer_exactly_within_a_double_and_as_infinity_beyond(
    text: str, expected: float
) -> None:
    read = js_to_number(text)
    assert read == expected
    assert type(read) is type(expected)


def test_number_of_an_int_beyond_a_double_is_infinity() -> None:
    assert js_to_number(2**1100) == math.inf
    assert js_to_number(-(2**1100)) == -math.inf
    assert js_to_number(LARGEST) == LARGEST


def test_an_int_beyond_a_double_prints_as_javascript_prints_infinity() -> None:
    assert js_number(2**1100) == "Infinity"
    assert js_number(-(2**1100)) == "-Infinity"
    assert js_number(LARGEST) == "1.7976931348623157e+308"
    assert js_stringify([2**1100, LARGEST]) == "[null,1.7976931348623157e+308]"


@pytest.mark.parametrize(
    ("base", "exponent"),
    [(1, math.inf), (1, -math.inf), (-1, math.inf), (-1, -math.inf), (1.0, math.inf)],
)
def test_one_to_an_infinite_power_is_nan_as_in_javascript(base: float, exponent: float) -> None:
    # Math.pow(1, Infinity) is NaN; Python's 1 ** inf is 1
    assert math.isnan(power(base, exponent))


@pytest.mark.parametrize(
    ("base", "exponent", "expected"),
    [(0.5, math.inf, 0.0), (2, -math.inf, 0.0), (2, math.inf, math.inf), (1, 10**6, 1)],
)
def test_other_powers_of_infinities_and_ones_are_pythons(
    base: float, exponent: float, expected: float
) -> None:
    assert power(base, exponent) == expected
