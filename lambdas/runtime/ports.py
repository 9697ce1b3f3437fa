"""What the handlers need from storage and messaging, as protocols the adapters implement.

Keeping these here (pure) lets handlers be tested with any implementation and keeps boto3
out of everything but `lambdas/adapters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from lambdas.runtime.record import ExecutionRecord
from statemachine.model import WireModel


class Organization(WireModel):
    """An organization's credit account."""

    id: str
    compute_credits: int
    usage: int = 0


class ExecutionStore(Protocol):
    """Execution records by id (DynamoDB; a large record's body lives in S3)."""

    def put(self, record: ExecutionRecord, *, session_id: str | None = None) -> None:
        """Store `record`. Idempotent; a final record is never replaced by a non-final one."""
        ...

    def get(self, execution_id: str) -> ExecutionRecord | None:
        """The record as stored (large values still by reference), or None."""
        ...


class OrganizationStore(Protocol):
    """Organizations' credits and the ledger of what each execution was charged."""

    def get(self, organization_id: str) -> Organization | None: ...

    def put(self, organization: Organization) -> None: ...

    def charge(self, organization_id: str, execution_id: str, usage: int) -> bool:
        """Add `usage` to the organization's usage once per execution, atomically.

        Returns False (and changes nothing) when this execution was already charged.
        """
        ...


class SecretVault(Protocol):
    """Secrets encrypted at rest (KMS, the organization id as encryption context)."""

    def put(self, organization_id: str, name: str, plaintext: str) -> None: ...

    def delete(self, organization_id: str, name: str) -> bool: ...

    def names(self, organization_id: str) -> list[str]: ...

    def sealed(self, organization_id: str) -> dict[str, str]:
        """Every secret of the organization, name -> sealed (encrypted) value."""
        ...

    def open(self, organization_id: str, sealed: str) -> str:
        """The plaintext of one sealed value; only node tasks call this."""
        ...


class IntegrationVault(Protocol):
    """Third-party integrations (OAuth tokens), encrypted like secrets."""

    def put(self, organization_id: str, integration: Mapping[str, Any]) -> None:
        """Store an integration: `id`, `provider`, `accessToken`, `refreshToken`,
        `expiresAt` (ISO-8601), `tokenEndpoint`, `clientId`, `clientSecret`."""
        ...

    def sealed(self, organization_id: str) -> dict[str, dict[str, Any]]:
        """Every integration of the organization, id -> sealed form (no plaintext token)."""
        ...

    def open(self, organization_id: str, sealed: Mapping[str, Any]) -> dict[str, Any]:
        """`{id, provider, accessToken, expiresAt}`, refreshing an expired token through
        the provider's token endpoint (and storing the new one) first."""
        ...


class ValueStore(Protocol):
    """Large values moved out of state and records, addressed by their content."""

    def put_value(self, organization_id: str, data: bytes) -> str:
        """Store `data`; return its key (the same data always gets the same key)."""
        ...

    def get_value(self, key: str) -> bytes: ...


class LiveUpdates(Protocol):
    """Messages to the WebSocket connections of a session."""

    def send(self, session_id: str, message: Mapping[str, Any]) -> int:
        """Post `message` to every connection of the session; return how many got it.

        Connections whose client is gone are deleted.
        """
        ...
