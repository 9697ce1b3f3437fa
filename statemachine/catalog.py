"""Node type declarations: the ports, inlinability and usage the planner and validator rely on.

The executable node types live in `lambdas`; this module holds only the declarative part, so
that validation, planning and compilation stay pure and take a catalog as a plain mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from statemachine.identifiers import MAX_PORT_NAME_LENGTH
from statemachine.model import Node, ParameterType, WireModel, Workflow

# A reference to a secret in a text input, replaced by the secret when the node runs.
SECRET_REFERENCE = re.compile(r"\{\{\s*secrets\.([^\s{}]+)\s*\}\}")


class PortSpec(WireModel):
    """A declared port. `default` is the literal used when the workflow gives none.

    `fallback`: the node type itself defines what a missing value of this required input
    means (SPEC §4, as Dafthunk's node does: an output node shows its type's empty value),
    so the node runs without it instead of failing with `Required input ... missing`.
    `lenient`: the node type takes a value of any type on this input and itself defines
    what one of another type than the port's means (SPEC §4, as Dafthunk's json-valid
    answers `isValid: false` for a number, and `addition` reads the text "7" as 7), so such
    a value is not a validation error and reaches it as it came (a value that fits is
    converted as for any port). A `lenient` output is one the node type may give a value
    that is not of its type (`date-input`'s "" for no date, as Dafthunk's): the next node's
    input decides what it makes of it.
    `nullable`: JSON null is a value of this port, not the absence of one (Dafthunk's
    `conditional-join` passes on a null that arrives): a null literal given on purpose
    reaches the node, and a null output is produced (the next node's input, unless it is
    nullable too, sees no value in it).
    """

    name: str
    type: ParameterType
    description: str = ""
    required: bool = False
    repeated: bool = False
    hidden: bool = False
    default: Any = None
    fallback: bool = False
    lenient: bool = False
    nullable: bool = False


class DynamicPorts(WireModel):
    """A family of numbered ports (`input_1`, `input_2`, ...) a node may have any number of."""

    prefix: str
    type: ParameterType
    description: str = ""
    default_count: int = 2
    lenient: bool = False

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # At most 9 digits: port numbers are sorted as ints, and int() refuses 4300+ digits.
        return re.compile(rf"{re.escape(self.prefix)}_[1-9][0-9]{{0,8}}")

    def matches(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None

    def port(self, name: str) -> PortSpec:
        return PortSpec(
            name=name, type=self.type, description=self.description, lenient=self.lenient
        )

    def defaults(self) -> list[PortSpec]:
        return [self.port(f"{self.prefix}_{k}") for k in range(1, self.default_count + 1)]


class Duration(WireModel):
    """How long a node of a type may take, as one of its number inputs says (`wait`'s
    `seconds`, `fetch`'s `timeout`): validation checks a literal against `maximum`, and a
    short-lived workflow's total against Express's limit."""

    input: str
    seconds_per_unit: float = Field(default=1.0, description="0.001 for milliseconds")
    unit: str = "s"
    maximum: float = Field(description="The most the input may be, in its unit")
    reason: str = Field(description="Why `maximum` is the most, for the message")
    whole_seconds: bool = Field(default=False, description="A fraction of a second rounds up")


class NodeTypeSpec(WireModel):
    """What the catalog declares about one node type (what `stepthunk node-types` lists)."""

    id: str
    name: str
    description: str = ""
    category: str = ""
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    dynamic_inputs: DynamicPorts | None = None
    dynamic_outputs: DynamicPorts | None = None
    inlinable: bool = Field(
        description="Cheap, pure and deterministic: may run inside an inline group."
    )
    usage: int = 1
    uses_secrets: bool = False
    uses_integrations: bool = False
    secret_templates: tuple[str, ...] = Field(
        default=(),
        description="Inputs whose {{secrets.NAME}} references are how this type reads secrets.",
    )
    remote: bool = Field(
        default=False,
        description="Waits on a remote service (a request): worth running alongside others.",
    )
    duration: Duration | None = Field(
        default=None, description="The input bounding how long a node of this type takes."
    )
    schema_ports: Literal["inputs", "outputs"] | None = Field(
        default=None,
        description="Which ports the fields of a node's `schema` literal add, one per field.",
    )

    def for_node(self, node: Node) -> NodeTypeSpec:
        """The declaration `node` has: with a port per field of its `schema` literal (of
        the field's type) when the type's ports follow a schema, else this one."""
        if self.schema_ports is None:
            return self
        param = node.input("schema")
        fields = schema_fields(None if param is None else param.value)
        taken = {p.name for p in self.inputs} | {p.name for p in self.outputs}
        added = tuple(
            PortSpec(name=name, type=type, description=f"Field '{name}' of the schema")
            for name, type in fields
            if name not in taken
        )
        if not added:
            return self
        declared = {name: getattr(self, name) for name in type(self).model_fields}
        declared[self.schema_ports] = getattr(self, self.schema_ports) + added
        return NodeTypeSpec(**declared)

    @cached_property
    def input_ports(self) -> dict[str, PortSpec]:
        return {p.name: p for p in self.inputs}

    @cached_property
    def output_ports(self) -> dict[str, PortSpec]:
        return {p.name: p for p in self.outputs}

    @property
    def reads_secrets(self) -> bool:
        """Whether a node of this type may read the organization's secrets when it runs."""
        return self.uses_secrets or any(p.type == ParameterType.SECRET for p in self.inputs)

    def node_reads_secrets(self, node: Node, connected: set[str]) -> bool:
        """Whether `node` (of this type, `connected` its inputs fed by edges) is known to
        read secrets before it runs. A type that reads them only through references in its
        `secret_templates` does when one of those is connected or references a secret."""
        if any(port.type == ParameterType.SECRET for port in node.inputs):
            return True
        if not self.reads_secrets or not self.secret_templates:
            return self.reads_secrets
        values = {port.name: port.value for port in node.inputs}
        return any(
            name in connected or SECRET_REFERENCE.search(json.dumps(values.get(name))) is not None
            for name in self.secret_templates
        )

    def input(self, name: str) -> PortSpec | None:
        """The declared input `name`, a dynamic one included; None if not declared."""
        return _lookup(name, self.input_ports, self.dynamic_inputs)

    def output(self, name: str) -> PortSpec | None:
        """The declared output `name`, a dynamic one included; None if not declared."""
        return _lookup(name, self.output_ports, self.dynamic_outputs)


# Dafthunk's schema field types and the port types their values travel as.
FIELD_TYPES = {
    "string": ParameterType.STRING,
    "integer": ParameterType.NUMBER,
    "number": ParameterType.NUMBER,
    "boolean": ParameterType.BOOLEAN,
    "datetime": ParameterType.DATE,
    "json": ParameterType.JSON,
    "image": ParameterType.IMAGE,
    "document": ParameterType.DOCUMENT,
    "audio": ParameterType.AUDIO,
    "video": ParameterType.VIDEO,
    "blob": ParameterType.BLOB,
}
# What Dafthunk accepts as a schema or field name.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def schema_fields(schema: Any) -> list[tuple[str, ParameterType]]:
    """The fields of a schema value (`{name, fields: [{name, type}]}`, or its JSON text) as
    (name, port type) pairs, in order: a field of an unknown type is `any`; one without an
    identifier for a name, or a name seen before, is left out. Not a schema: none."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            return []
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return []
    fields: dict[str, ParameterType] = {}
    for field in schema["fields"]:
        if not isinstance(field, dict):
            continue
        name = field.get("name")
        if (
            isinstance(name, str)
            and len(name) <= MAX_PORT_NAME_LENGTH
            and IDENTIFIER.fullmatch(name)
            and name not in fields
        ):
            kind = field.get("type")
            fields[name] = (
                FIELD_TYPES.get(kind, ParameterType.ANY)
                if isinstance(kind, str)
                else (ParameterType.ANY)
            )
    return list(fields.items())


def _lookup(
    name: str, declared: dict[str, PortSpec], dynamic: DynamicPorts | None
) -> PortSpec | None:
    port = declared.get(name)
    if port is None and dynamic is not None and dynamic.matches(name):
        return dynamic.port(name)
    return port


# What validation, planning and compilation need of the catalog: type id -> declaration.
Catalog = Mapping[str, NodeTypeSpec]


def estimate_usage(workflow: Workflow, catalog: Catalog) -> int:
    """A workflow's credit estimate (SPEC §6): the catalog usage of every node, summed; what
    an execution must fit before any node runs (lambdas.runtime.credits checks it)."""
    return sum(catalog[node.type].usage for node in workflow.nodes)
