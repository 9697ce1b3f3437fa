"""Conformance of the text nodes that search, normalize, write JSON, fill templates, and
extract or split with a pattern: Dafthunk's own cases and ours, good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.workflows import edge, node, workflow


def run_node(engine: Engine, node_type: str, /, **literals: Any) -> Result:
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


# string-index-of and string-last-index-of


@pytest.mark.parametrize(
    ("node_type", "haystack", "needle", "expected"),
    [
        ("string-index-of", "Hello World", "World", 6),
        ("string-index-of", "Hello World", "Test", -1),
        ("string-index-of", "Hello World", "", 0),
        ("string-index-of", "Hello World", "world", -1),
        ("string-last-index-of", "Hello World Hello", "Hello", 12),
        ("string-last-index-of", "Hello World", "Test", -1),
        ("string-last-index-of", "Hello World", "", 11),
        ("string-last-index-of", "Hello World", "world", -1),
        ("string-index-of", "Zoë & Zoë", "Zoë", 0),
        ("string-last-index-of", "Zoë & Zoë", "Zoë", 6),
    ],
)
def test_index_of_finds_the_first_or_last_occurrence(engine, node_type, haystack, needle, expected):
    result = run_node(engine, node_type, haystack=haystack, needle=needle)
    assert result.output("n") == expected


@pytest.mark.parametrize("node_type", ["string-index-of", "string-last-index-of"])
def test_index_of_without_a_needle_fails(engine, node_type):
    result = run_node(engine, node_type, haystack="Hello")
    assert result.error("n") == "Required input 'needle' missing"


# string-normalize


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"string": "cafe\u0301", "form": "NFC"}, "caf\u00e9"),
        ({"string": "café", "form": "NFC"}, "café"),
        ({"string": "caf\u00e9", "form": "NFD"}, "cafe\u0301"),
        ({"string": "", "form": "NFC"}, ""),
        ({"string": "Hello World", "form": "NFC"}, "Hello World"),
        ({"string": "cafe\u0301"}, "caf\u00e9"),  # NFC when no form is given, as in Dafthunk
        ({"string": "\ufb01", "form": "NFKC"}, "fi"),
    ],
)
def test_normalize_writes_the_unicode_form(engine, literals, expected):
    assert run_node(engine, "string-normalize", **literals).output("n") == expected


def test_normalize_with_an_unknown_form_fails(engine):
    result = run_node(engine, "string-normalize", string="a", form="NFX")
    assert result.error("n") == "The normalization form must be one of NFC, NFD, NFKC, NFKD"


def test_normalize_without_a_string_fails(engine):
    assert run_node(engine, "string-normalize").error("n") == "Required input 'string' missing"


# to-json


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"value": 123}, "123"),
        ({"value": True}, "true"),
        ({"value": "Hello World"}, '"Hello World"'),
        ({"value": [1, 2, 3, "test"]}, '[1,2,3,"test"]'),
        (
            {"value": {"name": "John", "age": 30, "active": True}},
            '{"name":"John","age":30,"active":true}',
        ),
        (
            {"value": {"name": "John", "age": 30}, "prettyPrint": True},
            '{\n  "name": "John",\n  "age": 30\n}',
        ),
        (
            {
                "value": {
                    "user": {
                        "profile": {"name": "John", "contacts": ["email@test.com", "phone123"]}
                    }
                }
            },
            '{"user":{"profile":{"name":"John","contacts":["email@test.com","phone123"]}}}',
        ),
        (
            {"value": {"small": 1.5e-7, "big": 1e21, "whole": 2.0}},
            '{"small":1.5e-7,"big":1e+21,"whole":2}',
        ),
        ({"value": {"a": [], "b": {}}, "prettyPrint": True}, '{\n  "a": [],\n  "b": {}\n}'),
    ],
)
def test_to_json_writes_json_as_javascript_does(engine, literals, expected):
    assert run_node(engine, "to-json", **literals).output("n", "json") == expected


def test_to_json_without_a_value_fails(engine):
    # Dafthunk's "undefined input": JSON has no undefined, so nothing given is this case.
    result = run_node(engine, "to-json")
    assert result.error("n") == "Value is required"


def test_to_json_output_feeds_a_json_input_as_the_value(engine):
    result = engine.run(
        workflow(
            node("n", "to-json", value={"a": [1, 2]}),
            node("show", "output-json"),
            edges=[edge("n.json", "show.value")],
        )
    )
    assert result.output("n", "json") == '{"a":[1,2]}'
    assert result.output("show", "displayValue") == {"a": [1, 2]}


# json-string-template


@pytest.mark.parametrize(
    ("template", "variables", "expected", "missing"),
    [
        (
            "Hello ${name}, you are ${age} years old.",
            {"name": "John", "age": "30"},
            "Hello John, you are 30 years old.",
            [],
        ),
        ("Hello World!", {"name": "John", "age": "30"}, "Hello World!", []),
        ("Hello ${name}!", {}, "Hello ${name}!", ["name"]),
        ("Hello ${name} ${surname}!", {"name": "John"}, "Hello John ${surname}!", ["surname"]),
        (
            "${n} ${ok} ${list} ${obj} ${nothing}",
            {"n": 2.5, "ok": True, "list": [1, None, "a"], "obj": {"k": 1}, "nothing": None},
            "2.5 true 1,,a [object Object] ",
            [],
        ),
    ],
)
def test_json_string_template_fills_placeholders(engine, template, variables, expected, missing):
    result = run_node(engine, "json-string-template", template=template, variables=variables)
    assert result.output("n") == expected
    assert result.output("n", "missingVariables") == missing


def test_json_string_template_of_an_empty_template_needs_no_variables(engine):
    result = run_node(engine, "json-string-template", template="")
    assert result.output("n") == ""
    assert result.output("n", "missingVariables") == []


@pytest.mark.parametrize("variables", [None, 5, "plain text"])
def test_json_string_template_needs_an_object_of_variables(engine, variables):
    result = run_node(engine, "json-string-template", template="Hi ${x}", variables=variables)
    assert result.error("n") == "Invalid or missing variables object"


# var-string-template


@pytest.mark.parametrize(
    ("literals", "expected", "missing"),
    [
        ({"template": "Hello ${var_1}!", "var_1": "John"}, "Hello John!", []),
        (
            {
                "template": "Hello ${var_1}, you are ${var_2} years old.",
                "var_1": "John",
                "var_2": "30",
            },
            "Hello John, you are 30 years old.",
            [],
        ),
        ({"template": "Hello World!", "var_1": "John"}, "Hello World!", []),
        (
            {"template": "Hello ${var_1} ${var_2}!", "var_1": "John"},
            "Hello John ${var_2}!",
            ["var_2"],
        ),
        ({"template": "", "var_1": "John"}, "", []),
        (
            {"template": "Hello ${var_1}, how are you ${var_1}?", "var_1": "John"},
            "Hello John, how are you John?",
            [],
        ),
        ({"template": "${var_1} items", "var_1": 3}, "3 items", []),
    ],
)
def test_var_string_template_fills_placeholders_from_inputs(engine, literals, expected, missing):
    result = run_node(engine, "var-string-template", **literals)
    assert result.output("n") == expected
    assert result.output("n", "missingVariables") == missing


def test_var_string_template_takes_variables_from_edges(engine):
    result = engine.run(
        workflow(
            node("who", "text-input", value="Ada"),
            node("n", "var-string-template", template="Hi ${var_1} and ${var_3}", var_3="Bob"),
            edges=[edge("who.value", "n.var_1")],
        )
    )
    assert result.output("n") == "Hi Ada and Bob"


def test_var_string_template_without_var_1_leaves_its_placeholder(engine):
    # var_1 is required as in Dafthunk's declaration, and as there the node handles its
    # absence itself.
    result = run_node(engine, "var-string-template", template="Hi ${var_1}")
    assert result.output("n") == "Hi ${var_1}"
    assert result.output("n", "missingVariables") == ["var_1"]


def test_var_string_template_without_a_template_fails(engine):
    result = run_node(engine, "var-string-template", var_1="x")
    assert result.error("n") == "Required input 'template' missing"


# regex-extract


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"string": "Hello 123 World 456", "pattern": r"\d+", "flags": "g"}, ["123", "456"]),
        (
            {"string": "Hello HELLO hello", "pattern": "hello", "flags": "gi"},
            ["Hello", "HELLO", "hello"],
        ),
        ({"string": "Hello World", "pattern": r"\d+", "flags": "g"}, []),
        ({"string": "a1b22", "pattern": r"\d+"}, ["1", "22"]),  # g implied
        ({"string": "a12b", "pattern": r"\d*"}, ["", "12", "", ""]),
    ],
)
def test_regex_extract_lists_every_match(engine, literals, expected):
    assert run_node(engine, "regex-extract", **literals).output("n", "matches") == expected


def test_regex_extract_with_an_invalid_pattern_fails(engine):
    result = run_node(engine, "regex-extract", string="Hello World", pattern="[", flags="g")
    assert result.error("n").startswith("Invalid regex")


def test_regex_extract_with_an_unsupported_flag_fails(engine):
    result = run_node(engine, "regex-extract", string="a", pattern="a", flags="x")
    assert result.error("n") == "Unsupported regex flag 'x'"


# regex-split


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"string": "Hello,World,Test", "pattern": ","}, ["Hello", "World", "Test"]),
        ({"string": "Hello   World\tTest", "pattern": r"\s+"}, ["Hello", "World", "Test"]),
        ({"string": "", "pattern": ","}, [""]),
        ({"string": "", "pattern": ""}, []),
        ({"string": "abc", "pattern": ""}, ["a", "b", "c"]),
        ({"string": "a1b2c", "pattern": r"(\d)"}, ["a", "1", "b", "2", "c"]),
        ({"string": "a,b", "pattern": "(x)?,"}, ["a", None, "b"]),
        ({"string": ",a,", "pattern": ","}, ["", "a", ""]),
        ({"string": "aXbxc", "pattern": "x", "flags": "i"}, ["a", "b", "c"]),
    ],
)
def test_regex_split_cuts_as_javascript_split_does(engine, literals, expected):
    assert run_node(engine, "regex-split", **literals).output("n") == expected


def test_regex_split_with_an_invalid_pattern_fails(engine):
    result = run_node(engine, "regex-split", string="a", pattern="(")
    assert result.error("n").startswith("Invalid regex")


def test_regex_split_without_a_string_fails(engine):
    result = run_node(engine, "regex-split", pattern=",")
    assert result.error("n") == "Required input 'string' missing"
