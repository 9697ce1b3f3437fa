"""Conformance of the text nodes: what a user sees for good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow


def run_node(engine, node_type: str, /, **literals: Any):
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


def run_fed_untyped(engine, node_type: str, input_name: str, value: Any, /, **literals: Any):
    """Run node `n` with `input_name` fed by an `any` edge, so its type is checked at run time."""
    return engine.run(
        workflow(
            node("src", "output-any", value=value),
            node("n", node_type, **literals),
            edges=[edge("src.displayValue", f"n.{input_name}")],
        )
    )


# string-concat


def test_concat_joins_literal_inputs_in_order_without_separator(engine):
    result = run_node(engine, "string-concat", input_1="Hello", input_2=", ", input_3="world")
    assert result.output("n") == "Hello, world"


def test_concat_joins_inputs_wired_from_text_inputs(engine):
    result = engine.run(
        workflow(
            node("first", "text-input", value="a"),
            node("second", "text-input", value="b"),
            node("third", "text-input", value="c"),
            node("n", "string-concat", input_1="", input_2="", input_3=""),
            edges=[
                edge("third.value", "n.input_3"),
                edge("first.value", "n.input_1"),
                edge("second.value", "n.input_2"),
            ],
        )
    )
    assert result.status == "completed"
    assert result.output("n") == "abc"


def test_concat_mixes_edges_and_literals(engine):
    result = engine.run(
        workflow(
            node("name", "text-input", value="Ada"),
            node("n", "string-concat", input_1="Hi ", input_3="!"),
            edges=[edge("name.value", "n.input_2")],
        )
    )
    assert result.output("n") == "Hi Ada!"


def test_concat_orders_input_10_after_input_2(engine):
    result = run_node(engine, "string-concat", input_10="c", input_1="a", input_2="b")
    assert result.output("n") == "abc"


def test_concat_skips_inputs_that_have_no_value(engine):
    result = run_node(engine, "string-concat", input_1="a", input_3="c")
    assert result.output("n") == "ac"


def test_concat_without_any_input_fails(engine):
    result = run_node(engine, "string-concat")
    assert result.status == "error"
    assert result.error("n") == "No string inputs provided"


def test_concat_fails_naming_the_position_of_a_number_literal(engine):
    # As Dafthunk: the node itself answers a number, naming its position among the inputs.
    result = run_node(engine, "string-concat", input_1="Hello", input_2=123, input_3="World")
    assert result.status == "error"
    assert result.error("n") == "Invalid input at position 1: expected string, got number"


def test_concat_fails_when_an_edge_delivers_a_number(engine):
    result = run_fed_untyped(engine, "string-concat", "input_2", 5, input_1="a")
    assert result.error("n") == "Invalid input at position 1: expected string, got number"


def test_concat_counts_positions_among_the_inputs_given(engine):
    result = run_node(engine, "string-concat", input_2="a", input_5=[1])
    assert result.error("n") == "Invalid input at position 1: expected string, got object"


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"input_1": "Hello World"}, "Hello World"),
        ({"input_1": "Hello", "input_2": " ", "input_3": "World", "input_4": "!"}, "Hello World!"),
        ({"input_1": "", "input_2": "test", "input_3": ""}, "test"),
        ({"input_1": "A", "input_2": None, "input_3": "B"}, "AB"),
    ],
)
def test_concat_cases_of_dafthunk(engine, literals, expected):
    assert run_node(engine, "string-concat", **literals).output("n") == expected


# to-string


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42, "42"),
        (3.0, "3"),
        (2.5, "2.5"),
        (-0.000001, "-0.000001"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (True, "true"),
        (False, "false"),
        ("plain text", "plain text"),
    ],
)
def test_to_string_prints_scalars_as_javascript_does(engine, value, text):
    assert run_node(engine, "to-string", value=value).output("n") == text


def test_to_string_prints_objects_as_indented_json(engine):
    result = run_node(engine, "to-string", value={"name": "Zoë", "tags": [1, 2.0]})
    assert result.output("n") == '{\n  "name": "Zoë",\n  "tags": [\n    1,\n    2\n  ]\n}'


def test_to_string_of_a_json_string_literal_prints_the_parsed_value(engine):
    # SPEC §4.3: an `any` input given a string that parses as JSON receives the parsed value.
    assert run_node(engine, "to-string", value="[1,2]").output("n") == "[\n  1,\n  2\n]"


def test_to_string_without_a_value_prints_null(engine):
    # As Dafthunk's to-string of null; JSON has no undefined, so nothing given is null too.
    assert run_node(engine, "to-string").output("n") == "null"
    assert run_node(engine, "to-string", value=None).output("n") == "null"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (123, "123"),
        (True, "true"),
        ("Hello World", "Hello World"),
        ({"name": "John", "age": 30}, '{\n  "name": "John",\n  "age": 30\n}'),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_to_string_cases_of_dafthunk(engine, value, text):
    assert run_node(engine, "to-string", value=value).output("n") == text


# upper case, lower case, trim


@pytest.mark.parametrize(
    ("node_type", "text", "expected"),
    [
        ("string-to-upper-case", "Straße ok", "STRASSE OK"),
        ("string-to-lower-case", "ÀB c", "àb c"),
        ("string-trim", " \t padded \n", "padded"),
        # JavaScript's trim: no-break spaces and a BOM go, separators \x1c-\x1f stay.
        ("string-trim", "\u00a0\ufeff padded\u2028", "padded"),
        ("string-trim", "\x1cpadded\x1f", "\x1cpadded\x1f"),
    ],
)
def test_case_and_trim_nodes_transform_the_string(engine, node_type, text, expected):
    assert run_node(engine, node_type, string=text).output("n") == expected


@pytest.mark.parametrize(
    "node_type", ["string-to-upper-case", "string-to-lower-case", "string-trim"]
)
def test_case_and_trim_nodes_need_a_string(engine, node_type):
    assert run_node(engine, node_type).error("n") == "Required input 'string' missing"
    wrong = run_fed_untyped(engine, node_type, "string", True)
    assert wrong.error("n") == "Input 'string' expected a string, got boolean"


# string-substring


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 5, "hello"),
        (5, 0, "hello"),  # swapped, as in JavaScript
        (6, 99, "world"),  # end clamps to the length
        (11, 11, ""),
        (2.0, 4.0, "ll"),  # integral floats are whole numbers
        (6, 11, "world"),
    ],
)
def test_substring_follows_javascript_substring(engine, start, end, expected):
    literals = {"haystack": "hello world", "start": start, "end": end}
    assert run_node(engine, "string-substring", **literals).output("n") == expected


def test_substring_of_the_empty_string_is_empty(engine):
    result = run_node(engine, "string-substring", haystack="", start=0, end=0)
    assert result.output("n") == ""


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (1.5, 2, "Invalid or missing start index"),
        ("1", 2, "Invalid or missing start index"),
        (None, 2, "Invalid or missing start index"),
        (1, 2.5, "Invalid or missing end index"),
        (1, None, "Invalid or missing end index"),
        (1, -1, "Invalid or missing end index"),
        (-3, 2, "Start index is out of bounds"),
        (12, 20, "Start index is out of bounds"),
    ],
)
def test_substring_refuses_indices_as_dafthunk_does(engine, start, end, message):
    literals = {"haystack": "hello world", "start": start, "end": end}
    assert run_node(engine, "string-substring", **literals).error("n") == message


# string-includes and string-equals


@pytest.mark.parametrize(
    ("needle", "expected"), [("World", True), ("world", False), ("", True), ("xyz", False)]
)
def test_includes_is_case_sensitive(engine, needle, expected):
    result = run_node(engine, "string-includes", haystack="Hello World", needle=needle)
    assert result.output("n") is expected


def test_includes_without_a_needle_fails(engine):
    result = run_node(engine, "string-includes", haystack="Hello")
    assert result.error("n") == "Required input 'needle' missing"


@pytest.mark.parametrize(
    ("a", "b", "ignore_case", "expected"),
    [
        ("Apple", "Apple", False, True),
        ("Apple", "apple", False, False),
        ("Apple", "apple", True, True),
        ("straße", "STRASSE", True, False),  # JavaScript's toLowerCase keeps ß
        ("ÀB", "àb", True, True),
        ("apple", "apples", True, False),
    ],
)
def test_equals_compares_with_or_without_case(engine, a, b, ignore_case, expected):
    result = run_node(engine, "string-equals", a=a, b=b, ignoreCase=ignore_case)
    assert result.output("n") is expected


def test_equals_is_case_sensitive_by_default(engine):
    assert run_node(engine, "string-equals", a="A", b="a").output("n") is False


def test_equals_fails_when_b_is_a_number(engine):
    result = run_fed_untyped(engine, "string-equals", "b", 1, a="1")
    assert result.error("n") == "Invalid or missing input 'b'"


# regex-match


@pytest.mark.parametrize(
    ("text", "pattern", "flags", "expected"),
    [
        ("order 66 shipped", r"\d+", "", True),
        ("no digits", r"\d+", "", False),
        ("HELLO", "hello", "", False),
        ("HELLO", "hello", "i", True),
        ("one\ntwo", "^two$", "", False),
        ("one\ntwo", "^two$", "m", True),
        ("a\nb", "a.b", "", False),
        ("a\nb", "a.b", "s", True),
        ("abc", "b", "gu", True),
    ],
)
def test_regex_match_tests_the_pattern_anywhere(engine, text, pattern, flags, expected):
    result = run_node(engine, "regex-match", string=text, pattern=pattern, flags=flags)
    assert result.output("n") is expected


def test_regex_match_with_an_invalid_pattern_fails(engine):
    result = run_node(engine, "regex-match", string="abc", pattern="(a")
    assert result.error("n") == "Invalid regex: missing ) at position 2"


def test_regex_match_with_an_unsupported_flag_fails(engine):
    result = run_node(engine, "regex-match", string="abc", pattern="a", flags="iy")
    assert result.error("n") == "Unsupported regex flag 'y'"


def test_regex_match_without_a_pattern_fails(engine):
    result = run_node(engine, "regex-match", string="abc")
    assert result.error("n") == "Required input 'pattern' missing"


def test_nested_quantifiers_are_answered_without_hanging(engine):
    result = run_node(engine, "regex-match", string="a" * 30 + "b", pattern="(a+)+$")
    assert result.output("n") is False


def test_catastrophic_backtracking_fails_the_node_instead_of_hanging(engine):
    # `regex` optimizes (a+)+$ away; alternation inside a repeat still backtracks exponentially.
    result = run_node(engine, "regex-match", string="a" * 40 + "b", pattern="(a|aa)+$")
    assert result.error("n") == "Regular expression took too long"


# regex-replace


@pytest.mark.parametrize(
    ("pattern", "replacement", "flags", "expected"),
    [
        ("o", "0", "", "f0o boo"),
        ("o", "0", "g", "f00 b00"),
        ("O", "0", "gi", "f00 b00"),
        (r"(\w+) (\w+)", "$2 $1", "", "boo foo"),
        (r"(?<first>\w+) (?<second>\w+)", "$<second>-$<first>", "", "boo-foo"),
        ("o+", "[$&]", "g", "f[oo] b[oo]"),
        ("o+", "$$", "", "f$ boo"),
        (" ", "<$`|$'>", "", "foo<foo|boo>boo"),
        ("(o)", "$2$0$12", "", "f$2$0o2o boo"),  # unknown groups stay literal; $12 is $1 then 2
        ("(o)", "$<x>", "", "f$<x>o boo"),  # no named groups: $<x> is plain text
        ("(?<y>o)", "[$<x>]", "", "f[]o boo"),  # unknown name in a named pattern: nothing
        ("x", "y", "g", "foo boo"),
        ("", "-", "g", "-f-o-o- -b-o-o-"),
    ],
)
def test_regex_replace_follows_javascript_replace(engine, pattern, replacement, flags, expected):
    result = run_node(
        engine,
        "regex-replace",
        string="foo boo",
        pattern=pattern,
        replacement=replacement,
        flags=flags,
    )
    assert result.output("n") == expected


def test_regex_replace_with_an_invalid_pattern_fails(engine):
    result = run_node(engine, "regex-replace", string="a", pattern="[a", replacement="b")
    assert result.error("n").startswith("Invalid regex: unterminated character set")


def test_regex_replace_with_an_unsupported_flag_fails(engine):
    result = run_node(engine, "regex-replace", string="a", pattern="a", replacement="b", flags="x")
    assert result.error("n") == "Unsupported regex flag 'x'"


def test_regex_replace_without_a_replacement_fails(engine):
    result = run_node(engine, "regex-replace", string="a", pattern="a")
    assert result.error("n") == "Required input 'replacement' missing"


def test_regex_replace_may_replace_with_nothing(engine):
    result = run_node(
        engine, "regex-replace", string="a-b-c", pattern="-", replacement="", flags="g"
    )
    assert result.output("n") == "abc"


# The cases of Dafthunk's own tests of these types, as workflows.


@pytest.mark.parametrize(
    ("node_type", "text", "expected"),
    [
        ("string-to-upper-case", "Hello World", "HELLO WORLD"),
        ("string-to-upper-case", "HELLO WORLD", "HELLO WORLD"),
        ("string-to-upper-case", "", ""),
        ("string-to-lower-case", "Hello World", "hello world"),
        ("string-to-lower-case", "hello world", "hello world"),
        ("string-to-lower-case", "", ""),
        ("string-trim", "  Hello World  ", "Hello World"),
        ("string-trim", "HelloWorld", "HelloWorld"),
        ("string-trim", "", ""),
        ("string-trim", "   \n\t  ", ""),
    ],
)
def test_case_and_trim_cases_of_dafthunk(engine, node_type, text, expected):
    assert run_node(engine, node_type, string=text).output("n") == expected


@pytest.mark.parametrize(
    ("haystack", "needle", "expected"),
    [
        ("Hello World", "World", True),
        ("Hello World", "Test", False),
        ("Hello World", "world", False),
        ("Hello World", "", True),
    ],
)
def test_includes_cases_of_dafthunk(engine, haystack, needle, expected):
    result = run_node(engine, "string-includes", haystack=haystack, needle=needle)
    assert result.output("n") is expected


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"a": "hello", "b": "hello"}, True),
        ({"a": "hello", "b": "world"}, False),
        ({"a": "Hello", "b": "hello"}, False),
        ({"a": "Hello", "b": "HELLO", "ignoreCase": True}, True),
        ({"a": "", "b": ""}, True),
    ],
)
def test_equals_cases_of_dafthunk(engine, literals, expected):
    assert run_node(engine, "string-equals", **literals).output("n") is expected


def test_equals_without_b_fails(engine):
    result = run_node(engine, "string-equals", a="hello")
    assert result.error("n") == "Required input 'b' missing"


def test_equals_fails_on_a_number_literal(engine):
    result = run_node(engine, "string-equals", a="hello", b=42)
    assert result.error("n") == "Invalid or missing input 'b'"


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"string": "Hello 123 World", "pattern": r"\d+"}, True),
        ({"string": "Hello World", "pattern": r"\d+"}, False),
        ({"string": "Hello World", "pattern": "hello", "flags": "i"}, True),
    ],
)
def test_regex_match_cases_of_dafthunk(engine, literals, expected):
    assert run_node(engine, "regex-match", **literals).output("n") is expected


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        (
            {
                "string": "Hello 123 World 456",
                "pattern": r"\d+",
                "replacement": "XXX",
                "flags": "g",
            },
            "Hello XXX World XXX",
        ),
        (
            {
                "string": "Hello HELLO hello",
                "pattern": "hello",
                "replacement": "WORLD",
                "flags": "gi",
            },
            "WORLD WORLD WORLD",
        ),
        (
            {"string": "Hello World", "pattern": r"\d+", "replacement": "XXX", "flags": "g"},
            "Hello World",
        ),
    ],
)
def test_regex_replace_cases_of_dafthunk(engine, literals, expected):
    assert run_node(engine, "regex-replace", **literals).output("n") == expected
