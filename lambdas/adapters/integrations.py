"""OAuth integrations in DynamoDB, their tokens KMS-encrypted, refreshed when about to expire.

The access token, refresh token and client secret are encrypted together as one JSON value,
bound by the encryption context to the organization and the integration. Descriptive fields
(provider, token endpoint, client id, expiry) stay readable so that the sealed form can say
when a token needs refreshing without decrypting it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.adapters.kms_secrets import OWNER_CONTEXT_KEY
from lambdas.runtime.record import iso_utc
from lambdas.runtime.store_errors import (
    IntegrationMissing,
    IntegrationRefreshFailed,
    SealedValueRefused,
    ValueTooLarge,
)
from statemachine import quotas

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
    from mypy_boto3_kms import KMSClient

# A token this close to its expiry is refreshed first: it could expire mid-request.
REFRESH_MARGIN = timedelta(seconds=60)
# OAuth 2.0 makes expires_in optional; without it a token is assumed to last an hour.
DEFAULT_LIFETIME_SECONDS = 3600
SECRET_FIELDS = ("accessToken", "refreshToken", "clientSecret")
DESCRIPTIVE_FIELDS = ("provider", "tokenEndpoint", "clientId", "expiresAt")

Item = dict[str, "AttributeValueTypeDef"]


def now() -> datetime:
    return datetime.now(UTC)


def encryption_context(organization_id: str, integration_id: str) -> dict[str, str]:
    return {OWNER_CONTEXT_KEY: organization_id, "integrationId": integration_id}


class KmsIntegrationVault:
    """IntegrationVault on the integrations table (organizationId, id) and a KMS key.

    `http` makes the client that reaches the providers' token endpoints, when a token is first
    refreshed (a start need not import the HTTP client); `clock` decides what has expired.
    """

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        kms: KMSClient,
        key_id: str,
        http: Callable[[], httpx.Client],
        clock: Callable[[], datetime] = now,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._kms = kms
        self._key_id = key_id
        self._http = http
        self._clock = clock

    def put(self, organization_id: str, integration: Mapping[str, Any]) -> None:
        """Store an integration; `id`, `provider` and `accessToken` are required, and
        without `expiresAt` (plus `refreshToken` and `tokenEndpoint`) it is never refreshed."""
        integration_id = _required(integration, "id")
        _required(integration, "provider")
        _required(integration, "accessToken")
        tokens = {k: integration[k] for k in SECRET_FIELDS if integration.get(k) is not None}
        item: Item = {
            "organizationId": {"S": organization_id},
            "id": {"S": integration_id},
            "ciphertext": {"B": self._encrypt(organization_id, integration_id, tokens)},
            "updatedAt": {"S": iso_utc(self._clock())},
        }
        for field in DESCRIPTIVE_FIELDS:
            value = integration.get(field)
            if value is not None:
                text = iso_utc(_parse_time(value)) if field == "expiresAt" else str(value)
                item[field] = {"S": text}
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(TableName=self._table, Item=item)

    def sealed(self, organization_id: str) -> dict[str, dict[str, Any]]:
        """id -> {id, provider, tokenEndpoint, clientId, expiresAt, ciphertext (base64)}."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="organizationId = :organization",
            ExpressionAttributeValues={":organization": {"S": organization_id}},
        )
        sealed: dict[str, dict[str, Any]] = {}
        with translated(f"Query {self._table}"):
            for page in pages:
                for item in page.get("Items", []):
                    form = _sealed_form(item)
                    sealed[form["id"]] = form
        return sealed

    def open(self, organization_id: str, sealed: Mapping[str, Any]) -> dict[str, Any]:
        """{id, provider, accessToken, expiresAt}, refreshing (and storing) a token that
        expires within REFRESH_MARGIN first."""
        integration_id = str(sealed.get("id", ""))
        if not self._expiring(sealed.get("expiresAt")):
            tokens = self._decrypt(organization_id, integration_id, sealed.get("ciphertext"))
            return _opened(sealed, tokens)
        # The sealed form was preloaded when the execution started: another execution may
        # have refreshed since (and a provider may have rotated the refresh token).
        current = _sealed_form(self._load(organization_id, integration_id))
        tokens = self._decrypt(organization_id, integration_id, current["ciphertext"])
        if self._expiring(current.get("expiresAt")):
            return self._refresh(organization_id, current, tokens)
        return _opened(current, tokens)

    def _refresh(
        self, organization_id: str, current: Mapping[str, Any], tokens: Mapping[str, Any]
    ) -> dict[str, Any]:
        integration_id = str(current["id"])
        endpoint, refresh_token = current.get("tokenEndpoint"), tokens.get("refreshToken")
        if not endpoint or not refresh_token:
            raise IntegrationRefreshFailed(integration_id, None, "no refresh token or endpoint")
        form = {"grant_type": "refresh_token", "refresh_token": str(refresh_token)}
        if current.get("clientId"):
            form["client_id"] = str(current["clientId"])
        if tokens.get("clientSecret"):
            form["client_secret"] = str(tokens["clientSecret"])
        access_token, lifetime, rotated = _request_token(
            self._http(), integration_id, str(endpoint), form
        )
        renewed = {**tokens, "accessToken": access_token}
        if rotated:
            renewed["refreshToken"] = rotated
        moment = self._clock()
        expires_at = iso_utc(moment + timedelta(seconds=lifetime))
        ciphertext = self._encrypt(organization_id, integration_id, renewed)
        with translated(f"UpdateItem {self._table}"):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"organizationId": {"S": organization_id}, "id": {"S": integration_id}},
                    UpdateExpression="SET ciphertext = :c, expiresAt = :e, updatedAt = :u",
                    ConditionExpression="attribute_exists(organizationId)",
                    ExpressionAttributeValues={
                        ":c": {"B": ciphertext},
                        ":e": {"S": expires_at},
                        ":u": {"S": iso_utc(moment)},
                    },
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    raise _missing(integration_id) from error
                raise
        return _opened({**current, "expiresAt": expires_at}, renewed)

    def _expiring(self, expires_at: Any) -> bool:
        if not expires_at:
            return False
        return _parse_time(expires_at) - self._clock() <= REFRESH_MARGIN

    def _load(self, organization_id: str, integration_id: str) -> Item:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"organizationId": {"S": organization_id}, "id": {"S": integration_id}},
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            raise _missing(integration_id)
        return item

    def _encrypt(
        self, organization_id: str, integration_id: str, tokens: Mapping[str, Any]
    ) -> bytes:
        data = json.dumps(tokens, separators=(",", ":")).encode("utf-8")
        action = f"Encrypt integration '{integration_id}'"
        if len(data) > quotas.KMS_PLAINTEXT_BYTES:
            raise ValueTooLarge(
                f"Tokens of integration '{integration_id}' are {len(data)} bytes; "
                f"at most {quotas.KMS_PLAINTEXT_BYTES} are allowed",
                action=action,
            )
        with translated(action):
            return self._kms.encrypt(
                KeyId=self._key_id,
                Plaintext=data,
                EncryptionContext=encryption_context(organization_id, integration_id),
            )["CiphertextBlob"]

    def _decrypt(self, organization_id: str, integration_id: str, sealed: Any) -> dict[str, Any]:
        action = f"Decrypt integration '{integration_id}' of organization '{organization_id}'"
        try:
            ciphertext = base64.b64decode(str(sealed), validate=True)
        except (binascii.Error, ValueError) as error:
            raise SealedValueRefused(f"{action}: not a sealed value", action=action) from error
        with translated(action):
            plaintext = self._kms.decrypt(
                KeyId=self._key_id,
                CiphertextBlob=ciphertext,
                EncryptionContext=encryption_context(organization_id, integration_id),
            )["Plaintext"]
        tokens: dict[str, Any] = json.loads(plaintext)
        return tokens


