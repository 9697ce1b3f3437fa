"""The `schema` parameter type: an object describing a record, and the ports its fields make."""

from __future__ import annotations

import pytest

from statemachine.catalog import NodeTypeSpec, PortSpec, schema_fields
from statemachine.errors import WorkflowValidationError
from statemachine.model import Node, Parameter, ParameterType
from statemachine.port_types import ValueTypeError, coerce, fits, types_compatible
from statemachine.validation import validate_workflow
from tests.support.workflows import node, workflow

SCHEMA = ParameterType.SCHEMA
PERSON = {
    "name": "p",
    "fields": [{"name": "age", "type": "integer"}, {"name": "at", "type": "datetime"}],
}


def test_a_schema_value_is_an_object():
    assert fits(PERSON, SCHEMA)
    assert fits({"type": "object", "properties": {}}, SCHEMA)  # a JSON Schema too
    assert not fits("p", SCHEMA)
    assert not fits([PERSON], SCHEMA)


def test_a_schema_port_reads_json_text_of_an_object_and_refuses_other_values():
    assert coerce('{"fields": []}', SCHEMA) == {"fields": []}
    with pytest.raises(ValueTypeError, match="expected a schema \\(an object\\), got string"):
        coerce("[1]", SCHEMA)
    with pytest.raises(ValueTypeError):
        coerce(3, SCHEMA)


def test_only_schema_and_any_ports_connect_to_a_schema_port():
    assert types_compatible(SCHEMA, SCHEMA)
    assert types_compatible(ParameterType.ANY, SCHEMA)
    assert not types_compatible(ParameterType.JSON, SCHEMA)


def test_a_literal_that_is_not_an_object_is_refused_on_a_schema_port():
    spec = NodeTypeSpec(
        id="needs-schema",
        name="Needs schema",
        inlinable=True,
        inputs=(PortSpec(name="schema", type=SCHEMA),),
    )
    with pytest.raises(WorkflowValidationError) as caught:
        validate_workflow(workflow(node("n", "needs-schema", schema=5)), {spec.id: spec})
    assert caught.value.problems[0].message == "Node 'n' input 'schema' expects schema, got 5"


def test_schema_fields_are_typed_ports_in_order_and_odd_fields_are_left_out():
    fields = [
        {"name": "age", "type": "integer"},
        {"name": "at", "type": "datetime"},
        {"name": "blob", "type": "image"},
        {"name": "what", "type": "novel"},
        {"name": "not a name", "type": "string"},
        {"name": "age", "type": "string"},
        "text",
    ]
    assert schema_fields({"fields": fields}) == [
        ("age", ParameterType.NUMBER),
        ("at", ParameterType.DATE),
        ("blob", ParameterType.IMAGE),
        ("what", ParameterType.ANY),
    ]
    assert schema_fields("not json") == []
    assert schema_fields({"name": "no fields"}) == []


def test_a_node_type_following_a_schema_has_its_fields_as_ports():
    spec = NodeTypeSpec(
        id="split",
        name="Split",
        inlinable=True,
        inputs=(PortSpec(name="schema", type=SCHEMA),),
        schema_ports="outputs",
    )
    with_schema = Node(id="n", type="split", inputs=[Parameter(name="schema", value=PERSON)])
    declared = spec.for_node(with_schema)
    assert [(p.name, p.type) for p in declared.outputs] == [
        ("age", ParameterType.NUMBER),
        ("at", ParameterType.DATE),
    ]
    assert declared.output("age") is not None
    assert spec.for_node(Node(id="m", type="split")) is spec
