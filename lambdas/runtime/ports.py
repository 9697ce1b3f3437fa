"""What the handlers need from storage and messaging, as protocols the adapters implement.

Keeping these here (pure) lets handlers be tested with any implementation and keeps boto3
out of everything but `lambdas/adapters`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic import Field

from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, ExecutionSummary
from statemachine.model import WireModel


class Organization(WireModel):
    """An organization's credit account."""

    id: str
    compute_credits: int
    usage: int = 0


T = TypeVar("T")


class Page(WireModel, Generic[T]):
    """One page of a listing; pass `next_token` back for the next one (None: no more)."""

    items: list[T]
    next_token: str | None = None


class ExecutionOrigin(WireModel):
    """What an execution was started with, kept with it so that a retry needs nothing else
    (Step Functions' history is not kept everywhere, nor for ever): the per-run inputs as
    the state carries them, and the version of the workflow that ran."""

    inputs: dict[str, Any] = Field(default_factory=dict)
    workflow_version: int
    # the value store key of that version's definition (immutable, content-addressed)
    workflow_document: str
    # the published state machine version it ran on
    version_arn: str
    # the execution it retries, for a retry: its lineage, walked back by a wait-for-form
    # node that waits for a form an earlier run created
    retry_of: str | None = None


class ExecutionHandle(WireModel):
    """Where a stored execution runs: its organization, Step Functions ARN and session."""

    id: str
    organization_id: str
    workflow_id: str
    status: str
    execution_arn: str | None = None
    session_id: str | None = None
    # a digest of the request that started it, when an Idempotency-Key did
    fingerprint: str | None = None
    # None for an execution stored before origins were kept
    origin: ExecutionOrigin | None = None


class ExecutionStore(Protocol):
    """Execution records by id (DynamoDB; a large record's body lives in S3)."""

    def put(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None = None,
        execution_arn: str | None = None,
    ) -> None:
        """Store `record`. Idempotent; a final record is never replaced by a non-final one.
        `session_id` and `execution_arn`, once stored, are kept by later puts without them."""
        ...

    def submit(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None,
        execution_arn: str | None,
        fingerprint: str | None = None,
        origin: ExecutionOrigin | None = None,
    ) -> bool:
        """Store the first record of a new execution, the `fingerprint` of the request
        that started it and its `origin`; False when one with its id exists."""
        ...

    def get(self, execution_id: str) -> ExecutionRecord | None:
        """The record as stored (large values still by reference), or None."""
        ...

    def handle(self, execution_id: str) -> ExecutionHandle | None:
        """Where the execution runs, without reading its record."""
        ...

    def status(self, execution_id: str) -> ExecutionStatus | None:
        """The stored record's status alone (None: no record), read consistently."""
        ...

    def list(
        self,
        organization_id: str,
        workflow_id: str,
        *,
        status: str | None = None,
        limit: int = 20,
        next_token: str | None = None,
    ) -> Page[ExecutionSummary]:
        """The workflow's executions, newest first, optionally of one status.

        A `next_token` that this store did not issue raises InvalidPageToken.
        """
        ...


class OrganizationStore(Protocol):
    """Organizations' credits and the ledger of what each execution was charged."""

    def get(self, organization_id: str) -> Organization | None: ...

    def put(self, organization: Organization) -> None: ...

    def charge(self, organization_id: str, execution_id: str, usage: int) -> bool:
        """Add `usage` to the organization's usage once per execution, atomically.

        Returns False (and changes nothing) when this execution was already charged.
        """
        ...


class SecretVault(Protocol):
    """Secrets encrypted at rest (KMS, the organization id as encryption context)."""

    def put(self, organization_id: str, name: str, plaintext: str) -> None: ...

    def delete(self, organization_id: str, name: str) -> bool: ...

    def names(self, organization_id: str) -> list[str]: ...

    def sealed(self, organization_id: str) -> dict[str, str]:
        """Every secret of the organization, name -> sealed (encrypted) value."""
        ...

    def open(self, organization_id: str, sealed: str) -> str:
        """The plaintext of one sealed value; only node tasks call this."""
        ...


