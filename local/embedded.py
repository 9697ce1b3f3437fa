"""The embedded engine: the compiled state machine on the local cloud, our handlers as its tasks.

Each engine is one deployment in the process's LocalCloud (its own tables, bucket, key and
functions), so engines with different settings (development mode or credit checks) coexist.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.adapters.schema import create_tables
from lambdas.handlers import wiring
from lambdas.handlers.entry import Invocation
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import (
    BlobBucket,
    Connections,
    ExecutionsTable,
    IntegrationsTable,
    Mode,
    OrganizationsTable,
    SecretsTable,
)
from lambdas.handlers.tasks import TASKS, reads_stored, runs_nodes
from lambdas.handlers.wiring import Clients
from lambdas.lifecycle import records
from lambdas.lifecycle.start import context_of, start_state
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import Organization
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus
from lambdas.runtime.registry import Registry
from lambdas.runtime.stored import StoredWorkflows
from local.cloud import ACCOUNT, REGION, WEBSOCKET_ENDPOINT, LocalCloud
from local.mail import LOCAL_SENDER, SentEmail
from statemachine.asl import definition_json
from statemachine.compiler import TaskFunctions, compile_machines, machine_type
from statemachine.errors import WorkflowValidationError
from statemachine.limits import MAX_DEFINITION_BYTES
from statemachine.model import Workflow
from statemachine.parts import MAX_MACHINE_NAME_LENGTH, part_machine_name
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE
from statemachine.validation import validate_workflow

UpdateListener = Callable[[dict[str, Any]], None]

# logical table name -> the setting that names it
TABLE_SETTINGS = {
    "executions": "executions_table",
    "organizations": "organizations_table",
    "secrets": "secrets_table",
    "integrations": "integrations_table",
    "connections": "connections_table",
    "workflows": "workflows_table",
    "apiKeys": "api_keys_table",
}


@dataclass(frozen=True)
class Deployment:
    """The resources of one engine in the local cloud, named like a CDK stage would."""

    prefix: str
    settings: dict[str, Any]
    functions: TaskFunctions
    stored: StoredWorkflows  # the workflows stored by content, as the functions read them


class EmbeddedEngine:
    """Runs workflows as Step Functions executions of their compiled state machines.

    Without `credits` the deployment is in development mode (no credit checks or charges),
    as SPEC §6 says of the embedded engine; with it, the organization gets that many credits.
    `prefix` names the deployment's resources (default: unique) and `kms_key_id` is an existing
    key to encrypt secrets with (default: a new one), so that a deployment whose data was saved
    can be created again under the same names (local/snapshot.py). `limits` caps the data of
    node outputs, per output and per execution, as a deployment's settings do. Nodes' requests
    reach public addresses and what `allow_networks` names (lambdas.runtime.network; `*`:
    everywhere, as `stepthunk run` allows).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        organization_id: str = "dev",
        secrets: Mapping[str, str] | None = None,
        integrations: list[Mapping[str, Any]] | None = None,
        credits: int | None = None,
        max_group_size: int = DEFAULT_MAX_GROUP_SIZE,
        parallel: bool | None = None,
        max_definition_bytes: int = MAX_DEFINITION_BYTES,
        cloud: LocalCloud | None = None,
        prefix: str | None = None,
        kms_key_id: str | None = None,
        limits: OutputLimits | None = None,
        email_sender: str | None = LOCAL_SENDER,
        allow_networks: Sequence[str] = (),
    ) -> None:
        self.cloud = cloud or LocalCloud.shared()
        self.registry = registry or default_registry()
        self.organization_id = organization_id
        self.max_group_size = max_group_size
        self.parallel = parallel
        self.max_definition_bytes = max_definition_bytes
        self.clients = Clients(factory=self.cloud.client)
        self.deployment = _deploy(
            self.cloud,
            self.clients,
            self.registry,
            credits is None,
            prefix,
            kms_key_id,
            limits or OutputLimits(),
            email_sender,
            allow_networks,
        )
        self._state_machines: dict[str, str] = {}
        # the workflow deployed last and its machine: its run deploys that very (immutable)
        # object again, found without dumping it
        self._last_deployed: tuple[Workflow, str] | None = None
        settings = _AllSettings.model_validate(self.deployment.settings)
        self.executions = wiring.executions(settings, settings, self.clients)
        self.organizations = wiring.organizations(settings, self.clients)
        self.secrets = wiring.secrets(settings, self.clients)
        self.integrations = wiring.integrations(settings, self.clients)
        self.values = wiring.values(settings, self.clients)
        self.blobs = wiring.blobs(settings, self.clients)
        self.live_updates = wiring.live_updates(settings, self.clients)
        self.progress = wiring.progress(settings, self.clients)
        if credits is not None:
            self.set_credits(organization_id, credits)
        for name, plaintext in (secrets or {}).items():
            self.secrets.put(organization_id, name, plaintext)
        for integration in integrations or []:
            self.integrations.put(organization_id, integration)

    def put_blob(self, blob: Blob, organization_id: str | None = None) -> dict[str, Any]:
        """Store a file for a run's blob input, as POST /blobs does; its reference."""
        return self.blobs(organization_id or self.organization_id).put(blob)

    def sent_emails(self) -> list[SentEmail]:
        """The messages nodes sent through moto's SES (of every engine of this process)."""
        return self.cloud.sent_emails()

    def set_credits(self, organization_id: str, credits: int, usage: int = 0) -> None:
        self.organizations.put(
            Organization(id=organization_id, compute_credits=credits, usage=usage)
        )

    def deploy(self, workflow: Workflow) -> str:
        """The ARN of the workflow's state machine, created (with its parts, when it needs
        more than one machine) the first time the workflow is deployed with these options."""
        if self._last_deployed is not None and self._last_deployed[0] is workflow:
            return self._last_deployed[1]
        key = json.dumps(workflow.to_json())  # a validated workflow's keys come in one order
        if key not in self._state_machines:
            name = f"{self.deployment.prefix}-{_safe(workflow.id)}-{len(self._state_machines)}"
            name = name[:MAX_MACHINE_NAME_LENGTH]
            compiled = compile_machines(
                workflow,
                self.registry.catalog,
                self.deployment.functions,
                part_arn=lambda number: self._arn(part_machine_name(name, number)),
                max_group_size=self.max_group_size,
                parallel=self.parallel,
                max_definition_bytes=self.max_definition_bytes,
            )
            for document, data in compiled.documents.items():
                self.values.put_document(document, data)
                # the one document a compile stores is the workflow itself
                self.deployment.stored.keep(document, workflow, self.registry.catalog)
            for number, part in enumerate(compiled.parts, 1):
                self._create(part_machine_name(name, number), part)
            kind = machine_type(workflow)
            self._state_machines[key] = self._create(name, compiled.definition, kind)
        self._last_deployed = (workflow, self._state_machines[key])
        return self._state_machines[key]

    def _create(self, name: str, definition: dict[str, Any], kind: str = "STANDARD") -> str:
        created = self.cloud.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition_json(definition),
            roleArn=self.cloud.role_arn,
            type=kind,
        )
        arn: str = created["stateMachineArn"]
        return arn

    @staticmethod
    def _arn(name: str) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        organization_id: str | None = None,
        execution_id: str | None = None,
        on_update: UpdateListener | None = None,
    ) -> ExecutionRecord:
        """Run `workflow` to its final record, as persisted by its execution: JSON data, or a
        Workflow already validated against this engine's catalog."""
        organization = organization_id or self.organization_id
        execution_id = execution_id or str(uuid.uuid4())
        try:
            valid = (
                workflow
                if isinstance(workflow, Workflow)
                else validate_workflow(workflow, self.registry.catalog)
            )
        except WorkflowValidationError as error:
            record = records.refused(workflow, execution_id, organization, str(error))
            self.executions.put(record)
            return record
        session_id = None
        if on_update is not None and self.live_updates is not None:
            session_id = f"session-{execution_id}"
            self.live_updates.add(session_id, session_id, organization)
            self.cloud.listen(session_id, lambda data: on_update(json.loads(data)))
        try:
            arn = self.start(valid, inputs, organization, execution_id, session_id)
            status = self.cloud.wait_for_execution(arn)
        finally:
            if session_id is not None and self.live_updates is not None:
                self.cloud.listen(session_id, None)
                self.live_updates.remove(session_id)
        record = self.record(execution_id)
        if status == "FAILED" and record.status in UNFINISHED:
            # Finalize never ran. A Finalize that failed past its retries leaves the record
            # unfinished on AWS too; Step Functions' own terminal errors (a state over its
            # size quota) mean the compiled machine is wrong: say so.
            execution = self.cloud.execution(arn)
            failure = str(execution.error or "")
            if failure.startswith("States."):
                raise EngineFailure(
                    f"The execution failed without its final record: {failure}: "
                    f"{execution.cause or ''}"
                )
        return record

    def start(
        self,
        workflow: Workflow,
        inputs: Any,
        organization_id: str,
        execution_id: str,
        session_id: str | None = None,
    ) -> str:
        """Start an execution of a validated workflow; return the execution's ARN.

        Live updates go to the WebSocket connections of `session_id`, if given.
        """
        payloads = Payloads(self.values, organization_id)
        packed = payloads.pack_inputs(inputs) if isinstance(inputs, dict) else (inputs or {})
        execution = context_of(execution_id, workflow, organization_id, session_id)
        state = start_state(execution, packed).to_json()
        started = self.cloud.client("stepfunctions").start_execution(
            stateMachineArn=self.deploy(workflow), name=execution_id, input=json.dumps(state)
        )
        return str(started["executionArn"])

    def record(self, execution_id: str) -> ExecutionRecord:
        """The persisted record of an execution, every value in place."""
        record = self.executions.get(execution_id)
        if record is None:
            raise LookupError(f"No record of execution {execution_id}")
        return Payloads(self.values, record.organization_id).loaded_record(record)


