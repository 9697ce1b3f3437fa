"""Handler settings from the environment: one small model per resource, composed per handler.

Each handler declares exactly what it needs by inheriting the pieces; a missing variable
fails the cold start with a message naming it. There are no default resource names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from statemachine.compiler import TaskFunctions


class HandlerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


class Mode(HandlerSettings):
    """`development` disables credit checks and charging (SPEC §6)."""

    stepthunk_env: Literal["development", "production"] = "production"

    @property
    def development(self) -> bool:
        return self.stepthunk_env == "development"


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