class IntegrationVault(Protocol):
    """Third-party integrations (OAuth tokens), encrypted like secrets."""

    def put(self, organization_id: str, integration: Mapping[str, Any]) -> None:
        """Store an integration: `id`, `provider`, `accessToken`, `refreshToken`,
        `expiresAt` (ISO-8601), `tokenEndpoint`, `clientId`, `clientSecret`."""
        ...

    def sealed(self, organization_id: str) -> dict[str, dict[str, Any]]:
        """Every integration of the organization, id -> sealed form (no plaintext token)."""
        ...

    def open(self, organization_id: str, sealed: Mapping[str, Any]) -> dict[str, Any]:
        """`{id, provider, accessToken, expiresAt}`, refreshing an expired token through
        the provider's token endpoint (and storing the new one) first."""
        ...


class ValueStore(Protocol):
    """Large values moved out of state and records, addressed by their content."""

    def put_value(self, organization_id: str, data: bytes) -> str:
        """Store `data`; return its key (the same data always gets the same key)."""
        ...

    def put_document(self, key: str, data: bytes) -> None:
        """Store `data` at the content-addressed `key` the compiler named."""

    def get_value(self, key: str) -> bytes: ...


class LiveUpdates(Protocol):
    """Messages to the WebSocket connections of a session."""

    def send(
        self, session_id: str, message: Mapping[str, Any], organization_id: str | None = None
    ) -> int:
        """Post `message` to every connection of the session (only those `organization_id`
        opened, when given); return how many got it.

        Connections whose client is gone are deleted.
        """
        ...

    def connections(self, session_id: str, organization_id: str | None = None) -> list[str]:
        """The ids of the session's connections (only those `organization_id` opened)."""
        ...

    def deliver(
        self, session_id: str, connection_ids: list[str], messages: Sequence[Mapping[str, Any]]
    ) -> int:
        """Post `messages`, in order, to each of these connections of the session; return how
        many got them all. A connection whose client is gone gets no more (and is deleted)."""
        ...


