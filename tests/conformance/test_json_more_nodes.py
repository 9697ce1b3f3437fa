"""Conformance of the JSON nodes beyond Dafthunk's own cases: paths, edge cases, messages."""

from __future__ import annotations

import sys

import pytest

from tests.conformance.ported import ABSENT, cases, check
from tests.support.workflows import edge, node, workflow

LARGEST = int(sys.float_info.max)  # the largest integer a double holds

OWN_CASES = [
    ("json-extract-all", "recursive descent", {"json": {"a": {"b": 1}, "c": {"b": 2}},
                                               "path": "$..b"}, {"values": [1, 2], "count": 2}),
    ("json-extract-all", "inside a string", {"json": "text", "path": "$.a"},
     {"values": [], "isValid": True}),
    ("json-insert", "negative index refused", {"json": {"a": [1, 2]}, "path": "$.a[-1]",
                                               "value": 3},
     {"result": {"a": [1, 2]}, "success": False, "inserted": False}),
    ("json-insert", "pads with null", {"json": {}, "path": "$.a[2]", "value": 1},
     {"result": {"a": [None, None, 1]}, "success": True, "inserted": True}),
    ("json-replace", "negative index", {"json": [1, 2, 3], "path": "$[-1]", "value": 9},
     {"result": [1, 2, 9], "replaced": True}),
    ("json-replace", "through a number", {"json": {"a": 5}, "path": "$.a.b", "value": 1},
     {"result": {"a": 5}, "success": False, "replaced": False}),
    ("json-remove", "through a number", {"json": {"a": 5}, "path": "$.a.b"},
     {"result": {"a": 5}, "success": False, "removed": False}),
    ("json-remove", "key of an array", {"json": {"a": [1]}, "path": "$.a.x"},
     {"result": {"a": [1]}, "success": False}),
    ("json-remove", "index as a key", {"json": {"a": [1, 2]}, "path": "a.0"},
     {"result": {"a": [2]}, "removed": True}),
    ("json-remove", "wildcard", {"json": {"a": [1]}, "path": "$.a[*]"},
     {"result": {"a": [1]}, "success": False}),
    ("json-remove", "no path", {"json": {"a": 1}}, {"result": {"a": 1}, "success": False}),
    ("json-keys", "path without root", {"json": {"a": [{"b": 1}]}, "path": "a[0]"},
     {"keys": ["b"], "count": 1}),
    ("json-keys", "a path it cannot follow", {"json": {"a": {"b": 1}}, "path": "$..a"},
     {"keys": [], "isValid": True}),
    ("json-contains", "true is not 1", {"json": [True], "value": 1}, {"contains": False}),
    ("json-contains", "1 is 1.0", {"json": [1], "value": 1.0}, {"contains": True}),
    ("json-contains", "an equal object", {"json": {"a": [1, {"b": 2}]},
                                          "value": {"a": [1, {"b": 2}]}}, {"contains": True}),
    ("json-contains", "an array is not an object", {"json": [[]], "value": {}},
     {"contains": False}),
    ("json-contains-path", "index from the end", {"json": {"a": [1, 2]}, "path": "$.a[-1]"},
     {"containsPath": True}),
    ("json-contains-path", "through null", {"json": {"a": None}, "path": "$.a.b"},
     {"containsPath": False}),
    ("json-contains-path", "root", {"json": {"a": 1}, "path": "$"}, {"containsPath": True}),
    ("json-contains-path", "another script's digit is a key", {"json": {"a": [1, 2]},
                                                              "path": "$.a.\u0661"},
     {"containsPath": False}),
    ("json-contains-path", "an index past what int() reads", {"json": {"a": [1]},
                                                             "path": f"$.a[{'1' * 5000}]"},
     {"containsPath": False}),
    ("json-contains-path", "a key of digits past what int() reads", {"json": {"a": [1]},
                                                                    "path": "a." + "1" * 5000},
     {"containsPath": False}),
    ("json-typeof", "json text is read as json", {"value": "[1]"}, {"type": "array"}),
    ("json-valid", "null is valid, with no parsed value", {"value": "null"},
     {"isValid": True, "parsed": ABSENT, "error": ABSENT}),
    ("json-valid", "the reason", {"value": "{"},
     {"isValid": False,
      "error": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}),
    ("json-valid", "NaN is not JSON", {"value": "[NaN]"}, {"isValid": False}),
    ("json-valid", "a number beyond a double", {"value": "[1e400]"},
     {"isValid": False,
      "error": "the number 1e400 is beyond the range of a number (at most about 1.8e308)"}),
    ("json-valid", "an integer beyond a double", {"value": "[1" + "0" * 400 + "]"},
     {"isValid": False,
      "error": "the number 1" + "0" * 29 + "\u2026 (401 digits) is beyond the range of a number "
               "(at most about 1.8e308)"}),
    ("json-valid", "an integer past what int() reads", {"value": "-" + "9" * 5000},
     {"isValid": False,
      "error": "the number -" + "9" * 29 + "\u2026 (5000 digits) is beyond the range of a "
               "number (at most about 1.8e308)"}),
    ("json-valid", "the largest integer a double holds", {"value": f"[{LARGEST}]"},
     {"isValid": True, "parsed": [LARGEST]}),
    # a json port reads JSON text; text that is not JSON, such as a number beyond a double,
    # stays text
    ("json-input", "text holding 1e400 stays text", {"json": "[1e400]"}, {"json": "[1e400]"}),
    ("json-input", "text holding an integer beyond a double stays text",
     {"json": "[1" + "0" * 400 + "]"}, {"json": "[1" + "0" * 400 + "]"}),
    ("json-typeof", "an integer beyond a double in text is text", {"value": "-" + "1" * 400},
     {"type": "string"}),
    ("json-flatten", "top-level array with arrays", {"value": [{"a": 1}, [2, 3]],
                                                     "includeArrays": True},
     {"result": {"[0].a": 1, "[1][0]": 2, "[1][1]": 3}, "keyCount": 3}),
    ("json-flatten", "empty containers vanish", {"value": {"a": {}, "b": [], "c": 1},
                                                 "includeArrays": True},
     {"result": {"c": 1}, "keyCount": 1}),
    ("json-flatten", "an array is counted by its items", {"value": [1, 2]},
     {"result": [1, 2], "keyCount": 2}),
    ("json-strip-nulls", "shallow", {"value": {"a": [None, {"b": None}], "c": None},
                                     "recursive": False},
     {"result": {"a": [None, {"b": None}]}, "nullsRemoved": 1}),
    ("json-template", "variables by index", {"template": ["${0} and ${1}"],
                                             "variables": ["x", {"k": 1}]},
     {"result": ["x and [object Object]"]}),
    ("json-template", "numbers as JavaScript prints them",
     {"template": {"a": "${n}", "b": "${m}", "c": "${l}"},
      "variables": {"n": 2.0, "m": 1e21, "l": [1, None, "x"]}},
     {"result": {"a": "2", "b": "1e+21", "c": "1,,x"}}),
    ("json-template", "keys are left alone", {"template": {"${a}": "${a}"},
                                              "variables": {"a": "x"}},
     {"result": {"${a}": "x"}}),
    ("json-object-agg", "keys made text", {"pairs": [[1, 2], {"key": True, "value": None}]},
     {"result": {"1": 2, "true": None}}),
    ("json-object-values", "nested values are not flattened", {"object": {"a": [1, [2]]}},
     {"values": [[1, [2]]], "count": 1, "isObject": True}),
    ("json-object-keys", "a count", {"object": {"a": 1, "b": 2}},
     {"keys": ["a", "b"], "count": 2, "isObject": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    [
        param
        for node_type in dict.fromkeys(row[0] for row in OWN_CASES)
        for param in cases(node_type, [row[1:] for row in OWN_CASES if row[0] == node_type])
    ],
)
def test_json_node_case(engine, case):
    check(engine, case)


@pytest.mark.parametrize(
    ("node_type", "inputs", "message"),
    [
        ("json-extract-all", {"json": {"a": 1}, "path": "$.a["},
         "Invalid JSONPath expression: unexpected end of query in '$.a['"),
        ("json-extract-boolean", {"path": "$.a"},
         "Input 'json' missing: give an object or array"),
        ("json-extract-boolean", {"json": {"a": True}},
         "Input 'path' missing: give a JSONPath query such as $.name"),
        ("json-extract-object", {"json": {"a": {}}, "path": " "},
         "Input 'path' is empty: give a JSONPath query such as $.name"),
        ("json-extract-string", {"json": 5, "path": "$"},
         "Input 'json' must be an object or array, got number"),
        ("json-object-agg", {"pairs": [{"key": "a", "value": 1}, 5]},
         "Invalid pair format at position 1: expected an object with 'key' and 'value' or an "
         "array [key, value]"),
        ("json-template", {"template": 3, "variables": {}},
         "Input 'template' must be an object or array, got number"),
        ("json-template", {"template": {}, "variables": "text"},
         "Input 'variables' must be an object, got string"),
        ("json-template", {"variables": {}}, "Required input 'template' missing"),
    ],
)  # fmt: skip
def test_json_node_failure_says_why(engine, node_type, inputs, message):
    result = engine.run(workflow(node("n", node_type, **inputs)))
    assert result.error("n") == message


def test_a_lenient_input_takes_a_value_of_another_type_from_an_edge_and_an_override(engine):
    # Edges are still typed (number -> string is a mismatch); an `any` output may carry one.
    flow = workflow(
        node("number", "number-input", value=7),
        node("shown", "output-any"),
        node("edge", "json-valid"),
        node("override", "json-valid", value="{}"),
        edges=[edge("number.value", "shown.value"), edge("shown.displayValue", "edge.value")],
    )
    result = engine.run(flow, inputs={"override": {"value": [1]}})
    assert result.output("edge", "error") == "Input must be a string, got number"
    assert result.output("override", "error") == "Input must be a string, got array"


def test_json_agg_and_json_object_agg_gather_edges(engine):
    result = engine.run(
        workflow(
            node("a", "json-input", json={"key": "x", "value": 1}),
            node("b", "json-input", json={"key": "y", "value": [2]}),
            node("pairs", "json-object-agg"),
            node("all", "json-agg"),
            edges=[
                edge("a.json", "pairs.pairs"),
                edge("b.json", "pairs.pairs"),
                edge("a.json", "all.values"),
                edge("b.json", "all.values"),
            ],
        )
    )
    assert result.output("pairs") == {"x": 1, "y": [2]}
    assert result.output("all") == [{"key": "x", "value": 1}, {"key": "y", "value": [2]}]
