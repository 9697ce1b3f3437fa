"""Conformance of the CSV nodes: parsing, writing, one column, filtering rows; Dafthunk's
own cases and ours, good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.workflows import edge, node, workflow


def run_node(engine: Engine, node_type: str, /, **literals: Any) -> Result:
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


def table(fields: list[str], rows: list[Any], name: str = "test") -> dict[str, Any]:
    return {
        "schema": {"name": name, "fields": [{"name": f, "type": "string"} for f in fields]},
        "data": rows,
    }


USERS = {
    "schema": {
        "name": "users",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "age", "type": "integer"},
            {"name": "city", "type": "string"},
            {"name": "score", "type": "number"},
        ],
    },
    "data": [
        {"name": "Alice", "age": 30, "city": "New York", "score": 95.5},
        {"name": "Bob", "age": 25, "city": "Boston", "score": 87.3},
        {"name": "Charlie", "age": 35, "city": "New York", "score": 92.1},
        {"name": "Diana", "age": 28, "city": "Chicago", "score": 88.7},
    ],
}
ALICE, BOB, CHARLIE, DIANA = USERS["data"]


# csv-parse


def test_parse_reads_a_header_and_infers_types(engine):
    result = run_node(engine, "csv-parse", csv="name,age,active\nAlice,30,true\nBob,25,false")
    assert result.output("n", "table") == {
        "schema": {
            "name": "csv_data",
            "fields": [
                {"name": "name", "type": "string"},
                {"name": "age", "type": "integer"},
                {"name": "active", "type": "boolean"},
            ],
        },
        "data": [
            {"name": "Alice", "age": 30, "active": True},
            {"name": "Bob", "age": 25, "active": False},
        ],
    }
    assert result.output("n", "rowCount") == 2


def test_parse_without_a_header_names_columns_by_position(engine):
    result = run_node(engine, "csv-parse", csv="Alice,30\nBob,25", hasHeader=False)
    assert result.output("n", "table") == {
        "schema": {
            "name": "csv_data",
            "fields": [
                {"name": "column_0", "type": "string"},
                {"name": "column_1", "type": "integer"},
            ],
        },
        "data": [{"column_0": "Alice", "column_1": 30}, {"column_0": "Bob", "column_1": 25}],
    }


@pytest.mark.parametrize(
    ("literals", "data"),
    [
        (
            {"csv": "name;age\nAlice;30\nBob;25", "delimiter": ";"},
            [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}],
        ),
        (
            {"csv": 'name,location\n"Smith, John","New York, NY"\n"Doe, Jane",Boston'},
            [
                {"name": "Smith, John", "location": "New York, NY"},
                {"name": "Doe, Jane", "location": "Boston"},
            ],
        ),
        (
            {"csv": 'text\n"He said ""Hello"""\n"Normal text"'},
            [{"text": 'He said "Hello"'}, {"text": "Normal text"}],
        ),
        (
            {"csv": "name,age,city\nAlice,30,\n,25,Boston"},
            [{"name": "Alice", "age": 30, "city": ""}, {"name": "", "age": 25, "city": "Boston"}],
        ),
        (
            {"csv": "int,float\n42,3.14\n100,2.5"},
            [{"int": 42, "float": 3.14}, {"int": 100, "float": 2.5}],
        ),
        # Our own: short rows, blank lines, spaces, JavaScript's numbers, a tab delimiter.
        (
            {"csv": "a,b,c\n1\n\n  \n x , TRUE ,0x10"},
            [{"a": 1, "b": "", "c": ""}, {"a": "x", "b": True, "c": 16}],
        ),
        (
            {"csv": "n\n1e3\n-2.50\nInfinity\n12abc"},
            [{"n": 1000}, {"n": -2.5}, {"n": "Infinity"}, {"n": "12abc"}],
        ),
        ({"csv": "a\tb\n1\t2", "delimiter": "\t"}, [{"a": 1, "b": 2}]),
        # integers beyond a double, which JavaScript's Number() reads as Infinity: text, as
        # "Infinity" is (the second has more digits than Python's int() reads)
        (
            {"csv": "n\n" + "1" * 400 + "\n" + "2" * 5000},
            [{"n": "1" * 400}, {"n": "2" * 5000}],
        ),
    ],
)
def test_parse_reads_fields_as_dafthunk_does(engine, literals, data):
    assert run_node(engine, "csv-parse", **literals).output("n", "table")["data"] == data