UNFINISHED = (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING)


class EngineFailure(RuntimeError):
    """An execution ended in a way stepthunk's state machine never should (a defect)."""


class _AllSettings(
    ExecutionsTable,
    OrganizationsTable,
    SecretsTable,
    IntegrationsTable,
    BlobBucket,
    Connections,
    Mode,
):
    """Every setting a handler reads, to build the engine's own adapters."""


def _deploy(
    cloud: LocalCloud,
    clients: Clients,
    registry: Registry,
    development: bool,
    prefix: str | None,
    kms_key_id: str | None,
    limits: OutputLimits,
    email_sender: str | None,
    allow_networks: Sequence[str],
) -> Deployment:
    prefix = prefix or f"stepthunk-{uuid.uuid4().hex[:8]}"
    tables = {name: f"{prefix}-{name}" for name in TABLE_SETTINGS}
    create_tables(clients.dynamodb, tables)
    bucket = f"{prefix}-blobs"
    cloud.create_bucket(bucket)
    key = (
        kms_key_id
        or clients.kms.create_key(Description=f"{prefix} secrets")["KeyMetadata"]["KeyId"]
    )
    settings: dict[str, Any] = {TABLE_SETTINGS[name]: table for name, table in tables.items()}
    settings |= {
        "blob_bucket": bucket,
        "kms_key_id": key,
        "websocket_endpoint": WEBSOCKET_ENDPOINT,
        "stepthunk_env": "development" if development else "production",
        "stepthunk_max_output_bytes": limits.per_output,
        "stepthunk_max_execution_bytes": limits.per_execution,
        "stepthunk_allow_networks": ",".join(allow_networks),
    }
    if email_sender is not None:
        settings["email_sender"] = email_sender
        cloud.email_senders.add(email_sender)
    # The functions run in this process: they share the workflows stored by content, each
    # read and validated once (on AWS, once per function instance).
    stored = StoredWorkflows(wiring.values(BlobBucket.model_validate(settings), clients))
    arns = {}
    for task, module in TASKS.items():
        handler_settings = module.Settings.model_validate(settings)
        extras: dict[str, Any] = {"stored": stored} if reads_stored(module) else {}
        deps = (
            module.deps_from(handler_settings, clients, registry, **extras)
            if runs_nodes(module)
            else module.deps_from(handler_settings, clients, **extras)
        )
        name = f"{prefix}-{task.replace('_', '-')}"
        arns[task] = cloud.add_function(name, _caller(task, module.process, deps))
    functions = TaskFunctions(**arns)
    # What the HTTP API needs to deploy workflows at run time, as CDK would give it.
    settings |= {"state_machine_role_arn": cloud.role_arn, "task_functions": functions.to_json()}
    return Deployment(prefix=prefix, settings=settings, functions=functions, stored=stored)


def _caller(
    task: str, process: Callable[..., dict[str, Any]], deps: Any
) -> Callable[[dict[str, Any], float], dict[str, Any]]:
    """The function standing in for a task's Lambda; at DEBUG it logs each invocation, as
    Lambda's START and END lines show them in CloudWatch."""

    def call(event: dict[str, Any], deadline: float) -> dict[str, Any]:
        state = event.get("state")
        execution = state.get("execution", {}) if isinstance(state, dict) else {}
        context = {"task": task, "executionId": execution.get("id")}
        logger.debug("Task invoked", extra=context)
        started = time.monotonic()
        try:
            result = process(event, deps, Invocation(deadline=deadline))
        except Exception as error:
            logger.debug("Task failed", extra={**context, "error": type(error).__name__})
            raise
        elapsed = round((time.monotonic() - started) * 1000, 1)
        logger.debug("Task ended", extra={**context, "durationMs": elapsed})
        return result

    return call


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:40]
