"""Conformance of the JSON nodes: what a user sees for good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow

ORDER = {
    "id": 7,
    "customer": {"name": "Ada", "address": {"city": "London"}},
    "items": [{"sku": 101, "price": 2.5}, {"sku": "B-2", "price": 4}],
    "paid": True,
}


def run_node(engine, node_type: str, /, **literals: Any):
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


# json-extract-string and json-extract-number


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.customer.name", "Ada"),
        ("$.customer.address.city", "London"),
        ("$.items[*].sku", "B-2"),  # the first match that is a string
        ("$..city", "London"),
        ("customer.name", "Ada"),
    ],
)
def test_extract_string_returns_the_first_string_match(engine, path, expected):
    result = run_node(engine, "json-extract-string", json=ORDER, path=path)
    assert result.output("n", "value") == expected
    assert result.output("n", "found") is True


@pytest.mark.parametrize("path", ["$.id", "$.missing", "$.items[5]"])
def test_extract_string_without_a_string_match_gives_the_default(engine, path):
    result = run_node(engine, "json-extract-string", json=ORDER, path=path)
    assert result.output("n", "value") == ""
    assert result.output("n", "found") is False
    custom = run_node(engine, "json-extract-string", json=ORDER, path=path, defaultValue="n/a")
    assert custom.output("n", "value") == "n/a"


def test_extract_string_reads_a_json_string_literal_as_json(engine):
    # SPEC §4.3: a json input given a string that parses as JSON receives the parsed value.
    result = run_node(engine, "json-extract-string", json='{"a": {"b": "deep"}}', path="$.a.b")
    assert result.output("n", "value") == "deep"


def test_extract_string_from_text_that_is_not_json_fails(engine):
    result = run_node(engine, "json-extract-string", json="hello", path="$")
    assert result.error("n") == "Input 'json' must be an object or array, got string"


def test_extract_string_with_an_invalid_path_fails(engine):
    result = run_node(engine, "json-extract-string", json=ORDER, path="$.items[")
    assert result.error("n") == (
        "Invalid JSONPath expression: unexpected end of query in '$.items['"
    )


def test_extract_string_without_a_path_fails(engine):
    result = run_node(engine, "json-extract-string", json=ORDER)
    assert result.error("n") == "Required input 'path' missing"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$.id", 7), ("$.items[0].price", 2.5), ("$.items[*].price", 2.5), ("$.items[-1].price", 4)],
)
def test_extract_number_returns_the_first_number_match(engine, path, expected):
    result = run_node(engine, "json-extract-number", json=ORDER, path=path)
    assert result.output("n", "value") == expected
    assert result.output("n", "found") is True


@pytest.mark.parametrize("path", ["$.paid", "$.customer.name", "$.nothing"])
def test_extract_number_ignores_booleans_and_strings(engine, path):
    result = run_node(engine, "json-extract-number", json=ORDER, path=path, defaultValue=-1)
    assert result.output("n", "value") == -1
    assert result.output("n", "found") is False


def test_extract_number_defaults_to_zero(engine):
    result = run_node(engine, "json-extract-number", json={"n": "5"}, path="$.n")
    assert result.output("n", "value") == 0


def test_extract_number_from_a_number_fails(engine):
    result = run_node(engine, "json-extract-number", json=5, path="$")
    assert result.error("n") == "Input 'json' must be an object or array, got number"


def test_extract_number_with_an_invalid_path_fails(engine):
    result = run_node(engine, "json-extract-number", json=ORDER, path="$.a b")
    assert result.error("n").startswith("Invalid JSONPath expression: ")


# json-set


@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        ({}, "$.a.b[2].c", {"a": {"b": [None, None, {"c": "v"}]}}),
        ({"a": 1, "b": 2}, "$.a", {"a": "v", "b": 2}),
        ({"list": [1, 2, 3]}, "$.list[-1]", {"list": [1, 2, "v"]}),
        ({"list": [1]}, "$.list[3]", {"list": [1, None, None, "v"]}),
        ({"a": None}, "$.a.b", {"a": {"b": "v"}}),
        ({}, "$['odd key'][\"it's\"]", {"odd key": {"it's": "v"}}),
        ([], "$[0].x", [{"x": "v"}]),
        ({}, "a.b", {"a": {"b": "v"}}),
        ({"user-name": "x"}, "$.user-name", {"user-name": "v"}),
        ({"items": [1, 2]}, "items.0", {"items": ["v", 2]}),
    ],
)
def test_json_set_writes_the_value_creating_what_is_missing(engine, document, path, expected):
    result = run_node(engine, "json-set", json=document, path=path, value="v")
    assert result.output("n") == expected
    assert result.output("n", "success") is True


def test_json_set_writes_structured_values(engine):
    result = run_node(engine, "json-set", json={"a": {"x": 1}}, path="$.a.y", value='{"z": [1]}')
    assert result.output("n") == {"a": {"x": 1, "y": {"z": [1]}}}


def test_json_set_leaves_the_upstream_document_unchanged(engine):
    result = engine.run(
        workflow(
            node("doc", "json-input", json={"a": {"b": 1}}),
            node("n", "json-set", path="$.a.b", value=2),
            node("m", "json-set", path="$.a.c", value=3),
            edges=[edge("doc.json", "n.json"), edge("doc.json", "m.json")],
        )
    )
    assert result.output("doc", "json") == {"a": {"b": 1}}
    assert result.output("n") == {"a": {"b": 2}}
    assert result.output("m") == {"a": {"b": 1, "c": 3}}


@pytest.mark.parametrize(
    ("document", "path"),
    [({"a": 5}, "$.a.b"), ({"a": {}}, "$.a[0]"), ([1], "$.x"), ({"a": [1]}, "$.a[-2]")],
)
def test_json_set_through_the_wrong_kind_of_value_leaves_the_document(engine, document, path):
    # As in Dafthunk: not an error, `success` says the value was not written.
    result = run_node(engine, "json-set", json=document, path=path, value=1)
    assert result.output("n") == document
    assert result.output("n", "success") is False


@pytest.mark.parametrize("path", ["$.items[*]", "$..a", "$.a[", "$.a.", "$[1:2]", "$"])
def test_json_set_with_a_path_it_cannot_write_leaves_the_document(engine, path):
    result = run_node(engine, "json-set", json={"a": 1}, path=path, value=1)
    assert result.output("n") == {"a": 1}
    assert result.output("n", "success") is False
    assert result.output("n", "pathExists") is False


def test_json_set_reports_whether_the_path_existed(engine):
    existing = run_node(engine, "json-set", json={"a": {"b": None}}, path="$.a.b", value=1)
    assert existing.output("n", "pathExists") is True
    new = run_node(engine, "json-set", json={"a": {}}, path="$.a.b", value=1)
    assert new.output("n", "pathExists") is False


def test_json_set_without_a_value_writes_null(engine):
    result = run_node(engine, "json-set", json={"a": 1}, path="$.a")
    assert result.output("n") == {"a": None}


def test_json_set_without_json_starts_from_an_empty_object(engine):
    result = run_node(engine, "json-set", path="$.a.b", value=2)
    assert result.output("n") == {"a": {"b": 2}}


def test_json_set_without_a_path_leaves_the_document(engine):
    result = run_node(engine, "json-set", json={"a": 1}, value=2)
    assert result.output("n") == {"a": 1}
    assert result.output("n", "success") is False


# json-merge

FIRST = {"name": "Ada", "settings": {"theme": "dark", "tags": [1, 2]}}
SECOND = {"settings": {"font": "mono", "tags": [3]}, "age": 36}


def test_json_merge_merges_nested_objects_by_default(engine):
    result = run_node(engine, "json-merge", objects=[FIRST, SECOND])
    assert result.output("n") == {
        "name": "Ada",
        "settings": {"theme": "dark", "tags": [3], "font": "mono"},
        "age": 36,
    }


def test_json_merge_shallow_lets_later_objects_replace_whole_values(engine):
    result = run_node(engine, "json-merge", objects=[FIRST, SECOND], deep=False)
    assert result.output("n") == {
        "name": "Ada",
        "settings": {"font": "mono", "tags": [3]},
        "age": 36,
    }


def test_json_merge_collects_objects_from_edges_in_edge_order(engine):
    result = engine.run(
        workflow(
            node("x", "json-input", json={"a": 1, "b": 1}),
            node("y", "json-input", json={"b": 2}),
            node("n", "json-merge"),
            edges=[edge("x.json", "n.objects"), edge("y.json", "n.objects")],
        )
    )
    assert result.output("n") == {"a": 1, "b": 2}


def test_json_merge_leaves_its_inputs_unchanged(engine):
    result = run_node(engine, "json-merge", objects=[FIRST, SECOND])
    assert result.node("n")["inputs"]["objects"] == [FIRST, SECOND]


def test_json_merge_leaves_out_items_that_are_not_objects(engine):
    result = run_node(engine, "json-merge", objects=[{"a": 1}, 5, "text", [1], {"b": 2}])
    assert result.output("n") == {"a": 1, "b": 2}
    assert result.output("n", "count") == 2
    assert result.output("n", "success") is True


def test_json_merge_without_objects_gives_an_empty_object(engine):
    result = run_node(engine, "json-merge")
    assert result.output("n") == {}
    assert result.output("n", "count") == 0
    assert result.output("n", "success") is False


# json-keys and json-array-length


def test_json_keys_lists_the_keys_in_order(engine):
    result = run_node(engine, "json-keys", json={"b": 1, "a": 2, "c": {"d": 3}})
    assert result.output("n", "keys") == ["b", "a", "c"]


@pytest.mark.parametrize("value", [[1, 2], "text", 5])
def test_json_keys_of_anything_but_an_object_are_none(engine, value):
    result = run_node(engine, "json-keys", json=value)
    assert result.output("n", "keys") == []
    assert result.output("n", "isValid") is True


def test_json_keys_reads_the_object_at_a_path(engine):
    result = run_node(engine, "json-keys", json=ORDER, path="customer")
    assert result.output("n", "keys") == ["name", "address"]
    assert result.output("n", "count") == 2


def test_json_keys_without_json_are_none_and_invalid(engine):
    result = run_node(engine, "json-keys")
    assert result.output("n", "keys") == []
    assert result.output("n", "isValid") is False


@pytest.mark.parametrize(("array", "length"), [([1, 2, 3], 3), ([], 0), ("[[1, 2], 3]", 2)])
def test_json_array_length_counts_the_items(engine, array, length):
    assert run_node(engine, "json-array-length", array=array).output("n", "length") == length


@pytest.mark.parametrize("value", [{"a": 1}, "text", 3, None])
def test_json_array_length_of_anything_but_an_array_is_zero(engine, value):
    result = run_node(engine, "json-array-length", array=value)
    assert result.output("n", "length") == 0
    assert result.output("n", "isArray") is False


# json-agg


def test_json_agg_collects_values_from_edges_flattening_lists(engine):
    result = engine.run(
        workflow(
            node("one", "number-input", value=1),
            node("many", "json-input", json=["two", {"three": 3}]),
            node("n", "json-agg"),
            edges=[edge("one.value", "n.values"), edge("many.json", "n.values")],
        )
    )
    assert result.output("n") == [1, "two", {"three": 3}]


def test_json_agg_of_a_literal_list_keeps_it(engine):
    assert run_node(engine, "json-agg", values=[1, "a", None, True]).output("n") == [1, "a", True]


def test_json_agg_without_values_is_empty(engine):
    assert run_node(engine, "json-agg").output("n") == []
