"""The composition root: boto3 clients and the adapters built on them, from settings.

Only this module (and the local engine) creates boto3 clients; handlers receive adapters.
boto3 and httpx load with the first client a handler makes (when it builds its deps on its
first event), not when the handler is imported: a cold start's import need not pay for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from lambdas.adapters.api_keys import DynamoApiKeyStore, RememberedApiKeys
from lambdas.adapters.connections import ApiGatewayLiveUpdates
from lambdas.adapters.event_waits import DynamoEventWaits, StepFunctionsCallbacks
from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.adapters.forms import DynamoForms
from lambdas.adapters.integrations import KmsIntegrationVault
from lambdas.adapters.kms_secrets import KmsSecretVault
from lambdas.adapters.mail import SesMailer
from lambdas.adapters.objects import S3BlobStore, S3ValueStore
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.adapters.progress import DynamoProgressStore
from lambdas.adapters.state_machines import Observability, StepFunctionsMachines
from lambdas.adapters.workflows import DynamoWorkflowStore
from lambdas.handlers.settings import (
    ApiKeysTable,
    BlobBucket,
    Connections,
    EmailSender,
    ExecutionsTable,
    IntegrationsTable,
    OrganizationsTable,
    RuntimeDeployment,
    SecretsTable,
    WorkflowsTable,
)
from lambdas.runtime.blobs import BlobStore
from lambdas.runtime.mail import NO_MAIL, Mailer

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

ClientFactory = Callable[..., Any]


def boto3_client(service: str, **settings: Any) -> Any:
    """boto3.client: a client of `service` from boto3's default session."""
    import boto3

    make: ClientFactory = boto3.client  # typed per service name, which is a variable here
    return make(service, **settings)


class OnFirstUse:
    """An object (a client) made when one of its attributes is first read."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
        return getattr(self._made, name)


class Clients:
    """boto3 clients, each created once; `factory` is boto3.client on AWS. `listening`: see
    ApiGatewayLiveUpdates (None on AWS, where the WebSocket clients are API Gateway's)."""

    def __init__(
        self, factory: ClientFactory = boto3_client, listening: Callable[[], bool] | None = None
    ) -> None:
        self._factory = factory
        self.listening = listening

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._factory("dynamodb")
        return client

    @cached_property
    def s3(self) -> S3Client:
        # made when first used: S3 holds only large values, blobs and large records, and its
        # API model is the largest a function reads (0.1 s) — most executions never need it
        client: S3Client = cast("S3Client", OnFirstUse(lambda: self._factory("s3")))
        return client

    @cached_property
    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self._factory("stepfunctions")
        return client

    @cached_property
    def kms(self) -> KMSClient:
        client: KMSClient = self._factory("kms")
        return client

    @cached_property
    def sesv2(self) -> Any:
        # made when a node first sends e-mail: most executions send none
        return OnFirstUse(lambda: self._factory("sesv2"))

    def management_api(self, endpoint: str) -> Any:
        return self._factory("apigatewaymanagementapi", endpoint_url=endpoint)

    @cached_property
    def http(self) -> httpx.Client:
        import httpx

        # Like `fetch`, token refreshes never follow proxy settings from the environment.
        return httpx.Client(timeout=10.0, trust_env=False)


def executions(
    settings: ExecutionsTable, blobs: BlobBucket, clients: Clients
) -> DynamoExecutionStore:
    return DynamoExecutionStore(
        clients.dynamodb,
        settings.executions_table,
        clients.s3,
        blobs.blob_bucket,
        listing_index=settings.executions_listing_index,
    )


def progress(settings: ExecutionsTable, clients: Clients) -> DynamoProgressStore:
    return DynamoProgressStore(clients.dynamodb, settings.executions_table)


def event_waits(settings: ExecutionsTable, clients: Clients) -> DynamoEventWaits:
    return DynamoEventWaits(clients.dynamodb, settings.executions_table)


def forms(settings: ExecutionsTable, clients: Clients) -> DynamoForms:
    return DynamoForms(clients.dynamodb, settings.executions_table)


def callbacks(clients: Clients) -> StepFunctionsCallbacks:
    return StepFunctionsCallbacks(clients.stepfunctions)


def organizations(settings: OrganizationsTable, clients: Clients) -> DynamoOrganizationStore:
    return DynamoOrganizationStore(clients.dynamodb, settings.organizations_table)


def secrets(settings: SecretsTable, clients: Clients) -> KmsSecretVault:
    return KmsSecretVault(
        clients.dynamodb, settings.secrets_table, clients.kms, settings.kms_key_id
    )


def integrations(settings: IntegrationsTable, clients: Clients) -> KmsIntegrationVault:
    return KmsIntegrationVault(
        clients.dynamodb,
        settings.integrations_table,
        clients.kms,
        settings.kms_key_id,
        lambda: clients.http,
    )


def mailer(settings: EmailSender, clients: Clients) -> Mailer:
    if settings.email_sender is None:
        return NO_MAIL
    return SesMailer(clients.sesv2, settings.email_sender)


def values(settings: BlobBucket, clients: Clients) -> S3ValueStore:
    return S3ValueStore(clients.s3, settings.blob_bucket)


def blobs(settings: BlobBucket, clients: Clients) -> Callable[[str], BlobStore]:
    """A blob store per organization (blobs are kept apart by organization)."""

    def for_organization(organization_id: str) -> BlobStore:
        return S3BlobStore(clients.s3, settings.blob_bucket, organization_id)

    return for_organization


def live_updates(settings: Connections, clients: Clients) -> ApiGatewayLiveUpdates | None:
    if not settings.websocket_endpoint:
        return None
    return ApiGatewayLiveUpdates(
        clients.dynamodb,
        settings.connections_table,
        clients.management_api(settings.websocket_endpoint),
        listening=clients.listening,
    )


def workflows(settings: WorkflowsTable, blobs: BlobBucket, clients: Clients) -> DynamoWorkflowStore:
    return DynamoWorkflowStore(
        clients.dynamodb, settings.workflows_table, clients.s3, blobs.blob_bucket
    )


def api_keys(settings: ApiKeysTable, clients: Clients) -> RememberedApiKeys:
    return RememberedApiKeys(DynamoApiKeyStore(clients.dynamodb, settings.api_keys_table))


def machines(settings: RuntimeDeployment, clients: Clients) -> StepFunctionsMachines:
    observability = Observability(
        log_group_arn=settings.state_machine_log_group_arn,
        log_level=settings.state_machine_log_level,
        include_execution_data=settings.state_machine_log_execution_data,
        tracing=settings.state_machine_tracing,
    )
    return StepFunctionsMachines(clients.stepfunctions, observability)
