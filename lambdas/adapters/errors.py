"""Store failures: botocore errors translated by error code into TransientError or a StoreError
(the family in lambdas.runtime.store_errors).

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

from lambdas.runtime.errors import TransientError
from lambdas.runtime.store_errors import (
    ExecutionNameTaken,
    MachineDeleting,
    MachineMissing,
    ObjectMissing,
    SealedValueRefused,
    StoreAccessDenied,
    StoreError,
    StoreMissing,
    StoreRequestRejected,
)

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
    "StateMachineDeleting": MachineDeleting,
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
