"""JSON schema nodes: a record composed from, or split into, the fields of a schema.

The schema is the node's `schema` literal, `{name, fields: [{name, type}]}` as Dafthunk
gives it inline (there is no schema store to name one by id). Its fields are the node's
ports: inputs of json-schema-compose, outputs of json-schema-extract, each of the field's
type (`integer` and `number` are numbers, `datetime` a date, an unknown type `any`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import PortSpec, schema_fields
from statemachine.model import ParameterType

family = NodeFamily("JSON")

NO_SCHEMA = "A schema must be selected."


def _schema_port() -> PortSpec:
    return port(
        "schema",
        ParameterType.SCHEMA,
        "The schema: {name, fields: [{name, type}]}",
        required=True,
        hidden=True,
        fallback=True,
        lenient=True,
    )


def _fields(ctx: NodeContext) -> list[str]:
    schema = ctx.inputs.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise NodeError(NO_SCHEMA)
    return [name for name, _ in schema_fields(schema)]


@family.node(
    "json-schema-compose",
    "JSON Schema Compose",
    "A record from the schema's fields, each an input of the node; a field given nothing "
    "is null. Without a schema the node fails",
    inputs=(_schema_port(),),
    outputs=(port("record", ParameterType.JSON, "The record, one key per field"),),
    schema_ports="inputs",
)
def json_schema_compose(ctx: NodeContext) -> Mapping[str, Any]:
    return {"record": {name: ctx.inputs.get(name) for name in _fields(ctx)}}


@family.node(
    "json-schema-extract",
    "JSON Schema Extract",
    "The fields of a record, each an output of the node named after a field of the schema "
    "(a field the record lacks, or holds null, is not produced). Without a schema, or with "
    "a record that is not an object, the node fails",
    inputs=(
        _schema_port(),
        port("record", ParameterType.JSON, "An object", required=True, fallback=True),
    ),
    schema_ports="outputs",
)
def json_schema_extract(ctx: NodeContext) -> Mapping[str, Any]:
    fields = _fields(ctx)
    record = ctx.inputs.get("record")
    if not isinstance(record, dict):
        raise NodeError("A JSON object is required as the record input.")
    return {name: record.get(name) for name in fields}
