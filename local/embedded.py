"""The embedded engine: the compiled state machine on the local cloud, our handlers as its tasks.

Each engine is one deployment in the process's LocalCloud (its own tables, bucket, key and
functions), so engines with different settings (development mode or credit checks) coexist.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lambdas.adapters.schema import create_tables
from lambdas.handlers import http_api, wiring
from lambdas.handlers.entry import Invocation
from lambdas.handlers.observability import logger
from lambdas.handlers.settings import BlobBucket, IntegrationsTable
from lambdas.handlers.tasks import TASKS, reads_stored, runs_nodes
from lambdas.handlers.wiring import Clients
from lambdas.lifecycle import records
from lambdas.lifecycle.deploy import compile_for, deploy_compiled
from lambdas.lifecycle.ports import CompileOptions
from lambdas.lifecycle.start import Request, start
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import Organization, StoredWorkflow
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus
from lambdas.runtime.registry import Registry
from lambdas.runtime.stored import StoredWorkflows
from local.cloud import WEBSOCKET_ENDPOINT, LocalCloud
from local.event_delivery import delivering
from local.mail import LOCAL_SENDER, SentEmail
from local.memory_events import LOCAL_FORMS_URL
from statemachine.compiler import TaskFunctions
from statemachine.errors import WorkflowValidationError
from statemachine.limits import MAX_DEFINITION_BYTES
from statemachine.model import Workflow
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE
from statemachine.validation import validated

UpdateListener = Callable[[dict[str, Any]], None]
# The deployment setting of how many items a for-each runs in an inline Map state.
INLINE_ITEMS_SETTING = "stepthunk_for_each_inline_items"
# ... and of the base URL of create-form nodes' forms.
FORMS_URL_SETTING = "stepthunk_forms_url"

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
    everywhere, as `stepthunk run` allows). LLM nodes and `twilio-sms` call the APIs
    `model_apis` names (default: the services' public APIs). A for-each runs more than
    `for_each_inline_items` items (default and most: statemachine.for_each.INLINE_ITEMS) in a
    Distributed Map, as the deployment setting STEPTHUNK_FOR_EACH_INLINE_ITEMS says.
    create-form nodes' URLs start with `forms_url` (the deployment setting
    STEPTHUNK_FORMS_URL; serve gives its own).
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
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        for_each_inline_items: int | None = None,
        forms_url: str = LOCAL_FORMS_URL,
    ) -> None:
        self.cloud = cloud or LocalCloud.shared()
        self.registry = registry or default_registry()
        self.organization_id = organization_id
        self.max_group_size = max_group_size
        self.parallel = parallel
        self.max_definition_bytes = max_definition_bytes
        self.clients = Clients(factory=self.cloud.client, listening=self.cloud.listened)
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
            model_apis,
            {FORMS_URL_SETTING: forms_url}
            | (
                {}
                if for_each_inline_items is None
                else {INLINE_ITEMS_SETTING: for_each_inline_items}
            ),
        )
        # what this engine last deployed of each (organization, workflow id): the workflow, its
        # content and the workflow as stored; a run of the same workflow (the very object, or
        # the same content) starts it again without a deploy. One deploy at a time.
        self._deployed: dict[tuple[str, str], tuple[Workflow, str, StoredWorkflow]] = {}
        self._deploying = threading.Lock()
        settings = http_api.Settings.model_validate(self.deployment.settings)
        options = CompileOptions(max_group_size, parallel, max_definition_bytes)
        self.ports = replace(
            http_api.deps_from(settings, self.clients, self.registry), compile_options=options
        )
        self.executions = self.ports.executions
        self.organizations = self.ports.organizations
        self.secrets = self.ports.secrets
        self.integrations = wiring.integrations(
            IntegrationsTable.model_validate(self.deployment.settings), self.clients
        )
        self.values = self.ports.values
        self.blobs = self.ports.blobs
        self.live_updates = wiring.live_updates(settings, self.clients)
        self.progress = self.ports.progress
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

    def deploy(self, workflow: Workflow, organization_id: str | None = None) -> str:
        """Deploy a validated workflow for the organization (default: the engine's), as the
        HTTP API deploys one (lambdas.lifecycle.deploy), unless this very content is what it
        deployed last; the ARN of the state machine version that runs it."""
        return self._stored(workflow, organization_id or self.organization_id).version_arn or ""

    def _stored(self, workflow: Workflow, organization_id: str) -> StoredWorkflow:
        known = self._deployed.get((organization_id, workflow.id))
        if known is not None and known[0] is workflow:
            return known[2]
        content = json.dumps(workflow.to_json())  # a validated workflow's keys come in one order
        with self._deploying:
            known = self._deployed.get((organization_id, workflow.id))
            if known is not None and known[1] == content:
                return known[2]
            compiled = compile_for(self.ports, organization_id, workflow)
            for key in compiled.documents:  # the one document a compile stores is the workflow
                self.deployment.stored.keep(key, workflow, self.registry.catalog)
            stored = deploy_compiled(self.ports, organization_id, workflow, compiled).workflow
            self._deployed[(organization_id, workflow.id)] = (workflow, content, stored)
            return stored

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        organization_id: str | None = None,
        execution_id: str | None = None,
        on_update: UpdateListener | None = None,
        events: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Run `workflow` to its final record, as persisted by its execution: JSON data, or a
        Workflow already validated against this engine's catalog. `events` gives
        wait-for-event nodes their event and wait-for-form nodes their answer (node id -> JSON
        value, or a Rejection), delivered through the lifecycle (as the API delivers one) once
        each waits (an answer its form refuses is not: the node waits on)."""
        organization = organization_id or self.organization_id
        execution_id = execution_id or str(uuid.uuid4())
        try:
            valid = validated(workflow, self.registry.catalog)
        except WorkflowValidationError as error:
            record = records.refused(workflow, execution_id, organization, str(error))
            self.executions.put(record)
            return record
        session_id = None
        if on_update is not None and self.live_updates is not None:
            session_id = f"session-{execution_id}"
            self.live_updates.add(session_id, session_id, organization)
            self.cloud.listen(session_id, lambda data: on_update(json.loads(data)))
        sending = None
        try:
            arn = self.start(valid, inputs, organization, execution_id, session_id)
            if events:
                sending = delivering(self.ports, organization, execution_id, events)
            status = self.cloud.wait_for_execution(arn)
        finally:
            if sending is not None:
                sending[1].set()
                sending[0].join()
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
        """Start an execution of a validated workflow, as the HTTP API starts one (its
        submitted record first: lambdas.lifecycle.start); return the execution's ARN. The
        inputs are validated by Initialize, as on a machine started by hand.

        Live updates go to the WebSocket connections of `session_id`, if given.
        """
        payloads = Payloads(self.values, organization_id)
        packed = payloads.pack_inputs(inputs) if isinstance(inputs, dict) else (inputs or {})
        stored = self._stored(workflow, organization_id)
        request = Request(session_id=session_id, execution_id=execution_id)
        started = start(self.ports, stored, request, packed)
        return started.execution_arn or ""

    def record(self, execution_id: str) -> ExecutionRecord:
        """The persisted record of an execution, every value in place."""
        record = self.executions.get(execution_id)
        if record is None:
            raise LookupError(f"No record of execution {execution_id}")
        return Payloads(self.values, record.organization_id).loaded_record(record)


UNFINISHED = (ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING)


class EngineFailure(RuntimeError):
    """An execution ended in a way stepthunk's state machine never should (a defect)."""


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
    model_apis: ModelApis,
    more_settings: Mapping[str, Any],
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
        "stepthunk_anthropic_url": model_apis.anthropic,
        "stepthunk_openai_url": model_apis.openai,
        "stepthunk_twilio_url": model_apis.twilio,
        **more_settings,
    }
    if email_sender is not None:
        settings["email_sender"] = email_sender
        cloud.email_senders.add(email_sender)
    # The functions run in this process: they share the workflows stored by content, each
    # read and validated once (on AWS, once per function instance).
    stored = StoredWorkflows(wiring.values(BlobBucket.model_validate(settings), clients))
    arns = {
        task: cloud.add_function(f"{prefix}-{task.replace('_', '-')}", call)
        for task, call in task_calls(settings, clients, registry, stored, cloud).items()
    }
    functions = TaskFunctions(**arns)
    # What the HTTP API needs to deploy workflows at run time, as CDK would give it.
    settings |= {
        "state_machine_role_arn": cloud.role_arn,
        "task_functions": functions.to_json(),
        "state_machine_prefix": prefix,
    }
    return Deployment(prefix=prefix, settings=settings, functions=functions, stored=stored)


