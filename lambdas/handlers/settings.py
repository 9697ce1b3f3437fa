"""Handler settings from the environment: one small model per resource, composed per handler.

Each handler declares exactly what it needs by inheriting the pieces; a missing variable
fails the cold start with a message naming it. There are no default resource names.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lambdas.adapters.schema import BY_WORKFLOW, BY_WORKFLOW_SUMMARY
from lambdas.runtime.model_apis import (
    ANTHROPIC_API,
    OPENAI_API,
    TWILIO_API,
    ModelApis,
    base_url_fault,
)
from lambdas.runtime.network import NetworkPolicy
from lambdas.runtime.output_limits import MAX_EXECUTION_BYTES, MAX_OUTPUT_BYTES, OutputLimits
from statemachine.for_each import INLINE_ITEMS
from statemachine.task_functions import TaskFunctions


class HandlerSettings(BaseModel):
    """Settings made without arguments read the environment: each field from the variable
    of its name in any case (Lambda's are upper case), a field of a model type from the
    variable's JSON. Arguments take precedence; `model_validate` reads no environment.

    (pydantic-settings does this too, but importing it costs a cold start more than every
    handler's own code.)
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment(type(self)), **values})

    @classmethod
    def from_environment(cls) -> Self:
        """The settings as the environment gives them (what `cls()` makes; typed so that
        mypy's pydantic plugin does not ask for every field as an argument)."""
        return cls()


def _environment(settings: type[BaseModel]) -> dict[str, Any]:
    variables = {name.lower(): value for name, value in os.environ.items()}
    found: dict[str, Any] = {}
    for name, field in settings.model_fields.items():
        value = variables.get(name)
        if value is None:
            continue
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            try:
                found[name] = json.loads(value)
            except ValueError:
                found[name] = value  # which validation then refuses, naming the field
        else:
            found[name] = value
    return found


class Mode(HandlerSettings):
    """`development` disables credit checks and charging (SPEC §6)."""

    stepthunk_env: Literal["development", "production"] = "production"

    @property
    def development(self) -> bool:
        return self.stepthunk_env == "development"


class OutputLimitSettings(HandlerSettings):
    """The bytes node outputs may hold: one output, and all of one execution's (SPEC §5)."""

    stepthunk_max_output_bytes: int = Field(default=MAX_OUTPUT_BYTES, gt=0)
    stepthunk_max_execution_bytes: int = Field(default=MAX_EXECUTION_BYTES, gt=0)

    @property
    def output_limits(self) -> OutputLimits:
        return OutputLimits(self.stepthunk_max_output_bytes, self.stepthunk_max_execution_bytes)


# The variable NetworkAccess reads.
NETWORK_SETTING = "STEPTHUNK_ALLOW_NETWORKS"


class NetworkAccess(HandlerSettings):
    """Where nodes' requests may go besides public addresses: networks (CIDR), addresses and
    host names, comma-separated, or `*` for everywhere (lambdas.runtime.network)."""

    stepthunk_allow_networks: str = ""

    @field_validator("stepthunk_allow_networks")
    @classmethod
    def _allowlist(cls, value: str) -> str:
        NetworkPolicy.allowing(value.split(","))  # raises ValueError naming a bad entry
        return value

    @property
    def network_policy(self) -> NetworkPolicy:
        return NetworkPolicy.allowing(self.stepthunk_allow_networks.split(","))


# The variables ModelApiSettings reads.
ANTHROPIC_URL_SETTING = "STEPTHUNK_ANTHROPIC_URL"
OPENAI_URL_SETTING = "STEPTHUNK_OPENAI_URL"
TWILIO_URL_SETTING = "STEPTHUNK_TWILIO_URL"


