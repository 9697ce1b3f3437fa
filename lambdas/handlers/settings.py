"""Handler settings from the environment: one small model per resource, composed per handler.

Each handler declares exactly what it needs by inheriting the pieces; a missing variable
fails the cold start with a message naming it. There are no default resource names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambdas.runtime.output_limits import MAX_EXECUTION_BYTES, MAX_OUTPUT_BYTES, OutputLimits
from statemachine.task_functions import TaskFunctions


class HandlerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


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


class ExecutionsTable(HandlerSettings):
    executions_table: str = Field(min_length=1)


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


class Connections(HandlerSettings):
    """Where live updates go; without an endpoint they are not sent."""

    connections_table: str = Field(min_length=1)
    websocket_endpoint: str | None = None


class WorkflowsTable(HandlerSettings):
    workflows_table: str = Field(min_length=1)


class ApiKeysTable(HandlerSettings):
    api_keys_table: str = Field(min_length=1)


class RuntimeDeployment(HandlerSettings):
    """What deploying a workflow at run time needs: the role its state machine runs as and
    the Lambda functions its tasks call (JSON of statemachine.compiler.TaskFunctions)."""

    state_machine_role_arn: str = Field(min_length=1)
    task_functions: TaskFunctions
