"""In-memory stand-ins for the stores an execution needs: blobs, secrets, integrations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError


class MemoryBlobStore:
    """Blobs kept in a dict for the life of the process."""

    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}

    def put(self, blob: Blob) -> dict[str, Any]:
        blob_id = str(uuid.uuid4())
        self._blobs[blob_id] = blob
        reference = {"id": blob_id, "mimeType": blob.mime_type}
        if blob.filename is not None:
            reference["filename"] = blob.filename
        return reference

    def get(self, reference: dict[str, Any]) -> Blob:
        blob = self._blobs.get(reference["id"])
        if blob is None:
            raise NodeError(f"Blob '{reference['id']}' not found")
        return blob


class MappingSource:
    """Secrets or integrations looked up in a plain mapping."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = dict(values or {})

    def get(self, name: str, /) -> Any:
        return self._values.get(name)
