"""The workflow as it travels on the wire: Dafthunk-compatible nodes, ports and edges."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic.alias_generators import to_camel

from statemachine.identifiers import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PORT_NAME_LENGTH,
    MAX_TRIGGER_LENGTH,
)


class WireModel(BaseModel):
    """Base of every model that is JSON on the wire: camelCase there, snake_case in code.

    Unknown fields are ignored so that workflows exported from Dafthunk (which carry UI
    fields such as icons and descriptions) load unchanged.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
        # A model's validator is built when it first validates or serializes, not when
        # its class is defined: a Lambda's import builds none of the many it never uses.
        # (pydantic builds under a lock, so threads may share a model's first use.)
        defer_build=True,
    )

    def to_json(self) -> dict[str, Any]:
        """The model as JSON data (camelCase), absent optional fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


class ParameterType(StrEnum):
    """The type of a node port; `date` is an ISO-8601 string, `secret` a secret's name,
    `schema` an object describing a record: Dafthunk's `{name, fields: [{name, type}]}` or
    a JSON Schema (as Dafthunk's schema parameter, given inline: there is no schema store)."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    JSON = "json"
    SECRET = "secret"
    BLOB = "blob"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    SCHEMA = "schema"
    ANY = "any"


class Parameter(WireModel):
    """One input or output port of a node; `value` is the literal (inputs only).

    A `null` value means "no literal": JSON null never reaches node code as a value, except
    on a port whose node type takes null as a value (`nullable`), where validation marks a
    null given on purpose with `null`.
    """

    name: str = Field(min_length=1, max_length=MAX_PORT_NAME_LENGTH)
    type: ParameterType | None = None
    value: Any = None
    required: bool | None = None
    repeated: bool | None = None
    hidden: bool | None = None
    null: bool | None = None


class RetryPolicy(WireModel):
    """How often a node is tried before its error stands (stepthunk's extension of the
    format): Step Functions' Retry fields, the delay before retry n (from 1) being
    `intervalSeconds * backoffRate ** (n - 1)`, at most `maxDelaySeconds`, with full jitter.
    Bounds are checked by validation (statemachine.node_policies)."""

    max_attempts: StrictInt = 3
    interval_seconds: StrictInt = 1
    backoff_rate: float = Field(default=2.0, allow_inf_nan=False)
    max_delay_seconds: StrictInt | None = None


class Node(WireModel):
    """A node of the graph; its port lists may be partial until completed from the catalog.

    `retry` and `timeout_seconds` (stepthunk's extension of the format) make it run as a
    unit of its own, each attempt a retry of its task (statemachine.node_policies)."""

    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    type: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    inputs: list[Parameter] = Field(default_factory=list)
    outputs: list[Parameter] = Field(default_factory=list)
    retry: RetryPolicy | None = None
    timeout_seconds: StrictInt | None = None

    @property
    def has_policy(self) -> bool:
        """Whether the node carries a retry policy or a timeout: it then runs alone."""
        return self.retry is not None or self.timeout_seconds is not None

    @property
    def max_attempts(self) -> int:
        """How many times the node is tried at most (1 without a retry policy)."""
        return 1 if self.retry is None else self.retry.max_attempts

    def input(self, name: str) -> Parameter | None:
        """The input port called `name`, if the node has one."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Parameter | None:
        """The output port called `name`, if the node has one."""
        return next((p for p in self.outputs if p.name == name), None)


class Edge(WireModel):
    """A connection from one node's output to another node's input."""

    source: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    source_output: str = Field(min_length=1, max_length=MAX_PORT_NAME_LENGTH)
    target: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    target_input: str = Field(min_length=1, max_length=MAX_PORT_NAME_LENGTH)

    def describe(self) -> str:
        """`source.output -> target.input`, as error messages name an edge."""
        return f"{self.source}.{self.source_output} -> {self.target}.{self.target_input}"


class Workflow(WireModel):
    """A whole workflow. After validation every node's ports are complete."""

    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)
    trigger: str = Field(default="manual", max_length=MAX_TRIGGER_LENGTH)
    # stepthunk's extension of the format: runs finish within minutes, so the workflow runs
    # on an Express state machine (cheaper per run, no execution history kept)
    short_lived: StrictBool | None = None
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)


# A per-run input override: node id -> input name -> value.
InputOverrides = dict[str, dict[str, Any]]
