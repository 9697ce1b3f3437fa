"""The one bundle of ports an execution's life runs on, whatever hosts it (a Lambda, the HTTP
API, `stepthunk run`, the in-process engine): stores, machines, live updates, clock.

What the bundles only name as types is imported for type checking alone: a handler that
imports these bundles (the HTTP API's routes do) loads none of it for that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lambdas.runtime.mail import NO_MAIL, Mailer
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.network import PUBLIC_ONLY, NetworkPolicy
from lambdas.runtime.ports import (
    EventWaits,
    ExecutionStore,
    IntegrationVault,
    LiveUpdates,
    OrganizationStore,
    ProgressStore,
    SecretVault,
    StateMachines,
    TaskCallbacks,
    ValueStore,
    WorkflowStore,
)
from lambdas.runtime.record import utc_now
from statemachine.limits import MAX_DEFINITION_BYTES
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE

if TYPE_CHECKING:
    from lambdas.runtime.blobs import BlobStore
    from lambdas.runtime.calls import WorkflowCalls
    from lambdas.runtime.forms import FormDesk, FormStore
    from lambdas.runtime.output_limits import OutputLimits
    from lambdas.runtime.registry import Registry
    from lambdas.runtime.state import ExecutionContext
    from statemachine.task_functions import TaskFunctions

Clock = Callable[[], str]  # the time now, as records write it (ISO 8601, UTC)


@dataclass(frozen=True)
class CompileOptions:
    """How a deployment compiles workflows: AWS's defaults, which the embedded engine's
    options change to try a plan or a split on a small workflow."""

    max_group_size: int = DEFAULT_MAX_GROUP_SIZE
    parallel: bool | None = None
    max_definition_bytes: int = MAX_DEFINITION_BYTES


class RecordPorts(Protocol):
    """What writes and announces an execution's record: the least a task that records needs
    (every bundle below has it)."""

    @property
    def executions(self) -> ExecutionStore: ...

    @property
    def values(self) -> ValueStore: ...

    @property
    def updates(self) -> LiveUpdates | None: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, kw_only=True)
class ExecutionPorts:
    """What a running execution reads and writes: its record, its units' results, the
    organization's credits, large values and live updates. `development`: no credit is
    checked or charged (SPEC §6)."""

    executions: ExecutionStore
    progress: ProgressStore
    organizations: OrganizationStore
    values: ValueStore
    updates: LiveUpdates | None
    development: bool = False
    clock: Clock = field(default=utc_now)


@dataclass(frozen=True, kw_only=True)
class Ports(ExecutionPorts):
    """And what deploys workflows and starts, stops and retries their executions: the
    deployed workflows, Step Functions, the functions a machine's tasks call and the role it
    runs as. `machine_prefix` starts the names of the deployment's state machines."""

    registry: Registry
    workflows: WorkflowStore
    machines: StateMachines
    functions: TaskFunctions
    role_arn: str
    compile_options: CompileOptions = field(default_factory=CompileOptions)
    machine_prefix: str = "stepthunk"
    # where waiting wait-for-event nodes keep their task tokens, and what ends their waits
    event_waits: EventWaits | None = None
    callbacks: TaskCallbacks | None = None
    # the forms wait-for-form nodes wait for (lambdas.lifecycle.form_delivery)
    forms: FormStore | None = None


@dataclass(frozen=True, kw_only=True)
class UnitPorts:
    """What running a unit's nodes needs: the node catalog, the units' results, large values
    and blobs, the organization's sealed secrets and integrations to open, live updates,
    e-mail, the networks nodes may reach, the model providers' APIs LLM nodes call and the
    limits on what their outputs hold.
    `defer_waits`: a wait node's Wait state waits (on Step Functions), not the node itself.
    `calls`: how an execution's run-workflow nodes run workflows (lambdas.lifecycle.calls;
    None: they cannot)."""

    registry: Registry
    values: ValueStore
    progress: ProgressStore
    blobs: Callable[[str], BlobStore]
    secrets: SecretVault
    integrations: IntegrationVault
    updates: LiveUpdates | None
    limits: OutputLimits
    mail: Mailer = NO_MAIL
    network: NetworkPolicy = PUBLIC_ONLY
    model_apis: ModelApis = PUBLIC_MODEL_APIS
    defer_waits: bool = True
    calls: Callable[[ExecutionContext], WorkflowCalls] | None = None
    # where a wait-for-event node keeps its task token while it waits, and the records it
    # shows waiting (lambdas.lifecycle.event_wait)
    event_waits: EventWaits | None = None
    executions: ExecutionStore | None = None
    # where create-form nodes open forms, and wait-for-form nodes find them
    forms: FormDesk | None = None
