"""Deploying a workflow, on every host: validate, compile, store its documents, create or
update its state machines (of its type, with their parts), store it; and deleting it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambdas.lifecycle.cancel import cancel
from lambdas.lifecycle.children import WorkflowLookup
from lambdas.lifecycle.errors import Conflict, Invalid
from lambdas.lifecycle.owned import deployed
from lambdas.lifecycle.ports import Ports
from lambdas.runtime.ports import DeployedMachine, StoredWorkflow
from lambdas.runtime.record import ExecutionStatus
from statemachine.asl import definition_json
from statemachine.calls import call_cycle, called_ids, cycle_problem
from statemachine.compiler import (
    Compiled,
    compile_machines,
    document_key,
    encode_document,
    machine_type,
)
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.model import Workflow
from statemachine.parts import MAX_MACHINE_NAME_LENGTH, part_machine_name
from statemachine.validation import validate_workflow

# A check a host makes of a workflow it is about to store (the API: that it can answer it).
Admit = Callable[[dict[str, Any]], None]


def state_machine_name(
    organization_id: str, workflow_id: str, kind: str = "STANDARD", prefix: str = "stepthunk"
) -> str:
    """Readable, unique per deployment (`prefix`), organization, workflow and type (STANDARD
    or EXPRESS), within Step Functions' 80 characters.

    The type is in the name because a machine's type cannot change: a workflow that turns
    short-lived (or back) gets a new machine, and the old one's name stays taken while Step
    Functions deletes it (CreateStateMachine answers StateMachineDeleting meanwhile)."""
    digest = hashlib.sha256(f"{organization_id}/{workflow_id}".encode()).hexdigest()[:12]
    kind_part = "" if kind == "STANDARD" else "express-"
    start = f"{prefix}-{kind_part}{digest}-"
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", workflow_id)[: MAX_MACHINE_NAME_LENGTH - len(start)]
    return start + readable


def machine_name_of(ports: Ports, organization_id: str, workflow: Workflow) -> str:
    """The name of the workflow's own state machine, of its type."""
    kind = machine_type(workflow)
    return state_machine_name(organization_id, workflow.id, kind, ports.machine_prefix)


@dataclass(frozen=True)
class Deployed:
    workflow: StoredWorkflow
    created: bool  # the first version of the workflow


def deploy(
    ports: Ports, organization_id: str, definition: dict[str, Any], admit: Admit | None = None
) -> Deployed:
    """Validate and deploy a workflow (Invalid INVALID_WORKFLOW, or the CompileError's code,
    when it cannot run; also when its calls lead back to it through the organization's
    workflows); `admit` checks it once its ports are completed."""
    try:
        valid = validate_workflow(definition, ports.registry.catalog)
        if admit is not None:
            admit(valid.to_json())
        check_call_cycles(ports.workflows, organization_id, valid)
        compiled = compile_for(ports, organization_id, valid)
    except WorkflowValidationError as error:
        problems = [p.to_json() for p in error.problems]
        raise Invalid("INVALID_WORKFLOW", str(error), problems) from None
    except CompileError as error:  # the problem `stepthunk validate` reports, with its code
        raise Invalid(error.code, str(error), [error.problem().to_json()]) from None
    return deploy_compiled(ports, organization_id, valid, compiled)


