"""Starting an execution, on every host: its submitted record first (a conditional write: a
start repeated with the same Idempotency-Key starts nothing), then its state machine, with
the state document it starts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.lifecycle import records
from lambdas.lifecycle.errors import Conflict, Invalid, NotFound
from lambdas.lifecycle.idempotency import execution_id_for
from lambdas.lifecycle.ports import Ports
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionOrigin, ExecutionStore, StoredWorkflow, execution_arn
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, NodeExecution
from lambdas.runtime.state import ExecutionContext, WorkflowState
from lambdas.runtime.store_errors import MachineMissing
from statemachine.compiler import document_key, encode_document
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_overrides


def context_of(
    execution_id: str,
    workflow: Workflow,
    organization_id: str,
    session_id: str | None = None,
    retry_of: str | None = None,
) -> ExecutionContext:
    """Who and what runs: set once, at the start, and carried unchanged to the end."""
    return ExecutionContext(
        id=execution_id,
        workflow_id=workflow.id,
        workflow_name=workflow.name,
        organization_id=organization_id,
        session_id=session_id,
        retry_of=retry_of,
    )


def start_state(
    execution: ExecutionContext,
    inputs: dict[str, Any],
    reused: dict[str, Any] | None = None,
) -> WorkflowState:
    """The state an execution starts with: its per-run `inputs` and the results a retry
    `reused`, both packed (lambdas.runtime.payload); Initialize fills in the rest."""
    return WorkflowState(execution=execution, inputs=inputs, reused=reused or {})


@dataclass(frozen=True)
class Request:
    """A start as its caller asked it: the key that names its execution (an Idempotency-Key,
    see idempotency.execution_key), the fingerprint of the request, the WebSocket session
    its live updates go to, and the id to give it when no key names one."""

    key: str | None = None
    fingerprint: str | None = None
    session_id: str | None = None
    execution_id: str | None = None


@dataclass(frozen=True)
class Started:
    """An execution started, or the one its key had started (`replayed`), with its status
    now; `execution_arn` as its state machine named it (a replay has none)."""

    execution_id: str
    workflow_id: str
    status: str
    replayed: bool = False
    execution_arn: str | None = None


def start_workflow(
    ports: Ports, stored: StoredWorkflow, raw_inputs: dict[str, Any], request: Request
) -> Started:
    """Start the deployed workflow with per-run `raw_inputs` (node id -> input -> value),
    validated against it first (Invalid INVALID_INPUTS)."""
    workflow = Workflow.model_validate(stored.definition)
    try:
        overrides = validate_overrides(workflow, raw_inputs, ports.registry.catalog)
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise Invalid("INVALID_INPUTS", str(error), problems) from None
    inputs = Payloads(ports.values, stored.organization_id).pack_inputs(overrides)
    return start(ports, stored, request, inputs, workflow=workflow)


def start(
    ports: Ports,
    stored: StoredWorkflow,
    request: Request,
    inputs: dict[str, Any],
    reused: dict[str, Any] | None = None,
    *,
    workflow: Workflow | None = None,
    retry_of: str | None = None,
) -> Started:
    """Record the execution as submitted, with what it starts from (`inputs`, packed, and
    the version of the workflow: `stored`, started on `stored.version_arn`), then start it.
    `reused`: the node executions (JSON) a retry starts with; `workflow`: the stored
    definition, when the caller has parsed it already; `retry_of`: the execution a retry
    retries, kept in its context and its origin.

    A start repeated with the same key starts nothing: it answers the execution the key
    started (its status as it is now) when the request is the same, and Conflict
    IDEMPOTENCY_KEY_REUSED when it differs."""
    workflow = workflow or Workflow.model_validate(stored.definition)
    execution_id = (
        execution_id_for(request.key)
        if request.key is not None or request.execution_id is None
        else request.execution_id
    )
    context = context_of(
        execution_id, workflow, stored.organization_id, request.session_id, retry_of
    )
    reused = reused or {}
    submitted = _submit(ports, stored, workflow, context, request, inputs, reused)
    if submitted is None:
        return _replayed(ports, execution_id, workflow.id, request)
    payloads = Payloads(ports.values, stored.organization_id)
    state = start_state(context, inputs, payloads.pack_map(reused))
    try:
        arn = ports.machines.start(machine_of(stored), execution_id, state.to_json())
    except MachineMissing:  # the workflow was deleted between the read and the start
        message = f"Workflow '{workflow.id}' was deleted before the execution started"
        ports.executions.put(
            submitted.model_copy(update={"status": ExecutionStatus.ERROR, "error": message})
        )
        raise NotFound("Workflow", workflow.id) from None
    return Started(execution_id, workflow.id, ExecutionStatus.SUBMITTED, execution_arn=arn)


def machine_of(stored: StoredWorkflow) -> str:
    """The state machine (version) that runs this version of the workflow."""
    return stored.version_arn or stored.state_machine_arn


def _submit(
    ports: Ports,
    stored: StoredWorkflow,
    workflow: Workflow,
    context: ExecutionContext,
    request: Request,
    inputs: dict[str, Any],
    reused: dict[str, Any],
) -> ExecutionRecord | None:
    return submit(ports.executions, stored, workflow, context, request, inputs, reused)


def submit(
    executions: ExecutionStore,
    stored: StoredWorkflow,
    workflow: Workflow,
    context: ExecutionContext,
    request: Request,
    inputs: dict[str, Any],
    reused: dict[str, Any],
) -> ExecutionRecord | None:
    """Store the submitted record, with what the execution starts from; None when one with
    its id exists (its key started it before).

    Stored before the start, so that the execution's own writes always come after it; a
    conditional write, so that a repeated start (same key) starts nothing, also on an Express
    state machine, which does not refuse a repeated execution name. An Express execution's
    ARN holds an id Step Functions picks at the start, and nothing can be asked of it by
    that ARN: none is kept, and none means "cannot be stopped"."""
    submitted = records.submitted(
        context,
        (node.id for node in workflow.nodes),
        {node_id: NodeExecution.model_validate(node) for node_id, node in reused.items()},
    )
    new = executions.submit(
        submitted,
        session_id=request.session_id,
        execution_arn=None
        if workflow.short_lived
        else execution_arn(stored.state_machine_arn, context.id),
        fingerprint=request.fingerprint,
        origin=ExecutionOrigin(
            inputs=inputs,
            workflow_version=stored.version,
            workflow_document=document_key(encode_document(stored.definition)),
            version_arn=machine_of(stored),
            retry_of=context.retry_of,
        ),
    )
    return submitted if new else None


def _replayed(ports: Ports, execution_id: str, workflow_id: str, request: Request) -> Started:
    """The execution a start's key already started."""
    handle = ports.executions.handle(execution_id)
    if handle is None:  # gone since (never, unless deleted by hand): a conflict all the same
        raise _key_reused()
    # An execution stored before fingerprints were kept has none: taken as the same request.
    if handle.fingerprint is not None and handle.fingerprint != request.fingerprint:
        raise _key_reused()
    return Started(execution_id, workflow_id, handle.status, replayed=True)


def _key_reused() -> Conflict:
    return Conflict(
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key already started an execution with another request body: "
        "send the same body to get that execution, or use a new key",
    )