TaskCall = Callable[[dict[str, Any], float], dict[str, Any]]


def task_calls(
    settings: Mapping[str, Any],
    clients: Clients,
    registry: Registry,
    stored: StoredWorkflows,
    cloud: LocalCloud,
) -> dict[str, TaskCall]:
    """The task functions of the deployment of `settings`, by task, their requests made
    with `clients`, run at `cloud`'s time scale: each answers `call(event, deadline)`."""
    calls = {}
    for task, module in TASKS.items():
        handler_settings = module.Settings.model_validate(settings)
        extras: dict[str, Any] = {"stored": stored} if reads_stored(module) else {}
        deps = (
            module.deps_from(handler_settings, clients, registry, **extras)
            if runs_nodes(module)
            else module.deps_from(handler_settings, clients, **extras)
        )
        calls[task] = _caller(task, module.process, deps, cloud)
    return calls


def _caller(
    task: str, process: Callable[..., dict[str, Any]], deps: Any, cloud: LocalCloud
) -> TaskCall:
    """The function standing in for a task's Lambda; at DEBUG it logs each invocation, as
    Lambda's START and END lines show them in CloudWatch. Nodes' timeouts run out at the
    cloud's time scale, as its Wait states and retry delays do."""

    def call(event: dict[str, Any], deadline: float) -> dict[str, Any]:
        state = event.get("state")
        execution = state.get("execution", {}) if isinstance(state, dict) else {}
        context = {"task": task, "executionId": execution.get("id")}
        logger.debug("Task invoked", extra=context)
        started = time.monotonic()
        try:
            invocation = Invocation(deadline=deadline, time_scale=cloud.time_scale)
            result = process(event, deps, invocation)
        except Exception as error:
            logger.debug("Task failed", extra={**context, "error": type(error).__name__})
            raise
        elapsed = round((time.monotonic() - started) * 1000, 1)
        logger.debug("Task ended", extra={**context, "durationMs": elapsed})
        return result

    return call
