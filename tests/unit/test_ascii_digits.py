"""Where a node reads digits out of text as JavaScript does, only ASCII digits are digits.

Python's `\\d`, `str.isdigit()` and `int()` also take the digits of other scripts (Arabic-Indic,
fullwidth, ...; `isdigit()` even superscripts, which int() then refuses); JavaScript's Number(),
Date, a path's array index and a replacement's `$1` do not.
"""

from __future__ import annotations

import math

import pytest

from lambdas.nodes import json_paths
from lambdas.nodes.jsdates import parse_js_date
from lambdas.nodes.jsvalues import js_to_number
from lambdas.nodes.patterns import _compile_js, _template

ONE = "\u0661"  # ARABIC-INDIC DIGIT ONE
FULLWIDTH_ONE = "\uff11"
SUPERSCRIPT_TWO = "\u00b2"  # isdigit() says yes, int() refuses it


@pytest.mark.parametrize(
    "text",
    [ONE, FULLWIDTH_ONE, SUPERSCRIPT_TWO, f"1{ONE}", f"{ONE}.5", f".{ONE}", f"1e{ONE}", f"-{ONE}"],
)
def test_number_reads_digits_of_other_scripts_as_nan(text: str) -> None:
    assert math.isnan(js_to_number(text))


@pytest.mark.parametrize(("text", "number"), [("12", 12), (" -1.5e2 ", -150), (".5", 0.5)])
def test_number_still_reads_ascii_digits(text: str, number: float) -> None:
    assert js_to_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "\u0662\u0660\u0662\u0664-01-01",  # 2024 in Arabic-Indic digits
        "2024-01-01T1\u0660:00:00Z",
        f"December 2{ONE}, 2023",
        "12/25/\u0662\u0660\u0662\u0663",
        "December 25, 2023 1\u0660:30",
    ],
)
def test_a_date_written_with_digits_of_other_scripts_is_invalid(text: str) -> None:
    assert parse_js_date(text) is None


def test_a_path_index_is_ascii_digits() -> None:
    with pytest.raises(json_paths.PathError):
        json_paths.parse(f"$.items[{ONE}]")
    document = {"items": ["a", "b", "c"]}
    for key in (ONE, FULLWIDTH_ONE, SUPERSCRIPT_TWO):  # keys, which an array does not have
        assert json_paths.read(document, json_paths.parse(f"$.items.{key}")) is json_paths.MISSING
    assert json_paths.read(document, json_paths.parse("$.items.1")) == "b"


def test_a_replacement_names_a_group_with_ascii_digits_only() -> None:
    compiled, _ = _compile_js("(a)", "")
    assert _template(f"${ONE}", compiled) == [f"${ONE}"]
    assert _template("$1", compiled) == ["", 1, ""]
