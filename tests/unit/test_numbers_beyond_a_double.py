"""Numbers beyond a double's range (about 1.8e308): JavaScript holds none (1e400 is Infinity),
JSON readers refuse them, and no Python int that large may meet a float in a node (OverflowError:
'int too large to convert to float').

JSON text refuses them wherever it is read (loads_strict), whether written as digits or with an
exponent.
"""

from __future__ import annotations

import sys

import pytest

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