def _request_token(
    http: httpx.Client, integration_id: str, endpoint: str, form: Mapping[str, str]
) -> tuple[str, int, str | None]:
    """(access token, lifetime in seconds, rotated refresh token) from a refresh_token grant.

    Failures name the integration and the HTTP status only: a token endpoint's body may
    echo the tokens it was sent.
    """
    import httpx  # loaded by then: `http` is its client (a cold start need not import it)

    try:
        response = http.post(endpoint, data=dict(form), headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise IntegrationRefreshFailed(
            integration_id, None, f"token endpoint unreachable ({type(error).__name__})"
        ) from error
    status = response.status_code
    if not response.is_success:
        raise IntegrationRefreshFailed(integration_id, status, f"HTTP {status}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    access_token, rotated = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access_token, str) or not access_token:
        raise IntegrationRefreshFailed(integration_id, status, f"HTTP {status} without a token")
    rotated = rotated if isinstance(rotated, str) and rotated else None
    return access_token, _lifetime(answer.get("expires_in")), rotated


def _lifetime(expires_in: Any) -> int:
    try:
        seconds = int(float(expires_in))
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_SECONDS
    return max(seconds, 0)


def _sealed_form(item: Mapping[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {"id": item["id"]["S"]}
    for field in DESCRIPTIVE_FIELDS:
        if field in item:
            form[field] = item[field]["S"]
    form["ciphertext"] = base64.b64encode(bytes(item["ciphertext"]["B"])).decode("ascii")
    return form


def _opened(form: Mapping[str, Any], tokens: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": form.get("id"),
        "provider": form.get("provider"),
        "accessToken": tokens.get("accessToken"),
        "expiresAt": form.get("expiresAt"),
    }


def _missing(integration_id: str) -> IntegrationMissing:
    return IntegrationMissing(
        f"Integration '{integration_id}' no longer exists", action="RefreshToken"
    )


def _required(integration: Mapping[str, Any], field: str) -> str:
    value = integration.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"Integration field '{field}' is required")
    return value


def _parse_time(value: Any) -> datetime:
    """An ISO-8601 instant; one without a zone is taken as UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
