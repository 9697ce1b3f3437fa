"""Declaring a node type: its catalog entry plus the function that runs it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lambdas.runtime.blobs import BlobStore
from lambdas.runtime.calls import WorkflowCalls
from lambdas.runtime.errors import NodeError
from lambdas.runtime.forms import FormDesk
from lambdas.runtime.mail import NO_MAIL, Mailer, OutgoingEmail
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.network import PUBLIC_ONLY, NetworkPolicy
from lambdas.runtime.output_limits import OutputBudget, RecordingBlobs
from statemachine.catalog import Duration, DynamicPorts, NodeTypeSpec, PortSpec
from statemachine.model import ParameterType


class SecretSource(Protocol):
    """Plaintext secrets of the running organization, by name; None when there is none."""

    def get(self, name: str, /) -> str | None: ...


class IntegrationSource(Protocol):
    """Third-party integrations of the running organization (OAuth tokens), by id."""

    def get(self, integration_id: str, /) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class ExecutionEnvironment:
    """What one execution gives its nodes: ids, secrets, integrations, blobs, a deadline, the
    data their outputs may still hold, and a way to send e-mail.

    `deadline` is a `time.monotonic()` instant after which the running task must be done.
    `ends_by` is a `time.time()` instant after which the whole execution is stopped (a
    short-lived workflow runs on Express): a `wait` that would end later fails instead.
    `defer_waits` is set where waiting is the engine's job (a Step Functions Wait state):
    `wait` nodes then return at once. `budget` counts the bytes of the outputs produced so
    far against the execution's limits: one per execution (or per task, from the state).
    `network` says where requests may go besides public addresses (none by default);
    `model_apis` where the LLM nodes and the SMS node send their requests (the services' public
    APIs by default).
    `time_scale` is how fast a node's timeout runs out (1: real time; an engine under test
    runs it faster, as it runs its Wait states and retry delays).
    `calls` runs other workflows of the organization for run-workflow nodes (None: this
    host cannot); `forms` opens forms for create-form nodes (None: this host keeps none).
    """

    workflow_id: str
    execution_id: str
    organization_id: str
    secrets: SecretSource
    integrations: IntegrationSource
    blobs: BlobStore
    deadline: float | None = None
    ends_by: float | None = None
    defer_waits: bool = False
    budget: OutputBudget = field(default_factory=OutputBudget)
    mail: Mailer = NO_MAIL
    network: NetworkPolicy = PUBLIC_ONLY
    model_apis: ModelApis = PUBLIC_MODEL_APIS
    time_scale: float = 1.0
    calls: WorkflowCalls | None = None
    forms: FormDesk | None = None


@dataclass(slots=True)
class NodeContext:
    """The view node code has of its run: inputs, secrets, blobs, ids and time left."""

    node_id: str
    spec: NodeTypeSpec
    inputs: dict[str, Any]
    environment: ExecutionEnvironment
    usage: int | None = field(default=None)
    _recording: RecordingBlobs | None = field(default=None, init=False, repr=False)

    @property
    def blobs(self) -> BlobStore:
        """The execution's blob store; what the node stores in it counts by its bytes."""
        if self._recording is None:
            self._recording = RecordingBlobs(self.environment.blobs)
        return self._recording

    @property
    def stored_blobs(self) -> Mapping[str, int]:
        """The size of each blob the node stored, by id."""
        return {} if self._recording is None else self._recording.sizes

    def get_secret(self, name: str) -> str:
        """The plaintext of the organization's secret `name`; a node error if it is missing.

        Only node types that declare they read secrets get them: the compiled state machine
        preloads secrets only for workflows that contain such nodes.
        """
        if not self.spec.reads_secrets:
            raise NodeError(f"Node type '{self.spec.id}' does not declare that it reads secrets")
        value = self.environment.secrets.get(name)
        if value is None:
            raise NodeError(f"Secret '{name}' not found")
        return value

    def get_integration(self, integration_id: str) -> Mapping[str, Any]:
        """The organization's integration `integration_id`; a node error if it is missing."""
        if not self.spec.uses_integrations:
            raise NodeError(
                f"Node type '{self.spec.id}' does not declare that it uses integrations"
            )
        integration = self.environment.integrations.get(integration_id)
        if integration is None:
            raise NodeError(f"Integration '{integration_id}' not found")
        return integration

    def send_email(self, email: OutgoingEmail) -> str:
        """Send `email` from the deployment's sender; its message id."""
        return self.environment.mail.send(email, execution_id=self.environment.execution_id)

    def report_usage(self, usage: int) -> None:
        """Charge `usage` for this run instead of the node type's default."""
        self.usage = usage

    def timeout_seconds(self, duration: Duration, default: float) -> float:
        """The seconds input `duration.input` gives (`default` when absent, in its unit),
        within what is left of the task; a node error when it is not above 0 or is past the
        most it may be (a literal past it was refused before the run: this one came on an
        edge)."""
        given = self.inputs.get(duration.input)
        value = default if given is None else given
        name, unit = duration.input, duration.unit
        if value <= 0:
            raise NodeError(f"Input '{name}' must be a positive number of {UNITS[unit]}")
        if value > duration.maximum:
            raise NodeError(
                f"Input '{name}' is {_shown(value)} {unit}, more than the "
                f"{_shown(duration.maximum)} {unit} it may be ({duration.reason})"
            )
        return self.remaining_seconds(value * duration.seconds_per_unit)

    def remaining_seconds(self, cap: float) -> float:
        """Seconds left before the deadline, at most `cap`."""
        if self.environment.deadline is None:
            return cap
        return max(0.0, min(cap, self.environment.deadline - time.monotonic()))


