"""What an organization owns, read for it: its deployed workflows and its executions'
records, NotFound for another organization's (the two look the same from outside)."""

from __future__ import annotations

from lambdas.lifecycle.errors import NotFound
from lambdas.lifecycle.ports import Ports
from lambdas.runtime.ports import StoredWorkflow
from lambdas.runtime.record import ExecutionRecord
from statemachine.identifiers import is_workflow_id


def deployed(ports: Ports, organization_id: str, workflow_id: str) -> StoredWorkflow:
    """The organization's workflow of that id, or NotFound (also, without asking the store,
    for an id no workflow can have)."""
    known = is_workflow_id(workflow_id)
    stored = ports.workflows.get(organization_id, workflow_id) if known else None
    if stored is None:
        raise NotFound("Workflow", workflow_id)
    return stored


def stored_record(ports: Ports, organization_id: str, execution_id: str) -> ExecutionRecord:
    """The organization's execution record (large values by reference), or NotFound."""
    record = ports.executions.get(execution_id)
    if record is None or record.organization_id != organization_id:
        raise NotFound("Execution", execution_id)
    return record
