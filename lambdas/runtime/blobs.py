"""Blobs: bytes inside node code, `{id, mimeType, filename?}` references everywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Blob:
    """Binary content as a node sees it."""

    data: bytes
    mime_type: str
    filename: str | None = None


class BlobStore(Protocol):
    """Where blob content lives between nodes (S3 on AWS, memory or disk locally)."""

    def put(self, blob: Blob) -> dict[str, Any]:
        """Store `blob`; return its reference `{id, mimeType, filename?}`."""
        ...

    def get(self, reference: dict[str, Any]) -> Blob:
        """The blob a reference names; raises NodeError if there is none."""
        ...
