"""Retrying a failed or cancelled execution: a new execution with the inputs it started with,
starting with the results of the nodes that completed and still hold (not run, nor charged,
again), on the version of the workflow it ran or on the current one."""

from __future__ import annotations

import json
from typing import Any, Literal

from lambdas.lifecycle.deploy import compile_for
from lambdas.lifecycle.errors import Conflict
from lambdas.lifecycle.owned import deployed, stored_record
from lambdas.lifecycle.ports import Ports
from lambdas.lifecycle.start import Request, Started, start
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionHandle, ExecutionOrigin, StoredWorkflow
from lambdas.runtime.record import ExecutionStatus
from lambdas.runtime.reuse import reusable
from lambdas.runtime.store_errors import MachineMissing, ObjectMissing
from statemachine.asl import definition_json
from statemachine.compiler import document_key, encode_document, machine_type
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_overrides, validate_workflow

RETRYABLE = frozenset({ExecutionStatus.ERROR, ExecutionStatus.CANCELLED})
Version = Literal["original", "current"]


def retry(
    ports: Ports, organization_id: str, execution_id: str, version: Version, request: Request
) -> Started:
    """Start the retry of the organization's execution; Conflict NOT_RETRYABLE when it did
    not fail nor was cancelled (or keeps no history to retry from), VERSION_UNAVAILABLE when
    the version it ran cannot run again, INVALID_INPUTS when its inputs do not fit the
    current version."""
    record = stored_record(ports, organization_id, execution_id)
    if record.status not in RETRYABLE:
        raise Conflict(
            "NOT_RETRYABLE",
            f"The execution is {record.status}: only a failed or cancelled one can be retried",
        )
    current = deployed(ports, organization_id, record.workflow_id)
    handle = ports.executions.handle(execution_id)
    origin = handle.origin if handle is not None else None
    ran = _version_ran(ports, origin, current)
    if version == "current":
        run = current
    elif ran is None:
        assert origin is not None
        raise _version_unavailable(origin.workflow_version, "its definition was not kept")
    else:
        run = ran
    if run.definition.get("shortLived"):
        raise Conflict(
            "NOT_RETRYABLE",
            "Executions of a short-lived workflow (an Express state machine) keep no "
            "history to retry from: start a new one",
        )
    workflow = Workflow.model_validate(run.definition)
    if origin is None:  # stored before origins were kept
        inputs = _inputs_from_history(ports, handle)
    elif run is ran:
        inputs = origin.inputs
    else:
        inputs = _inputs_for(ports, organization_id, workflow, origin.inputs)
    payloads = Payloads(ports.values, organization_id)
    if ran is None:
        kept = []  # which results still hold is unknown: everything runs again
    else:
        before = None if ran is run else Workflow.model_validate(ran.definition)
        kept = reusable(workflow, record.node_executions, before)
    reused = {e.node_id: payloads.pack_execution(e) for e in kept}
    if run is not current:
        run = _runnable(ports, organization_id, run, current)
    return start(ports, run, request, inputs, reused, retry_of=execution_id)


def _version_ran(
    ports: Ports, origin: ExecutionOrigin | None, current: StoredWorkflow
) -> StoredWorkflow | None:
    """The version of the workflow the execution ran: `current` when it is defined as that
    one (the same version, or one deployed alike) or when the execution was stored before
    versions were kept; None when its definition is gone."""
    if origin is None or origin.workflow_document == document_key(
        encode_document(current.definition)
    ):
        return current
    try:
        definition = json.loads(ports.values.get_value(origin.workflow_document))
    except ObjectMissing:
        return None
    return current.model_copy(
        update={
            "version": origin.workflow_version,
            "name": definition.get("name", current.name),
            "definition": definition,
            "version_arn": origin.version_arn,
            "part_arns": [],
        }
    )


def _inputs_from_history(ports: Ports, handle: ExecutionHandle | None) -> dict[str, Any]:
    """The inputs of an execution stored before its origin was: from the input Step
    Functions keeps in its history (while it keeps it)."""
    arn = handle.execution_arn if handle is not None else None
    first = ports.machines.start_state(arn) if arn else None
    inputs = first.get("inputs", {}) if first else {}
    return dict(inputs) if isinstance(inputs, dict) else {}


def _inputs_for(
    ports: Ports, organization_id: str, workflow: Workflow, packed: dict[str, Any]
) -> dict[str, Any]:
    """The execution's inputs checked against another version of its workflow (packed)."""
    payloads = Payloads(ports.values, organization_id)
    try:
        overrides = validate_overrides(
            workflow, payloads.unpack_inputs(packed), ports.registry.catalog
        )
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise Conflict(
            "INVALID_INPUTS",
            f"The execution's inputs do not fit the workflow as it is now: {error}",
            problems,
        ) from None
    return payloads.pack_inputs(overrides)


def _runnable(
    ports: Ports, organization_id: str, version: StoredWorkflow, current: StoredWorkflow
) -> StoredWorkflow:
    """`version`, an earlier version of `current`, with a state machine version that runs
    it: the one it ran on, if it still runs that definition, else one published again from
    its definition (a state machine replaced since, or a local server restarted, numbers
    its versions anew)."""
    number = version.version
    try:
        valid = validate_workflow(version.definition, ports.registry.catalog)
        compiled = compile_for(ports, organization_id, valid)
    except (WorkflowValidationError, CompileError) as error:
        raise _version_unavailable(number, f"it no longer compiles ({error})") from None
    if compiled.parts:
        raise _version_unavailable(number, "it ran in parts, which only run the latest version")
    current_workflow = Workflow.model_validate(current.definition)
    if machine_type(valid) != machine_type(current_workflow):
        raise _version_unavailable(number, "its state machine has been replaced")
    for key, data in compiled.documents.items():
        ports.values.put_document(key, data)
    definition = definition_json(compiled.definition)
    arn = version.version_arn
    ran_on = ports.machines.definition_of(arn) if arn else None
    if ran_on is None or json.loads(ran_on) != json.loads(definition):
        try:
            arn = ports.machines.publish(current.state_machine_arn, definition, ports.role_arn)
        except MachineMissing:
            raise _version_unavailable(number, "its state machine is gone") from None
    return version.model_copy(update={"version_arn": arn})


def _version_unavailable(version: int, reason: str) -> Conflict:
    return Conflict(
        "VERSION_UNAVAILABLE",
        f"Version {version} of the workflow, which the execution ran, cannot run again: "
        f'{reason}. Retry with {{"workflow": "current"}} to run the workflow as it is now',
    )
