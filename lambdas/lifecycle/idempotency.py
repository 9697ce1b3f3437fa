"""What makes a start idempotent: the execution an Idempotency-Key names, and the digest of
the request that started it (a key sent again with another request is a conflict)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

# Executions started with the same Idempotency-Key get the same id (hence the same execution).
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c9a52-4d8e-4c55-9d1e-0f2b7c3a8e41")


def execution_key(
    scope: str, organization_id: str, target: str, idempotency_key: str | None
) -> str | None:
    """What names the execution an Idempotency-Key starts: the scope (a start or a retry),
    the organization, the workflow or execution started from, and the key, encoded as a
    JSON array so that no two different quadruples meet (whatever `/` or other character
    any of them holds); None without a key."""
    if idempotency_key is None:
        return None
    return json.dumps([scope, organization_id, target, idempotency_key], ensure_ascii=False)


def execution_id_for(key: str | None) -> str:
    """The id of the execution `key` starts: always the same for a key, new without one."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, key) if key else uuid.uuid4())


def fingerprint(body: Mapping[str, Any]) -> str:
    """A digest of a request body's meaning (its JSON, defaults included): equal for the
    same values, whatever their order or spacing; kept with the execution a key starts."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
