"""Dafthunk's schema (`{name, fields: [{name, type, required?, description?}]}`) read into its
fields, as the nodes that take one use it: a strict JSON Schema for a model's structured
output (lambdas.nodes.openai), and a form's fields, which check an answer and read one a
browser posted (lambdas.nodes.forms, lambdas.lifecycle.form_delivery)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.runtime.errors import NodeError

# Dafthunk's schema field types a model can produce, and a form can ask for, as JSON Schema.
FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
}


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of a schema: its name, its type (any text: FIELD_SCHEMAS' are known)."""

    name: str
    type: Any
    required: bool = False
    description: str | None = None


def read_fields(schema: Mapping[str, Any]) -> list[SchemaField]:
    """The fields of Dafthunk's `schema`, in order; a node error for a field without a name
    or a name given twice. Their types are the caller's to judge."""
    fields = schema.get("fields")
    if not isinstance(fields, list):
        raise NodeError("The schema needs a list of fields")
    read: dict[str, SchemaField] = {}
    for field in fields:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            raise NodeError("Each field of the schema needs a name")
        name = field["name"]
        if name in read:
            raise NodeError(f"The schema names field '{name}' twice")
        description = field.get("description")
        read[name] = SchemaField(
            name,
            field.get("type"),
            field.get("required") is True,
            description if isinstance(description, str) else None,
        )
    return list(read.values())


def dafthunk_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Dafthunk's schema (`{name, fields}`) as a strict JSON Schema: an object of its fields,
    every one required (strict mode asks it), an optional one nullable."""
    properties: dict[str, Any] = {}
    for field in read_fields(schema):
        shape = FIELD_SCHEMAS.get(field.type) if isinstance(field.type, str) else None
        if shape is None:
            raise NodeError(
                f"Field '{field.name}' is of type {field.type!r}, which a model cannot answer: "
                f"use one of {', '.join(FIELD_SCHEMAS)}, or give a JSON Schema"
            )
        shape = dict(shape)
        if not field.required:
            shape["type"] = [shape["type"], "null"]
        if field.description is not None:
            shape["description"] = field.description
        properties[field.name] = shape
    json_schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if isinstance(schema.get("description"), str):
        json_schema["description"] = schema["description"]
    return json_schema


def form_fields(schema: Any) -> list[SchemaField]:
    """The fields a form of `schema` asks for; a node error naming what a form cannot ask
    (a schema that is not one, a field of a type outside FIELD_SCHEMAS: a file, JSON)."""
    if not isinstance(schema, dict):
        raise NodeError("A form needs a schema: {name, fields: [{name, type, required?}]}")
    fields = read_fields(schema)
    if not fields:
        raise NodeError("The form's schema has no fields: a form asks for at least one")
    for field in fields:
        if field.type not in FIELD_SCHEMAS:
            raise NodeError(
                f"Field '{field.name}' is of type {field.type!r}, which a form cannot ask "
                f"for: use one of {', '.join(FIELD_SCHEMAS)}"
            )
    return fields


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with an answer's field (`field` None: with the answer as a whole)."""

    field: str | None
    message: str


def answer_problems(fields: list[SchemaField], answer: Any) -> list[FieldProblem]:
    """What keeps `answer` from answering a form of `fields`: it must be a JSON object of
    those fields only, every required one present and not null, each of its field's type
    (an `integer` a whole number, a `datetime` an ISO 8601 date and time)."""
    if not isinstance(answer, dict):
        return [FieldProblem(None, "The answer must be a JSON object of the form's fields")]
    known = {field.name: field for field in fields}
    problems = [
        FieldProblem(name, f"Field '{name}' is not a field of the form")
        for name in answer
        if name not in known
    ]
    for field in fields:
        value = answer.get(field.name)
        if value is None:
            if field.required:
                problems.append(FieldProblem(field.name, f"Field '{field.name}' is required"))
        elif not _fits(field.type, value):
            said = FIELD_WORDS[field.type]
            problems.append(FieldProblem(field.name, f"Field '{field.name}' must be {said}"))
    return problems


FIELD_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "datetime": "a date and time (ISO 8601)",
}


def _fits(kind: str, value: Any) -> bool:
    match kind:
        case "string":
            return isinstance(value, str)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            number = isinstance(value, int | float) and not isinstance(value, bool)
            return number and math.isfinite(value)
        case "boolean":
            return isinstance(value, bool)
        case "datetime":
            return isinstance(value, str) and _instant(value) is not None
    return False


def _instant(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def posted_answer(
    fields: list[SchemaField], posted: Mapping[str, list[str]]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The answer a browser posted (`application/x-www-form-urlencoded`, each name with its
    values) read by field type, and what could not be read: an empty text is no answer (but
    for a `string` field, where it is the empty text when the field is optional); a
    `boolean` is a checkbox, true when sent (`on`, `true`), false when not; numbers are
    read as JSON numbers are. Names the form does not have are its problems."""
    answer: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    known = {field.name for field in fields}
    for name in posted:
        if name not in known:
            problems.append(FieldProblem(name, f"Field '{name}' is not a field of the form"))
    for field in fields:
        values = posted.get(field.name) or []
        text = values[-1] if values else ""
        if field.type == "boolean":
            answer[field.name] = text.lower() in {"on", "true", "1", "yes"}
            continue
        if not values or (text == "" and (field.type != "string" or field.required)):
            continue  # missing: answer_problems says so of a required field
        value = _read(field.type, text)
        if value is None:
            said = FIELD_WORDS[field.type]
            problems.append(FieldProblem(field.name, f"Field '{field.name}' must be {said}"))
        else:
            answer[field.name] = value
    return answer, problems


def _read(kind: str, text: str) -> Any:
    if kind in ("string", "datetime"):
        return text
    try:
        return int(text.strip())  # a whole number stays one, every digit kept
    except ValueError:
        pass
    if kind == "integer":
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