def test_parse_types_fields_from_the_first_row(engine):
    result = run_node(engine, "csv-parse", csv="int,float,when,what\n42,3.14,2023-12-25,x\n1,2,3,4")
    assert result.output("n", "table")["schema"]["fields"] == [
        {"name": "int", "type": "integer"},
        {"name": "float", "type": "number"},
        {"name": "when", "type": "datetime"},
        {"name": "what", "type": "string"},
    ]


def test_parse_reads_crlf_line_endings(engine):
    result = run_node(engine, "csv-parse", csv="name,age\r\nAlice,30\r\nBob,25")
    assert result.output("n", "rowCount") == 2
    assert result.output("n", "table")["data"][1] == {"name": "Bob", "age": 25}


def test_parse_of_a_header_alone_has_no_rows(engine):
    result = run_node(engine, "csv-parse", csv="a,b")
    assert result.output("n", "table")["data"] == []
    assert result.output("n", "rowCount") == 0


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({}, "Missing required input: csv"),
        ({"csv": 123}, "Invalid input type for csv: expected string, got number"),
        ({"csv": ""}, "No valid rows found in CSV"),
        ({"csv": " \n \n"}, "No valid rows found in CSV"),
        ({"csv": "a,b", "delimiter": "ab"}, "Delimiter must be a single character string"),
        ({"csv": "a,b", "delimiter": ""}, "Delimiter must be a single character string"),
    ],
)
def test_parse_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "csv-parse", **literals).error("n") == message


# csv-stringify


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        (
            {
                "table": {
                    "schema": {
                        "name": "t",
                        "fields": [{"name": "name"}, {"name": "age"}, {"name": "active"}],
                    },
                    "data": [
                        {"name": "Alice", "age": 30, "active": True},
                        {"name": "Bob", "age": 25, "active": False},
                    ],
                }
            },
            "name,age,active\nAlice,30,true\nBob,25,false",
        ),
        (
            {
                "table": table(
                    ["name", "age"], [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}]
                ),
                "includeHeader": False,
            },
            "Alice,30\nBob,25",
        ),
        (
            {"table": table(["name", "age"], [{"name": "Alice", "age": 30}]), "delimiter": ";"},
            "name;age\nAlice;30",
        ),
        (
            {
                "table": table(
                    ["name", "location"],
                    [
                        {"name": "Smith, John", "location": "New York, NY"},
                        {"name": "Doe, Jane", "location": "Boston"},
                    ],
                )
            },
            'name,location\n"Smith, John","New York, NY"\n"Doe, Jane",Boston',
        ),
        (
            {"table": table(["text"], [{"text": 'He said "Hello"'}, {"text": "Normal text"}])},
            'text\n"He said ""Hello"""\nNormal text',
        ),
        (
            {
                "table": table(
                    ["name", "age", "city"],
                    [
                        {"name": "Alice", "age": 30, "city": ""},
                        {"name": "", "age": 25, "city": "Boston"},
                    ],
                )
            },
            "name,age,city\nAlice,30,\n,25,Boston",
        ),
        (
            {"table": table(["name", "value1", "value2"], [{"name": "Alice", "value1": None}])},
            "name,value1,value2\nAlice,,",
        ),
        (
            {
                "table": table(
                    ["int", "float"], [{"int": 42, "float": 3.14}, {"int": 100, "float": 2.5}]
                )
            },
            "int,float\n42,3.14\n100,2.5",
        ),
        (
            {"table": table(["name", "meta"], [{"name": "Alice", "meta": {"foo": "bar"}}])},
            'name,meta\nAlice,"{""foo"":""bar""}"',
        ),
        ({"table": table(["text"], [{"text": "Line 1\nLine 2"}])}, 'text\n"Line 1\nLine 2"'),
        ({"table": table(["name", "age"], [])}, "name,age"),
        ({"table": table(["list"], [{"list": [1, "a"]}, "not a row"])}, 'list\n"[1,""a""]"\n'),
    ],
)
def test_stringify_writes_csv_as_dafthunk_does(engine, literals, expected):
    assert run_node(engine, "csv-stringify", **literals).output("n", "csv") == expected


