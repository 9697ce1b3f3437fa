"""The in-process engine: runs a workflow's plan directly; the reference for other engines."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lambdas.lifecycle import records
from lambdas.lifecycle.start import context_of
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob, BlobStore
from lambdas.runtime.credits import estimate_usage, fits_credits
from lambdas.runtime.executor import PreparedWorkflow, run_unit
from lambdas.runtime.mail import NO_MAIL
from lambdas.runtime.network import NetworkPolicy
from lambdas.runtime.node_type import ExecutionEnvironment
from lambdas.runtime.output_limits import OutputBudget, OutputLimits
from lambdas.runtime.record import (
    ExecutionRecord,
    ExecutionStatus,
    NodeExecution,
    derive_status,
    in_declaration_order,
    total_usage,
    utc_now,
)
from lambdas.runtime.registry import Registry
from lambdas.runtime.updates import execution_updates
from local.mail import LOCAL_SENDER, RecordingMailer, SentEmail
from local.memory import MappingSource, MemoryBlobStore
from statemachine.errors import WorkflowValidationError
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import Workflow
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, IndividualUnit, plan_workflow
from statemachine.validation import validate_overrides, validate_workflow

UpdateListener = Callable[[dict[str, Any]], None]


class InProcessEngine:
    """Validates, plans and runs workflows in this process, unit after unit.

    `credits` turns the credit check on: an execution whose estimate exceeds it ends
    `exhausted` before any node runs. Without it (development mode) nothing is checked.
    `limits` caps the data of node outputs, per output and per execution (default: the
    deployment defaults of lambdas.runtime.output_limits). Nodes send e-mail from
    `email_sender` (None: they cannot); the engine keeps what they send (`sent_emails`).
    Nodes' requests reach public addresses and what `allow_networks` names
    (lambdas.runtime.network; `*`: everywhere, as `stepthunk run` allows).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        organization_id: str = "dev",
        secrets: Mapping[str, str] | None = None,
        integrations: Mapping[str, Mapping[str, Any]] | None = None,
        credits: int | None = None,
        blobs: BlobStore | None = None,
        max_group_size: int = DEFAULT_MAX_GROUP_SIZE,
        limits: OutputLimits | None = None,
        email_sender: str | None = LOCAL_SENDER,
        allow_networks: Sequence[str] = (),
    ) -> None:
        self.registry = registry or default_registry()
        self.mailer = None if email_sender is None else RecordingMailer(email_sender)
        self.organization_id = organization_id
        self.secrets = MappingSource(secrets)
        self.integrations = MappingSource(integrations)
        self.credits = credits
        self.blobs = blobs or MemoryBlobStore()
        self.max_group_size = max_group_size
        self.limits = limits or OutputLimits()
        self.network = NetworkPolicy.allowing(allow_networks)

    def put_blob(self, blob: Blob) -> dict[str, Any]:
        """Store a file for a run's blob input; its reference."""
        return self.blobs.put(blob)

    def sent_emails(self) -> list[SentEmail]:
        """The messages this engine's nodes sent (kept here: nothing leaves the process)."""
        return [] if self.mailer is None else self.mailer.sent

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        execution_id: str | None = None,
        on_update: UpdateListener | None = None,
    ) -> ExecutionRecord:
        """Run `workflow` to its final record; never raises for bad user input. `workflow` is
        JSON data, or a Workflow already validated against this engine's catalog."""
        execution_id = execution_id or str(uuid.uuid4())
        try:
            valid = (
                workflow
                if isinstance(workflow, Workflow)
                else validate_workflow(workflow, self.registry.catalog)
            )
            overrides = validate_overrides(valid, inputs, self.registry.catalog)
        except WorkflowValidationError as error:
            return records.refused(workflow, execution_id, self.organization_id, str(error))
        execution = context_of(execution_id, valid, self.organization_id)
        node_ids = [node.id for node in valid.nodes]
        if self.credits is not None:
            estimate = estimate_usage(valid, self.registry.catalog)
            if not fits_credits(estimate, 0, self.credits):
                exhausted = ExecutionStatus.EXHAUSTED
                return records.unstarted(execution, exhausted, node_ids, {}, utc_now())
        started = records.unstarted(execution, ExecutionStatus.EXECUTING, node_ids, {}, utc_now())
        if on_update is not None:
            _announce(started, on_update)
        results = self._execute(valid, overrides, execution_id, started, on_update)
        executions = in_declaration_order(valid, results)
        status, failure = derive_status(executions)
        final = started.model_copy(
            update={
                "status": status,
                "error": failure,
                "ended_at": utc_now(),
                "usage": total_usage(executions),
                "node_executions": executions,
            }
        )
        if on_update is not None:
            _announce(final, on_update)
        return final

    def _execute(
        self,
        workflow: Workflow,
        overrides: dict[str, dict[str, Any]],
        execution_id: str,
        record: ExecutionRecord,
        on_update: UpdateListener | None,
    ) -> dict[str, NodeExecution]:
        plan = plan_workflow(workflow, self.registry.catalog, max_group_size=self.max_group_size)
        prepared = PreparedWorkflow(workflow, self.registry)
        environment = ExecutionEnvironment(
            workflow_id=workflow.id,
            execution_id=execution_id,
            organization_id=self.organization_id,
            secrets=self.secrets,
            integrations=self.integrations,
            blobs=self.blobs,
            # a short-lived workflow is held to the Express limit it has on Step Functions
            ends_by=time.time() + EXPRESS_MAX_SECONDS if workflow.short_lived else None,
            budget=OutputBudget(self.limits),
            mail=self.mailer or NO_MAIL,
            network=self.network,
        )
        results: dict[str, NodeExecution] = {}
        for unit in plan.units:
            node_ids = [unit.node_id] if isinstance(unit, IndividualUnit) else unit.node_ids
            changed = run_unit(prepared, node_ids, results, overrides, environment)
            if on_update is not None:  # the nodes the unit changed, as SPEC §8 says
                _announce(record.model_copy(update={"node_executions": changed}), on_update)
        return results


def _announce(record: ExecutionRecord, on_update: UpdateListener) -> None:
    """Give `on_update` the messages a Step Functions execution would send at this point:
    `record` holds the nodes the update announces (a unit's, or every node at the start and
    the end)."""
    messages = execution_updates(
        execution_id=record.id,
        workflow_id=record.workflow_id,
        status=record.status,
        node_executions=[e.to_json() for e in record.node_executions],
        error=record.error,
    )
    for message in messages:
        on_update(message)
