"""Conformance of json-schema-compose and json-schema-extract, whose ports are the fields of
their `schema` literal: Dafthunk's own cases, then ours."""

from __future__ import annotations

import pytest

from lambdas.nodes import default_registry
from statemachine.errors import WorkflowValidationError
from statemachine.validation import validate_workflow
from tests.conformance.ported import ABSENT, ERROR, cases, check
from tests.support.workflows import edge, node, workflow

PERSON = {
    "name": "person",
    "fields": [
        {"name": "name", "type": "string", "required": True},
        {"name": "age", "type": "integer"},
        {"name": "active", "type": "boolean"},
    ],
}

COMPOSE_CASES = [
    ("all fields", {"schema": PERSON, "name": "Alice", "age": 30, "active": True},
     {"record": {"name": "Alice", "age": 30, "active": True}}),
    ("missing fields are null", {"schema": PERSON, "name": "Bob"},
     {"record": {"name": "Bob", "age": None, "active": None}}),
    # Dafthunk's case gives `name` too: without a schema there is no such port, and a
    # literal for a port a node does not have is refused by validation (SPEC §1).
    ("no schema", {}, ERROR),
    ("schema not an object", {"schema": "not-an-object"}, ERROR),
]  # fmt: skip

EXTRACT_CASES = [
    ("all fields", {"schema": PERSON, "record": {"name": "Alice", "age": 30, "active": True}},
     {"name": "Alice", "age": 30, "active": True}),
    ("missing fields", {"schema": PERSON, "record": {"name": "Bob"}},
     {"name": "Bob", "age": ABSENT, "active": ABSENT}),
    ("extra record fields", {"schema": PERSON, "record": {"name": "Carol", "age": 25,
                                                          "active": False, "email": "c@x.com"}},
     {"name": "Carol", "email": ABSENT}),
    ("no schema", {"record": {"name": "X"}}, ERROR),
    ("no record", {"schema": PERSON}, ERROR),
    ("record an array", {"schema": PERSON, "record": [1, 2, 3]}, ERROR),
    ("schema not an object", {"schema": "not-an-object", "record": {"name": "X"}}, ERROR),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    cases("json-schema-compose", COMPOSE_CASES) + cases("json-schema-extract", EXTRACT_CASES),
)
def test_dafthunk_schema_case(engine, case):
    check(engine, case)


def test_schema_errors_say_what_is_missing(engine):
    result = engine.run(
        workflow(
            node("a", "json-schema-compose", schema="not-an-object"),
            node("b", "json-schema-extract", schema=PERSON),
        )
    )
    assert result.error("a") == "A schema must be selected."
    assert result.error("b") == "A JSON object is required as the record input."


def test_extracted_fields_feed_other_nodes_through_edges(engine):
    result = engine.run(
        workflow(
            node("doc", "json-input", json={"name": "Ada", "age": 36, "active": True}),
            node("split", "json-schema-extract", schema=PERSON),
            node("next", "addition", b=1),
            node("join", "json-schema-compose", schema=PERSON, active=False),
            edges=[
                edge("doc.json", "split.record"),
                edge("split.age", "next.a"),
                edge("split.name", "join.name"),
                edge("next.result", "join.age"),
            ],
        )
    )
    assert result.output("next") == 37
    assert result.output("join", "record") == {"name": "Ada", "age": 37, "active": False}


def test_a_schema_given_as_json_text_is_read_as_the_schema(engine):
    text = '{"name": "p", "fields": [{"name": "x", "type": "number"}]}'
    result = engine.run(workflow(node("n", "json-schema-compose", schema=text, x=2)))
    assert result.output("n", "record") == {"x": 2}


def test_a_field_value_of_the_wrong_type_fails_the_node(engine):
    result = engine.run(workflow(node("n", "json-schema-extract", schema=PERSON,
                                      record={"age": "old"})))  # fmt: skip
    assert result.error("n") == "Output 'age' must be a number, got string"


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (
            workflow(
                node("split", "json-schema-extract", schema=PERSON),
                node("out", "output-any"),
                edges=[edge("split.email", "out.value")],
            ),
            "Connection split.email -> out.value: node 'split' (json-schema-extract) "
            "has no output 'email'",
        ),
        (
            workflow(
                node("text", "text-input", value="x"),
                node("join", "json-schema-compose", schema=PERSON),
                edges=[edge("text.value", "join.age")],
            ),
            "Connection text.value -> join.age joins a string output to a number input",
        ),
    ],
)
def test_only_the_schemas_fields_are_ports_and_they_are_typed(flow, message):
    with pytest.raises(WorkflowValidationError) as caught:
        validate_workflow(flow, default_registry().catalog)
    assert [problem.message for problem in caught.value.problems] == [message]