def test_stringify_counts_the_rows(engine):
    result = run_node(engine, "csv-stringify", table=table(["a"], [{"a": 1}, {"a": 2}]))
    assert result.output("n", "rowCount") == 2


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({}, "Missing required input: table"),
        ({"table": "not a table"}, "Invalid input type for table: expected Table object"),
        ({"table": [1, 2]}, "Invalid input type for table: expected Table object"),
        (
            {"table": table(["name"], []), "delimiter": "ab"},
            "Delimiter must be a single character string",
        ),
        (
            {"table": {"name": "test", "data": []}},
            "Invalid table structure: missing or invalid 'schema.fields' array",
        ),
        (
            {"table": {"schema": {"name": "test", "fields": []}}},
            "Invalid table structure: missing or invalid 'data' array",
        ),
    ],
)
def test_stringify_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "csv-stringify", **literals).error("n") == message


def test_parse_then_stringify_gives_the_text_back(engine):
    text = 'name,quote\nAda,"said ""hi"", left"\nBob,plain'
    result = engine.run(
        workflow(
            node("parse", "csv-parse", csv=text),
            node("n", "csv-stringify"),
            edges=[edge("parse.table", "n.table")],
        )
    )
    assert result.output("n", "csv") == text


# csv-extract-column


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("name", ["Alice", "Bob", "Charlie", "Diana"]),
        ("age", [30, 25, 35, 28]),
        ("score", [95.5, 87.3, 92.1, 88.7]),
        ("city", ["New York", "Boston", "New York", "Chicago"]),
    ],
)
def test_extract_column_lists_the_values_in_row_order(engine, column, values):
    result = run_node(engine, "csv-extract-column", table=USERS, column=column)
    assert result.output("n", "values") == values
    assert result.output("n", "count") == 4


@pytest.mark.parametrize(
    ("tbl", "column", "values"),
    [
        (table(["name"], []), "name", []),
        (
            table(
                ["name", "value"],
                [
                    {"name": "Alice", "value": "A"},
                    {"name": "Bob", "value": None},
                    {"name": "Charlie"},
                ],
            ),
            "value",
            ["A", None, None],
        ),
        (
            table(["active"], [{"active": True}, {"active": False}, {"active": True}]),
            "active",
            [True, False, True],
        ),
        (
            table(["meta"], [{"meta": {"foo": "bar"}}, {"meta": {"baz": 123}}]),
            "meta",
            [{"foo": "bar"}, {"baz": 123}],
        ),
        (table(["name"], [{"name": "Alice"}]), "name", ["Alice"]),
    ],
)
def test_extract_column_cases_of_dafthunk(engine, tbl, column, values):
    result = run_node(engine, "csv-extract-column", table=tbl, column=column)
    assert result.output("n", "values") == values
    assert result.output("n", "count") == len(values)


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({"column": "name"}, "Missing required input: table"),
        (
            {"table": "not a table", "column": "name"},
            "Invalid input type for table: expected Table object",
        ),
        ({"table": USERS}, "Missing or invalid required input: column"),
        ({"table": USERS, "column": ""}, "Missing or invalid required input: column"),
        ({"table": USERS, "column": 5}, "Missing or invalid required input: column"),
        (
            {"table": USERS, "column": "nonexistent"},
            "Column 'nonexistent' not found in table. Available columns: name, age, city, score",
        ),
        (
            {"table": {"name": "test", "data": []}, "column": "name"},
            "Invalid table structure: missing or invalid 'schema.fields' array",
        ),
        (
            {"table": {"schema": {"name": "test", "fields": [{"name": "name"}]}}, "column": "name"},
            "Invalid table structure: missing or invalid 'data' array",
        ),
    ],
)
def test_extract_column_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "csv-extract-column", **literals).error("n") == message


