"""Page tokens of DynamoDB listings: a query's start key as an opaque, URL-safe string.

A token is the base64url of the start key's JSON. Decoding checks its shape strictly (exactly
the query's key attributes, each a short non-empty string) and that its partition is the
listing's own, so a tampered token or one from another listing is refused with
InvalidPageToken rather than reaching DynamoDB. It carries only keys of the caller's own
listing, so it needs no signature: forging one can only skip within that listing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lambdas.runtime.store_errors import InvalidPageToken

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# DynamoDB's limit for a sort key value (a partition key may be 2048 bytes).
KEY_VALUE_LIMIT = 1024
TOKEN_LIMIT = 4096


def check_limit(limit: int) -> None:
    """Refuse a page size outside 1..100."""
    if not 1 <= limit <= 100:
        raise ValueError(f"limit must be between 1 and 100, got {limit}")


def encode_token(key: Mapping[str, AttributeValueTypeDef], names: Sequence[str]) -> str:
    """The token of start key `key` (attributes `names`, string values)."""
    plain = {name: key[name].get("S", "") for name in names}
    data = json.dumps(plain, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(data.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(
    token: str, names: Sequence[str], partition: tuple[str, str], action: str
) -> dict[str, AttributeValueTypeDef]:
    """The start key a token stands for, or InvalidPageToken.

    `names` are the key attributes a start key of this query has; `partition` is the
    (attribute, value) every key of this listing shares.
    """
    refused = InvalidPageToken("The page token is not valid for this listing", action=action)
    if not token or len(token) > TOKEN_LIMIT:
        raise refused
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = json.loads(data.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    if not isinstance(plain, dict) or set(plain) != set(names):
        raise refused
    for value in plain.values():
        if not isinstance(value, str) or not value or len(value.encode()) > KEY_VALUE_LIMIT:
            raise refused
    attribute, value = partition
    if plain[attribute] != value:
        raise refused
    return {name: {"S": plain[name]} for name in names}