class ConnectionRegistry(LiveUpdates, Protocol):
    """The WebSocket connections themselves, as the WebSocket API keeps them."""

    def add(self, session_id: str, connection_id: str, organization_id: str) -> None:
        """Register a connection of `organization_id` to the session's updates."""
        ...

    def remove(self, connection_id: str) -> bool:
        """Forget a connection (every session it had); False when it was unknown."""
        ...

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Post `message` to one connection; False (and the connection forgotten) when its
        client is gone."""
        ...

    def organization_of(self, connection_id: str) -> tuple[str, str] | None:
        """The (session id, organization id) a connection was added with; None when unknown."""
        ...


class ProgressStore(Protocol):
    """The results of an execution's units while it runs, one entry per plan unit (by its
    index): a unit writes its own and reads those of the units it depends on, so that what
    it moves never grows with the workflow; Finalize (or a cancel) assembles the record
    from all of them once, then deletes them.

    A unit's results are kept before they are announced, and a cancel seals the execution
    before it reads them: what a live update announced is never missing from the record.
    """

    def put(self, execution_id: str, units: Mapping[int, Mapping[str, Any]]) -> None:
        """Keep each unit's (packed) results map, replacing what was kept for it."""
        ...

    def get(self, execution_id: str, units: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The results kept for these units, by unit; a unit with none is left out."""
        ...

    def delete(self, execution_id: str, units: Iterable[int]) -> None:
        """Forget what was kept for these units (the record holds it now)."""
        ...

    def seal(self, execution_id: str) -> None:
        """Mark the execution as ending: nothing kept from now on may be announced (a
        cancel, before it reads what was kept)."""
        ...

    def sealed(self, execution_id: str) -> bool:
        """Whether the execution is sealed or has ended: a unit then announces nothing."""
        ...

    def failed_attempts(self, execution_id: str, node_id: str) -> int:
        """How many attempts of a node with a retry policy failed before this one."""
        ...

    def fail_attempt(self, execution_id: str, node_id: str) -> None:
        """Count one more failed attempt of the node (its task is then retried)."""
        ...


class DeployedWorkflow(WireModel):
    """A workflow deployed through the API, as the API shows it: its definition and its state
    machine."""

    id: str
    name: str
    version: int
    definition: dict[str, Any]
    state_machine_arn: str
    version_arn: str | None = None
    # the machines it starts, one after another, when too large for one (in order)
    part_arns: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str


class StoredWorkflow(DeployedWorkflow):
    """A deployed workflow as stored: with the organization it belongs to."""

    organization_id: str


class WorkflowSummary(WireModel):
    id: str
    name: str
    version: int
    updated_at: str


class WorkflowStore(Protocol):
    """Deployed workflows by organization and id (DynamoDB; a large definition in S3)."""

    def put(self, workflow: StoredWorkflow) -> None: ...

    def get(self, organization_id: str, workflow_id: str) -> StoredWorkflow | None: ...

    def list(
        self, organization_id: str, *, limit: int = 50, next_token: str | None = None
    ) -> Page[WorkflowSummary]: ...

    def delete(self, organization_id: str, workflow_id: str) -> bool:
        """False when there was no such workflow."""
        ...


class ApiKeyStore(Protocol):
    """API keys, stored only as hashes, each mapped to its organization."""

    def create(self, organization_id: str) -> str:
        """A new key for the organization; the plaintext is returned once, never stored."""
        ...

    def add(self, key: str, organization_id: str) -> None:
        """Register a key chosen by the caller (seeding a local server)."""
        ...

    def organization_of(self, key: str) -> str | None:
        """The organization a key belongs to; None for an unknown key."""
        ...


class DeployedMachine(WireModel):
    state_machine_arn: str
    version_arn: str


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN execution `name` of a Standard state machine (or of one of its versions) has:
    known before it starts (an Express execution's is not: Step Functions adds an id)."""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


class StateMachines(Protocol):
    """Step Functions: state machines deployed at run time and their executions."""

    def deploy(
        self, name: str, definition: str, role_arn: str, kind: str = "STANDARD"
    ) -> DeployedMachine:
        """Create the state machine `name`, or update it, and publish a new version."""
        ...

    def delete(self, state_machine_arn: str) -> None: ...

    def definition_of(self, arn: str) -> str | None:
        """The definition of a state machine or of one of its versions; None when none."""
        ...

    def publish(self, state_machine_arn: str, definition: str, role_arn: str) -> str:
        """Publish a version of the machine with `definition`, leaving the machine's own
        definition as it was; the version's ARN."""
        ...

    def arn_of(self, name: str, role_arn: str) -> str | None:
        """The ARN state machine `name` has (or will have) in the role's account."""

    def start(self, state_machine_arn: str, name: str, state: Mapping[str, Any]) -> str:
        """Start an execution called `name`; return its ARN. Starting again with the same
        name and state returns the same execution (Step Functions' idempotency)."""
        ...

    def stop(self, execution_arn: str, cause: str) -> bool:
        """Stop a running execution; False when it had already stopped."""
        ...

    def start_state(self, execution_arn: str) -> dict[str, Any] | None:
        """The state document the execution was started with; None when it does not exist."""
        ...

    def last_state(self, execution_arn: str) -> dict[str, Any] | None:
        """The latest state document in the execution's history (a task's output, else
        the execution's input); None when the execution does not exist."""
        ...


class EventWaits(Protocol):
    """The task tokens of wait-for-event nodes while they wait, by execution and node: what a
    delivered event sends back to Step Functions. A token is taken once (a second delivery
    finds none), never shown: no record, log or live update holds it."""

    def hold(self, execution_id: str, node_id: str, token: str, seconds: int) -> None:
        """Keep the token of the node's wait, which ends within `seconds` (then it expires)."""
        ...

    def take(self, execution_id: str, node_id: str) -> str | None:
        """The node's token, removed; None when it has none (not waiting, or taken)."""
        ...


class TaskCallbacks(Protocol):
    """Ends a task waiting for its token (Step Functions' SendTaskSuccess and
    SendTaskFailure). Each answers False when the task no longer waits (it timed out, or its
    execution ended)."""

    def succeed(self, token: str, output: dict[str, Any]) -> bool: ...

    def fail(self, token: str, error: str, cause: str) -> bool: ...
