"""Node type declarations: the ports, inlinability and usage the planner and validator rely on.

The executable node types live in `lambdas`; this module holds only the declarative part, so
that validation, planning and compilation stay pure and take a catalog as a plain mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import Field

from statemachine.model import Node, ParameterType, WireModel

# A reference to a secret in a text input, replaced by the secret when the node runs.
SECRET_REFERENCE = re.compile(r"\{\{\s*secrets\.([^\s{}]+)\s*\}\}")


class PortSpec(WireModel):
    """A declared port. `default` is the literal used when the workflow gives none.

    `fallback`: the node type itself defines what a missing value of this required input
    means (SPEC §4, as Dafthunk's node does: an output node shows its type's empty value),
    so the node runs without it instead of failing with `Required input ... missing`.
    `loose`: the node type itself reads and checks this input's values (SPEC §4, as
    Dafthunk's node does: `addition` reads the text "7" as 7, `output-number` refuses it
    with its own message), so a value of another type is neither a validation error nor
    refused before the node runs: it reaches the node as given. A `loose` output is one
    the node type may give a value that is not of its type (`date-input`'s "" for no date,
    as Dafthunk's): the next node's input decides what it makes of it.
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
    loose: bool = False
    nullable: bool = False


class DynamicPorts(WireModel):
    """A family of numbered ports (`input_1`, `input_2`, ...) a node may have any number of."""

    prefix: str
    type: ParameterType
    description: str = ""
    default_count: int = 2

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # At most 9 digits: port numbers are sorted as ints, and int() refuses 4300+ digits.
        return re.compile(rf"{re.escape(self.prefix)}_[1-9][0-9]{{0,8}}")

    def matches(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None

    def port(self, name: str) -> PortSpec:
        return PortSpec(name=name, type=self.type, description=self.description)

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


def _lookup(
    name: str, declared: dict[str, PortSpec], dynamic: DynamicPorts | None
) -> PortSpec | None:
    port = declared.get(name)
    if port is None and dynamic is not None and dynamic.matches(name):
        return dynamic.port(name)
    return port


# What validation, planning and compilation need of the catalog: type id -> declaration.
Catalog = Mapping[str, NodeTypeSpec]