def deploy_compiled(
    ports: Ports, organization_id: str, valid: Workflow, compiled: Compiled
) -> Deployed:
    """Deploy a validated workflow as `compiled`: its machines, then its stored version."""
    existing = ports.workflows.get(organization_id, valid.id)
    own_name = machine_name_of(ports, organization_id, valid)
    if existing is not None and not existing.state_machine_arn.endswith(f":{own_name}"):
        # A new type (or a machine deployed before each type had its name) is a new machine:
        # the old one goes, and Step Functions ends its running executions at their next
        # state once it is deleted, with no Finalize to record it.
        running = running_executions(ports, organization_id, valid.id)
        if running:
            raise _executions_running(
                f"{len(running)} execution(s) of this workflow are running on the state "
                "machine that a change of `shortLived` replaces; deploy it once they end "
                "(or cancel those that can be)"
            )
    machine, parts = deploy_machines(ports, organization_id, valid, compiled, existing)
    definition = valid.to_json()
    # Kept for good, for retries of this version's executions after the workflow changed.
    document = encode_document(definition)
    ports.values.put_document(document_key(document), document)
    now = ports.clock()
    stored = StoredWorkflow(
        organization_id=organization_id,
        id=valid.id,
        name=valid.name,
        version=existing.version + 1 if existing else 1,
        definition=definition,
        state_machine_arn=machine.state_machine_arn,
        version_arn=machine.version_arn,
        part_arns=parts,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
    ports.workflows.put(stored)
    return Deployed(stored, created=existing is None)


def redeploy(ports: Ports, stored: StoredWorkflow) -> StoredWorkflow:
    """Give a stored workflow its state machines again, keeping its version (a local server
    restored from its saved data); Invalid when it no longer validates or compiles."""
    try:
        valid = validate_workflow(stored.definition, ports.registry.catalog)
        compiled = compile_for(ports, stored.organization_id, valid)
    except WorkflowValidationError as error:
        raise Invalid("INVALID_WORKFLOW", str(error)) from None
    except CompileError as error:
        raise Invalid(error.code, str(error)) from None
    machine, parts = deploy_machines(ports, stored.organization_id, valid, compiled, stored)
    update = {
        "state_machine_arn": machine.state_machine_arn,
        "version_arn": machine.version_arn,
        "part_arns": parts,
    }
    redeployed = stored.model_copy(update=update)
    ports.workflows.put(redeployed)
    return redeployed


def compile_for(ports: Ports, organization_id: str, valid: Workflow) -> Compiled:
    """The state machines of a validated workflow, as the organization deploys them (or
    CompileError)."""
    name = state_machine_name(organization_id, valid.id, prefix=ports.machine_prefix)

    def part_arn(number: int) -> str:
        part = part_machine_name(name, number)
        return ports.machines.arn_of(part, ports.role_arn) or part

    options = ports.compile_options
    return compile_machines(
        valid,
        ports.registry.catalog,
        ports.functions,
        part_arn=part_arn,
        max_group_size=options.max_group_size,
        parallel=options.parallel,
        max_definition_bytes=options.max_definition_bytes,
    )


def deploy_machines(
    ports: Ports,
    organization_id: str,
    valid: Workflow,
    compiled: Compiled,
    existing: StoredWorkflow | None,
) -> tuple[DeployedMachine, list[str]]:
    """Store the workflow's documents, create or update its parts and its machine, delete
    the parts it no longer has; the machine and the ARNs of its parts."""
    name = state_machine_name(organization_id, valid.id, prefix=ports.machine_prefix)
    for key, data in compiled.documents.items():
        ports.values.put_document(key, data)
    parts = [
        ports.machines.deploy(part_machine_name(name, n), definition_json(part), ports.role_arn)
        for n, part in enumerate(compiled.parts, 1)
    ]
    definition = definition_json(compiled.definition)
    own_name = machine_name_of(ports, organization_id, valid)
    kind = machine_type(valid)
    machine = ports.machines.deploy(own_name, definition, ports.role_arn, kind)
    for stale in (existing.part_arns if existing else [])[len(parts) :]:
        ports.machines.delete(stale)
    if existing is not None and existing.state_machine_arn != machine.state_machine_arn:
        ports.machines.delete(existing.state_machine_arn)  # of the workflow's other type
    return machine, [part.state_machine_arn for part in parts]


def delete_workflow(ports: Ports, organization_id: str, workflow_id: str) -> None:
    """Delete the workflow and its state machines, cancelling its running executions first;
    Conflict EXECUTIONS_RUNNING while executions that cannot be stopped run."""
    stored = deployed(ports, organization_id, workflow_id)
    running = [
        handle
        for execution_id in running_executions(ports, organization_id, workflow_id)
        if (handle := ports.executions.handle(execution_id)) is not None
    ]
    unstoppable = [handle for handle in running if handle.execution_arn is None]
    if unstoppable:
        # Step Functions cannot stop an Express execution, and deleting its machine ends it
        # at its next state with no Finalize: its record would say `executing` for ever.
        raise _executions_running(
            f"{len(unstoppable)} execution(s) of this short-lived workflow are running and "
            "cannot be stopped (an Express state machine); delete it once they end, "
            "within 5 minutes"
        )
    # Gone first, so that no new start finds it; then what runs is cancelled while its
    # state machine can still stop it and tell what it did.
    ports.workflows.delete(organization_id, workflow_id)
    for handle in running:
        cancel(ports, handle, "Its workflow was deleted through the API")
    for arn in [stored.state_machine_arn, *stored.part_arns]:
        ports.machines.delete(arn)


def running_executions(ports: Ports, organization_id: str, workflow_id: str) -> list[str]:
    """The ids of the workflow's executions that have not ended."""
    found = []
    for status in (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING):
        token: str | None = None
        while True:
            page = ports.executions.list(
                organization_id, workflow_id, status=status, limit=100, next_token=token
            )
            found += [summary.id for summary in page.items]
            token = page.next_token
            if token is None:
                break
    return found


def _executions_running(message: str) -> Conflict:
    return Conflict("EXECUTIONS_RUNNING", message)


def check_call_cycles(workflows: WorkflowLookup, organization_id: str, workflow: Workflow) -> None:
    """Invalid CALL_CYCLE when `workflow`'s calls lead back to it through the organization's
    deployed workflows (a cycle a deploy can see; a depth limit stops the others)."""

    def calls_of(workflow_id: str) -> list[str] | None:
        stored = workflows.get(organization_id, workflow_id)
        if stored is None:
            return None
        return called_ids(Workflow.model_validate(stored.definition))

    cycle = call_cycle(workflow, calls_of)
    if cycle is not None:
        problem = cycle_problem(cycle)
        raise Invalid("INVALID_WORKFLOW", problem.message, [problem.to_json()])
