"""The stores' errors, as the handlers and the lifecycle see them: a store refused or failed a
request for good. The adapters raise them (lambdas.adapters.errors translates AWS's error codes
into them); nothing here knows AWS's libraries.
"""

from __future__ import annotations

from lambdas.runtime.errors import NodeError


class StoreError(Exception):
    """Root of the adapters' errors: a store refused or failed a request for good.

    `action` names what was attempted, `code` is the AWS error code (None when the failure
    did not come from AWS). Messages never contain a secret, a token, or stored data.
    """

    def __init__(self, message: str, *, action: str, code: str | None = None) -> None:
        super().__init__(message)
        self.action = action
        self.code = code


class StoreMissing(StoreError):
    """The table, bucket or key the adapter was configured with does not exist."""


class StoreAccessDenied(StoreError):
    """The function's role may not do this, or the KMS key is disabled."""


class StoreRequestRejected(StoreError):
    """AWS rejected the request as invalid (a bug or an over-limit item, not a hiccup)."""


class ValueTooLarge(StoreError):
    """A value to encrypt exceeds what KMS encrypts directly (4096 bytes)."""


class ObjectMissing(StoreError):
    """An S3 object that should exist (a large record's body, a stored value) does not."""


class SealedValueRefused(StoreError):
    """KMS refused to open a sealed value: it belongs to another organization or is damaged."""


class OrganizationMissing(StoreError):
    """A charge was made to an organization that has no account."""


class IntegrationMissing(StoreError):
    """An integration was removed while one of its tokens was being refreshed."""


class InvalidPageToken(StoreError):
    """A listing's `next_token` was not issued by that listing (tampered, or another query's)."""


class ApiKeyConflict(StoreError):
    """A key chosen by the caller is already registered to another organization."""


class MachineMissing(StoreError):
    """A state machine or execution that should exist in Step Functions does not."""


class MachineDeleting(StoreError):
    """Step Functions is still deleting a state machine of that name (it takes a while, and
    longer while executions of it run): it cannot be created or updated meanwhile."""


class ExecutionNameTaken(StoreError):
    """An execution of that name already exists with a different input."""


class IntegrationRefreshFailed(StoreError, NodeError):
    """A provider's token endpoint did not renew an expired token.

    Also a NodeError: the node that asked for the integration fails with this message.

    `status` is the endpoint's HTTP status, None when it could not be reached or answered
    something unusable with a success status.
    """

    def __init__(self, integration_id: str, status: int | None, reason: str) -> None:
        super().__init__(
            f"Integration '{integration_id}' token refresh failed: {reason}",
            action="RefreshToken",
        )
        self.integration_id = integration_id
        self.status = status