class ModelApiSettings(HandlerSettings):
    """Where the nodes calling third-party APIs send their requests: each service's base URL
    (default: its public API)."""

    stepthunk_anthropic_url: str = ANTHROPIC_API
    stepthunk_openai_url: str = OPENAI_API
    stepthunk_twilio_url: str = TWILIO_API

    @field_validator("stepthunk_anthropic_url", "stepthunk_openai_url", "stepthunk_twilio_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        fault = base_url_fault(value)
        if fault is not None:
            raise ValueError(fault)
        return value

    @property
    def model_apis(self) -> ModelApis:
        return ModelApis(
            anthropic=self.stepthunk_anthropic_url,
            openai=self.stepthunk_openai_url,
            twilio=self.stepthunk_twilio_url,
        )


# The variable naming the executions index listings query (ExecutionsTable).
LISTING_INDEX_SETTING = "EXECUTIONS_LISTING_INDEX"


class ExecutionsTable(HandlerSettings):
    """The executions table, and the index listings query: byWorkflowSummary unless a stack
    that upgrades still keeps the byWorkflow it replaces (lambdas.adapters.schema.RETIRED)."""

    executions_table: str = Field(min_length=1)
    executions_listing_index: str = BY_WORKFLOW_SUMMARY

    @field_validator("executions_listing_index")
    @classmethod
    def _listing(cls, value: str) -> str:
        if value not in (BY_WORKFLOW_SUMMARY, BY_WORKFLOW):
            expected = f"{BY_WORKFLOW_SUMMARY} or {BY_WORKFLOW}"
            raise ValueError(f"not an index listings can query ({expected})")
        return value


class OrganizationsTable(HandlerSettings):
    organizations_table: str = Field(min_length=1)


class KmsKey(HandlerSettings):
    kms_key_id: str = Field(min_length=1)


class SecretsTable(KmsKey):
    secrets_table: str = Field(min_length=1)


class IntegrationsTable(KmsKey):
    integrations_table: str = Field(min_length=1)


class BlobBucket(HandlerSettings):
    blob_bucket: str = Field(min_length=1)


# The variable EmailSender reads (a field reads the variable of its name).
EMAIL_SETTING = "EMAIL_SENDER"


class EmailSender(HandlerSettings):
    """The address nodes send e-mail from (an SES identity); none: they cannot send."""

    email_sender: str | None = Field(default=None, min_length=3)


class Connections(HandlerSettings):
    """Where live updates go; without an endpoint they are not sent."""

    connections_table: str = Field(min_length=1)
    websocket_endpoint: str | None = None


class WorkflowsTable(HandlerSettings):
    workflows_table: str = Field(min_length=1)


class CallableWorkflows(HandlerSettings):
    """The workflows table, for a function whose run-workflow nodes run the organization's
    workflows (absent: a function that runs none, such as run-inline-group)."""

    workflows_table: str | None = Field(default=None, min_length=1)


# The variable ForEachItems reads.
FOR_EACH_SETTING = "STEPTHUNK_FOR_EACH_INLINE_ITEMS"


class ForEachItems(HandlerSettings):
    """How many items a for-each runs in an inline Map state; past it, in a Distributed Map
    (statemachine.for_each: at most INLINE_ITEMS, its default)."""

    stepthunk_for_each_inline_items: int = Field(default=INLINE_ITEMS, gt=0, le=INLINE_ITEMS)


# The variable FormsUrl reads.
FORMS_URL_SETTING = "STEPTHUNK_FORMS_URL"


class FormsUrl(HandlerSettings):
    """The base URL of the HTTP API that serves forms (/forms?token=...), for create-form
    nodes' `url` (absent: a function whose create-form nodes fail saying so)."""

    stepthunk_forms_url: str | None = Field(default=None, min_length=1)


class ApiKeysTable(HandlerSettings):
    api_keys_table: str = Field(min_length=1)


class RuntimeDeployment(HandlerSettings):
    """What deploying a workflow at run time needs: the role its state machine runs as and
    the Lambda functions its tasks call (JSON of statemachine.compiler.TaskFunctions)."""

    state_machine_role_arn: str = Field(min_length=1)
    task_functions: TaskFunctions
    # What starts the names of the state machines it deploys (IAM grants them by it).
    state_machine_prefix: str = Field(
        default="stepthunk", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$"
    )
    # Where their logs go (none: no logs), at what level, with execution data or not, and
    # whether they are traced: what the stack gives its own machines.
    state_machine_log_group_arn: str | None = Field(default=None, min_length=1)
    state_machine_log_level: Literal["ALL", "ERROR", "FATAL", "OFF"] = "ERROR"
    state_machine_log_execution_data: bool = False
    state_machine_tracing: bool = False
