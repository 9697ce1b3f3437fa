"""The in-process engine: the lifecycle (lambdas.lifecycle) on in-memory ports, its plan's
units run one after another in this process, with no state machine around them."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.lifecycle import records
from lambdas.lifecycle.begin import begin, preloaded, run_state
from lambdas.lifecycle.calls import called_estimate
from lambdas.lifecycle.children import CallPorts, Child
from lambdas.lifecycle.errors import Invalid
from lambdas.lifecycle.event_delivery import deliver_given
from lambdas.lifecycle.event_wait import settle, start_waiting
from lambdas.lifecycle.finish import finish
from lambdas.lifecycle.for_each import InlineForEach
from lambdas.lifecycle.ports import ExecutionPorts, UnitPorts
from lambdas.lifecycle.start import context_of, start_state
from lambdas.lifecycle.unit_task import UnitWork, run_unit
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob, BlobStore
from lambdas.runtime.credits import estimate_usage, may_start
from lambdas.runtime.errors import NodeAttemptFailed, NodeNotWaiting
from lambdas.runtime.forms import FormDesk
from lambdas.runtime.mail import NO_MAIL
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.network import NetworkPolicy
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import Organization, StoredWorkflow
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, utc_now
from lambdas.runtime.registry import Registry
from lambdas.runtime.state import ExecutionContext, WorkflowState
from local.mail import LOCAL_SENDER, RecordingMailer, SentEmail
from local.memory import (
    ListenerUpdates,
    MemoryBlobStore,
    MemoryExecutionStore,
    MemoryIntegrations,
    MemoryOrganizations,
    MemoryProgressStore,
    MemoryValueStore,
    MemoryVault,
)
from local.memory_events import LOCAL_FORMS_URL, MemoryCallbacks, MemoryEventWaits, MemoryForms
from statemachine.calls import called_ids
from statemachine.error_names import NODE_NOT_WAITING
from statemachine.errors import WorkflowValidationError
from statemachine.event_waits import STATES_TIMEOUT, is_event_wait, wait_seconds
from statemachine.model import Workflow
from statemachine.node_policies import retry_delay
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, Plan, Wiring, plan_workflow
from statemachine.validation import validate_overrides, validated

UpdateListener = Callable[[dict[str, Any]], None]
logger = logging.getLogger(__name__)
# What a workflow given to `deploy` runs on, as its records name it (no state machine).
IN_PROCESS_MACHINE = "arn:aws:states:local:000000000000:stateMachine:in-process"


class InProcessEngine:
    """Validates, plans and runs workflows in this process, unit after unit, through the
    same lifecycle as the Lambda functions (start, begin, units, finish), on in-memory ports.

    `credits` turns the credit check on: an execution whose estimate exceeds it ends
    `exhausted` before any node runs. Without it (development mode) nothing is checked.
    `limits` caps the data of node outputs, per output and per execution (default: the
    deployment defaults of lambdas.runtime.output_limits). Nodes send e-mail from
    `email_sender` (None: they cannot); the engine keeps what they send (`sent_emails`).
    Nodes' requests reach public addresses and what `allow_networks` names
    (lambdas.runtime.network; `*`: everywhere, as `stepthunk run` allows). LLM nodes and
    `twilio-sms` call the APIs `model_apis` names (default: the services' public APIs). A
    node with a retry policy is retried as its task's Retry rule would be on Step Functions,
    the delays (and nodes' timeouts) running `time_scale` times real time. A run-workflow node runs
    a workflow given to `deploy` as a child execution, through the same lifecycle, before
    it returns; `record` reads the child's record. create-form nodes' URLs start with
    `forms_url`.
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
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        time_scale: float = 1.0,
        forms_url: str = LOCAL_FORMS_URL,
    ) -> None:
        self.registry = registry or default_registry()
        self.time_scale = time_scale
        self.mailer = None if email_sender is None else RecordingMailer(email_sender)
        self.organization_id = organization_id
        self.credits = credits
        self.blobs = blobs or MemoryBlobStore()
        self.max_group_size = max_group_size
        self.updates = ListenerUpdates()
        organizations = MemoryOrganizations()
        if credits is not None:
            organizations.put(Organization(id=organization_id, compute_credits=credits))
        self._executions = MemoryExecutionStore()
        self.callbacks = MemoryCallbacks()
        self.ports = DeliveringPorts(
            executions=self._executions,
            progress=MemoryProgressStore(),
            organizations=organizations,
            values=MemoryValueStore(),
            updates=self.updates,
            development=credits is None,
            event_waits=MemoryEventWaits(),
            callbacks=self.callbacks,
            forms=MemoryForms(),
        )
        self.units = UnitPorts(
            registry=self.registry,
            values=self.ports.values,
            progress=self.ports.progress,
            blobs=lambda _organization: self.blobs,
            secrets=MemoryVault(organization_id, secrets),
            integrations=MemoryIntegrations(organization_id, integrations),
            updates=self.updates,
            limits=limits or OutputLimits(),
            mail=self.mailer or NO_MAIL,
            network=NetworkPolicy.allowing(allow_networks),
            model_apis=model_apis,
            defer_waits=False,  # no Wait state: a wait node waits itself
            calls=self._calls,
            event_waits=self.ports.event_waits,
            executions=self._executions,
            forms=FormDesk(self.ports.forms, forms_url),
        )
        self._workflows = DeployedWorkflows()
        self._call_ports = CallPorts(
            workflows=self._workflows,
            executions=self._executions,
            values=self.ports.values,
            catalog=self.registry.catalog,
        )

    def deploy(self, workflow: Any, organization_id: str | None = None) -> Workflow:
        """Keep `workflow` (JSON data, or a Workflow validated against this engine's catalog)
        as the organization's deployed workflow of its id, for run-workflow nodes to run;
        WorkflowValidationError when it does not validate."""
        valid = validated(workflow, self.registry.catalog)
        self._workflows.put(valid, organization_id or self.organization_id)
        return valid

    def record(self, execution_id: str) -> ExecutionRecord:
        """The record of a child execution a run-workflow node ran, every value in place."""
        record = self._executions.get(execution_id)
        if record is None:
            raise LookupError(f"No record of execution {execution_id}")
        return Payloads(self.ports.values, record.organization_id).loaded_record(record)

    def _calls(self, parent: ExecutionContext) -> InlineForEach:
        return InlineForEach(self._call_ports, parent, self._run_child)

    def _run_child(self, child: Child) -> None:
        """Run a child execution prepared (submitted) by a run-workflow node, to its end."""
        state = WorkflowState.model_validate(child.state)
        stored = self._workflows.get(state.execution.organization_id, child.workflow_id)
        assert stored is not None  # the call found it
        self._run_state(Workflow.model_validate(stored.definition), state)

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
        events: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Run `workflow` to its final record; never raises for bad user input. `workflow` is
        JSON data, or a Workflow already validated against this engine's catalog. `events`
        gives wait-for-event nodes their event and wait-for-form nodes their answer (node id ->
        JSON value, or a Rejection), delivered once each waits (an answer its form refuses is
        not: the node waits on)."""
        execution_id = execution_id or str(uuid.uuid4())
        try:
            valid = validated(workflow, self.registry.catalog)
            overrides = validate_overrides(valid, inputs, self.registry.catalog)
        except WorkflowValidationError as error:
            return records.refused(workflow, execution_id, self.organization_id, str(error))
        session_id = f"session-{execution_id}" if on_update is not None else None
        self.updates.listen(session_id or "", on_update)
        try:
            record = self._execute(valid, overrides, execution_id, session_id, events)
        finally:
            self.updates.listen(session_id or "", None)
            self._executions.forget(execution_id)  # the caller gets the record: kept no more
        return Payloads(self.ports.values, record.organization_id).loaded_record(record)

    def _execute(
        self,
        workflow: Workflow,
        overrides: dict[str, dict[str, Any]],
        execution_id: str,
        session_id: str | None,
        events: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Start, begin, run each unit, finish: what the state machine's tasks do."""
        ports, organization = self.ports, self.organization_id
        execution = context_of(execution_id, workflow, organization, session_id)
        inputs = Payloads(ports.values, organization).pack_inputs(overrides)
        node_ids = [node.id for node in workflow.nodes]
        ports.executions.submit(
            records.submitted(execution, node_ids), session_id=session_id, execution_arn=None
        )
        return self._run_state(workflow, start_state(execution, inputs), events)

    def _run_state(
        self,
        workflow: Workflow,
        state: WorkflowState,
        events: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Run a submitted execution from the state it starts with to its final record
        (`events`: what its wait-for-event nodes are given, by node id)."""
        ports = self.ports
        execution_id, organization = state.execution.id, state.execution.organization_id
        node_ids = [node.id for node in workflow.nodes]
        if not ports.development:
            catalog = self.registry.catalog
            estimate = estimate_usage(workflow, catalog) + called_estimate(
                self._workflows, organization, called_ids(workflow), catalog
            )
            if not may_start(ports.organizations, organization, estimate):
                begin(ports, state, ExecutionStatus.EXHAUSTED, node_ids)
                stored = ports.executions.get(execution_id)
                assert stored is not None
                return stored
        plan = plan_workflow(workflow, self.registry.catalog, max_group_size=self.max_group_size)
        vaults = (self.units.secrets, self.units.integrations)
        sealed = preloaded(state, ("secrets", "integrations"), *vaults)
        state = run_state(ports, state, workflow, node_ids, sealed, len(plan.units))
        for work in _units(workflow, plan):
            if any(is_event_wait(node) for node in work.nodes):
                state = self._wait_for_event(state, work, events or {})
            else:
                state = self._run_unit(state, work)
        return finish(ports, state, node_ids)

    def _wait_for_event(
        self, state: WorkflowState, work: UnitWork, events: Mapping[str, Any]
    ) -> WorkflowState:
        """A wait-for-event node's wait, as its two tasks and the wait between them run on
        Step Functions: the event of `events` for it is delivered once it waits (else it
        waits until its timeout, `time_scale` times faster)."""
        [node] = work.nodes
        token = self.callbacks.token()
        try:
            start_waiting(self.units, state, work, token, None, self.time_scale)
        except NodeNotWaiting as refusal:  # caught into the task after the wait
            self.callbacks.wait(token, 0)
            ended: dict[str, Any] | None = {"Error": NODE_NOT_WAITING, "Cause": str(refusal)}
        else:
            if node.id in events:
                execution = state.execution
                given = events[node.id]
                try:
                    deliver_given(
                        self.ports, execution.organization_id, execution.id, node.id, given
                    )
                except Invalid as refusal:  # as local.event_delivery drops it
                    logger.warning("Not delivered to node '%s': %s", node.id, refusal.message)
            ended = self.callbacks.wait(token, wait_seconds(node) * self.time_scale)
            if ended is None:
                ended = {"Error": STATES_TIMEOUT, "Cause": "The wait for an event timed out"}
        return settle(self.units, state, work, ended, None, self.time_scale)

    def _run_unit(self, state: WorkflowState, work: UnitWork) -> WorkflowState:
        """Run a unit's task until it is done: a node with a retry policy is tried again
        after each failed attempt that leaves more, as its task's Retry rule says."""
        number = 0
        while True:
            try:
                return run_unit(self.units, state, work, None, self.time_scale)
            except NodeAttemptFailed:
                [node] = work.nodes  # a node with a retry policy is alone in its unit
                assert node.retry is not None
                number += 1
                # Step Functions' FULL jitter: a random part of the delay
                delay = random.uniform(0, retry_delay(node.retry, number))
                time.sleep(delay * self.time_scale)


class DeployedWorkflows:
    """The workflows given to an in-process engine's `deploy`, by organization and id."""

    def __init__(self) -> None:
        self._workflows: dict[tuple[str, str], StoredWorkflow] = {}

    def put(self, workflow: Workflow, organization_id: str) -> None:
        known = self._workflows.get((organization_id, workflow.id))
        now = utc_now()
        self._workflows[(organization_id, workflow.id)] = StoredWorkflow(
            organization_id=organization_id,
            id=workflow.id,
            name=workflow.name,
            version=known.version + 1 if known else 1,
            definition=workflow.to_json(),
            # none runs it (the engine does): a name in the form of one, for the records
            state_machine_arn=IN_PROCESS_MACHINE,
            created_at=known.created_at if known else now,
            updated_at=now,
        )

    def get(self, organization_id: str, workflow_id: str) -> StoredWorkflow | None:
        return self._workflows.get((organization_id, workflow_id))


@dataclass(frozen=True, kw_only=True)
class DeliveringPorts(ExecutionPorts):
    """An execution's ports, with where its waiting nodes keep their tokens and what ends
    their waits (lambdas.lifecycle.event_wait.DeliveryPorts)."""

    event_waits: MemoryEventWaits
    callbacks: MemoryCallbacks
    forms: MemoryForms


def _units(workflow: Workflow, plan: Plan) -> list[UnitWork]:
    """Each unit of the plan as its task gets it; in time linear in the workflow's size."""
    by_id = {node.id: node for node in workflow.nodes}
    wiring = Wiring(workflow, plan)
    return [
        UnitWork(
            index,
            [by_id[m] for m in unit.members],
            wiring.edges_into(unit.members),
            wiring.reads(unit.members, index),
        )
        for index, unit in enumerate(plan.units)
    ]