def _shown(number: float) -> str:
    """A number as a message shows it: 290000, not 290000.0."""
    return str(int(number)) if float(number).is_integer() else str(number)


NodeFunction = Callable[[NodeContext], Mapping[str, Any]]
# Duration units, named in messages.
UNITS = {"ms": "milliseconds", "s": "seconds"}


@dataclass(frozen=True, slots=True)
class NodeType:
    """An executable node type: the declaration and the function computing its outputs.

    The function receives a context whose inputs are typed and complete (required inputs
    present), returns the outputs by name, and raises NodeError for an expected failure.
    """

    spec: NodeTypeSpec
    run: NodeFunction

    @property
    def id(self) -> str:
        return self.spec.id


def port(
    name: str,
    type: ParameterType,
    description: str = "",
    *,
    required: bool = False,
    repeated: bool = False,
    hidden: bool = False,
    default: Any = None,
    fallback: bool = False,
    lenient: bool = False,
    nullable: bool = False,
) -> PortSpec:
    """A port declaration, shorter to write than PortSpec(...)."""
    return PortSpec(
        name=name,
        type=type,
        description=description,
        required=required,
        repeated=repeated,
        hidden=hidden,
        default=default,
        fallback=fallback,
        lenient=lenient,
        nullable=nullable,
    )


class NodeFamily:
    """The node types of one module (one family: math, text, ...), declared with `@family.node`."""

    def __init__(self, category: str) -> None:
        self.category = category
        self.node_types: list[NodeType] = []

    def node(
        self,
        id: str,
        name: str,
        description: str,
        *,
        inputs: tuple[PortSpec, ...] = (),
        outputs: tuple[PortSpec, ...] = (),
        dynamic_inputs: DynamicPorts | None = None,
        dynamic_outputs: DynamicPorts | None = None,
        inlinable: bool = True,
        usage: int = 1,
        uses_secrets: bool = False,
        uses_integrations: bool = False,
        secret_templates: tuple[str, ...] = (),
        remote: bool = False,
        duration: Duration | None = None,
        schema_ports: Literal["inputs", "outputs"] | None = None,
    ) -> Callable[[NodeFunction], NodeType]:
        """Declare a node type whose behaviour is the decorated function."""

        def declare(run: NodeFunction) -> NodeType:
            spec = NodeTypeSpec(
                id=id,
                name=name,
                description=description,
                category=self.category,
                inputs=inputs,
                outputs=outputs,
                dynamic_inputs=dynamic_inputs,
                dynamic_outputs=dynamic_outputs,
                inlinable=inlinable,
                usage=usage,
                uses_secrets=uses_secrets,
                uses_integrations=uses_integrations,
                secret_templates=secret_templates,
                remote=remote,
                duration=duration,
                schema_ports=schema_ports,
            )
            node_type = NodeType(spec=spec, run=run)
            self.node_types.append(node_type)
            return node_type

        return declare
