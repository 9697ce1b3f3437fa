"""API keys in DynamoDB, stored only as their SHA-256, each mapped to its organization.

A key is looked up by its hash, so the plaintext is never stored, compared, logged or put
in an exception message; it exists only in the caller's hands. A process remembers the
organization of a key it found for a minute (`RememberedApiKeys`), as API Gateway's
authorizers cache theirs: each request of a client reads no item.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.record import utc_now
from lambdas.runtime.store_errors import ApiKeyConflict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from lambdas.runtime.ports import ApiKeyStore

KEY_PREFIX = "stk_"
# How long a process trusts an organization it found for a key: a key taken out of the table
# stops working within this time. An unknown key is looked up at every request, so a key
# added works at once.
KEY_MEMORY_SECONDS = 60.0
# How many keys a process remembers at most (the least recently found let go first).
KEYS_REMEMBERED = 1024
# What an `Authorization` header carries as it was given: printable ASCII (HTTP reads other
# bytes as Latin-1, so a UTF-8 key would arrive changed) with no space at either end (HTTP
# drops those). A key outside this could never authenticate over HTTP.
_SENDABLE_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


class InvalidApiKey(ValueError):
    """A key chosen by a caller that no HTTP request could carry; the message says why
    (never the key)."""


def key_problem(key: str) -> str | None:
    """Why `key` cannot be registered, or None when an HTTP request can carry it intact."""
    if _SENDABLE_KEY.fullmatch(key):
        return None
    if not key:
        return "An API key cannot be empty"
    if key != key.strip():
        return "An API key cannot begin or end with a space (HTTP drops it from a header)"
    return (
        "An API key may hold only printable ASCII characters and inner spaces (an HTTP "
        "header carries no other character as it was given)"
    )


def key_hash(key: str) -> str:
    """The hex SHA-256 under which a key is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class DynamoApiKeyStore:
    """ApiKeyStore on the apiKeys table (keyHash)."""

    def __init__(
        self, dynamodb: DynamoDBClient, table: str, *, clock: Callable[[], str] = utc_now
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._clock = clock

    def create(self, organization_id: str) -> str:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.add(key, organization_id)
        return key

    def add(self, key: str, organization_id: str) -> None:
        """Register `key` for the organization; registering it again for the same one is a
        no-op, for another one raises ApiKeyConflict."""
        problem = key_problem(key)
        if problem is not None:
            raise InvalidApiKey(problem)
        action = f"PutItem {self._table}"
        with translated(action):
            try:
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item={
                        "keyHash": {"S": key_hash(key)},
                        "organizationId": {"S": organization_id},
                        "createdAt": {"S": self._clock()},
                    },
                    ConditionExpression="attribute_not_exists(keyHash)",
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                if self.organization_of(key) != organization_id:
                    raise ApiKeyConflict(
                        "This API key is registered to another organization",
                        action=action,
                        code=error_code(error),
                    ) from None

    def organization_of(self, key: str) -> str | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"keyHash": {"S": key_hash(key)}},
                ProjectionExpression="organizationId",
                ConsistentRead=True,
            ).get("Item")
        return None if item is None else item["organizationId"]["S"]


class RememberedApiKeys:
    """An ApiKeyStore that remembers, for `seconds`, the organization of each key it found
    (by the key's hash: no plaintext is kept)."""

    def __init__(
        self,
        store: ApiKeyStore,
        *,
        seconds: float = KEY_MEMORY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._seconds = seconds
        self._clock = clock
        self._found: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, organization_id: str) -> str:
        return self._store.create(organization_id)

    def add(self, key: str, organization_id: str) -> None:
        self._store.add(key, organization_id)

    def organization_of(self, key: str) -> str | None:
        hashed, now = key_hash(key), self._clock()
        with self._lock:
            found = self._found.get(hashed)
        if found is not None and now < found[1]:
            return found[0]
        organization = self._store.organization_of(key)
        with self._lock:
            if organization is None:
                self._found.pop(hashed, None)
            else:
                self._found[hashed] = (organization, now + self._seconds)
                self._found.move_to_end(hashed)
                while len(self._found) > KEYS_REMEMBERED:
                    self._found.popitem(last=False)
        return organization
