"""Store failures: botocore errors translated by error code into TransientError or a StoreError.

Throttling and service faults become `lambdas.runtime.errors.TransientError` itself (not a
subclass: Step Functions' Retry rules match the exception's class name), so the task is
retried. Everything else becomes a precise `StoreError` carrying the AWS error code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from lambdas.runtime.errors import NodeError, TransientError

# Error codes of throttling and service faults, across DynamoDB, S3, KMS, API Gateway and
# Step Functions.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSInternalException",
        "KeyUnavailableException",
        "DependencyTimeoutException",
    }
)
_NETWORK_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


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


_BY_CODE: dict[str, type[StoreError]] = {
    "ResourceNotFoundException": StoreMissing,
    "NoSuchBucket": StoreMissing,
    "NotFoundException": StoreMissing,
    "AccessDenied": StoreAccessDenied,
    "AccessDeniedException": StoreAccessDenied,
    "DisabledException": StoreAccessDenied,
    "KMSInvalidStateException": StoreAccessDenied,
    "NoSuchKey": ObjectMissing,
    "404": ObjectMissing,
    "InvalidCiphertextException": SealedValueRefused,
    "IncorrectKeyException": SealedValueRefused,
    "StateMachineDoesNotExist": MachineMissing,
    "ExecutionDoesNotExist": MachineMissing,
    "ExecutionAlreadyExists": ExecutionNameTaken,
}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(error: ClientError, action: str) -> Exception:
    """The exception to raise instead of `error`, raised while attempting `action`."""
    code = error_code(error)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientError(f"{action} failed with {code or status}; retry")
    kind = _BY_CODE.get(code, StoreRequestRejected)
    detail = error.response.get("Error", {}).get("Message") or ""
    message = f"{action} failed with {code}" + (f": {detail}" if detail else "")
    return kind(message, action=action, code=code)


def translate_botocore(error: BotoCoreError, action: str) -> Exception:
    """Network failures are transient; any other botocore error is a StoreError without code.

    Only the class name is kept: a parameter validation message can quote a parameter's value,
    and that value may be a plaintext on its way to KMS.
    """
    if isinstance(error, _NETWORK_ERRORS):
        return TransientError(f"{action} failed: {type(error).__name__}; retry")
    return StoreRequestRejected(f"{action} failed: {type(error).__name__}", action=action)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a block of AWS calls, raising translated errors (chained to the original)."""
    try:
        yield
    except ClientError as error:
        raise translate(error, action) from error
    except BotoCoreError as error:
        raise translate_botocore(error, action) from error