# csv-filter-rows


@pytest.mark.parametrize(
    ("column", "operator", "value", "rows"),
    [
        ("city", "equals", "New York", [ALICE, CHARLIE]),
        ("city", "notEquals", "New York", [BOB, DIANA]),
        ("name", "contains", "li", [ALICE, CHARLIE]),
        ("name", "notContains", "li", [BOB, DIANA]),
        ("name", "startsWith", "A", [ALICE]),
        ("name", "endsWith", "e", [ALICE, CHARLIE]),
        ("age", "greaterThan", "28", [ALICE, CHARLIE]),
        ("age", "lessThan", "30", [BOB, DIANA]),
        ("age", "greaterThanOrEqual", "30", [ALICE, CHARLIE]),
        ("age", "lessThanOrEqual", "28", [BOB, DIANA]),
        ("score", "greaterThan", "90", [ALICE, CHARLIE]),
        ("name", "equals", "Nonexistent", []),
        # Our own: numbers compared as text, text never compared as a number.
        ("age", "equals", "30", [ALICE]),
        ("name", "greaterThan", "1", []),
        ("age", "greaterThan", "many", []),
    ],
)
def test_filter_rows_keeps_the_matching_rows(engine, column, operator, value, rows):
    result = run_node(
        engine, "csv-filter-rows", table=USERS, column=column, operator=operator, value=value
    )
    assert result.output("n", "table") == {"schema": USERS["schema"], "data": rows}
    assert result.output("n", "matchCount") == len(rows)


def test_filter_rows_reads_a_null_cell_as_empty_text(engine):
    nulls = table(["value"], [{"value": None}, {}, {"value": ""}, {"value": "x"}])
    result = run_node(
        engine, "csv-filter-rows", table=nulls, column="value", operator="equals", value=""
    )
    assert result.output("n", "matchCount") == 3


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        (
            {"column": "name", "operator": "equals", "value": "Alice"},
            "Missing required input: table",
        ),
        (
            {"table": USERS, "operator": "equals", "value": "Alice"},
            "Missing or invalid required input: column",
        ),
        (
            {"table": USERS, "column": "name", "value": "Alice"},
            "Missing or invalid required input: operator",
        ),
        ({"table": USERS, "column": "name", "operator": "equals"}, "Missing required input: value"),
        (
            {"table": USERS, "column": "name", "operator": "equals", "value": 5},
            "Invalid input type for value: expected string, got number",
        ),
        (
            {"table": USERS, "column": "name", "operator": "invalidOperator", "value": "Alice"},
            "Invalid operator 'invalidOperator'. Valid operators: equals, notEquals, contains, "
            "notContains, startsWith, endsWith, greaterThan, lessThan, greaterThanOrEqual, "
            "lessThanOrEqual",
        ),
        (
            {"table": USERS, "column": "nonexistent", "operator": "equals", "value": "Alice"},
            "Column 'nonexistent' not found in table. Available columns: name, age, city, score",
        ),
        (
            {"table": {"name": "test"}, "column": "name", "operator": "equals", "value": "Alice"},
            "Invalid table structure: missing or invalid 'schema.fields' array",
        ),
    ],
)
def test_filter_rows_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "csv-filter-rows", **literals).error("n") == message


def test_a_parsed_table_is_filtered_then_a_column_taken(engine):
    result = engine.run(
        workflow(
            node("parse", "csv-parse", csv="name,age\nAda,36\nBob,17\nCy,52"),
            node(
                "adults", "csv-filter-rows", column="age", operator="greaterThanOrEqual", value="18"
            ),
            node("n", "csv-extract-column", column="name"),
            edges=[edge("parse.table", "adults.table"), edge("adults.table", "n.table")],
        )
    )
    assert result.output("n", "values") == ["Ada", "Cy"]
