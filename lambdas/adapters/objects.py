"""Objects in S3: large values stored once by content hash, and node blobs with their metadata."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError
from lambdas.runtime.payload import value_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3ValueStore:
    """ValueStore on a bucket: `values/<org>/<sha256 hex>`, uploaded only when absent."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        # documents known to be stored (a key names its content, and none is ever deleted):
        # a warm function deploying or reading the same workflow again asks S3 nothing
        self._documents: set[str] = set()

    def put_value(self, organization_id: str, data: bytes) -> str:
        key = value_key(organization_id, hashlib.sha256(data).hexdigest())
        if not self._exists(key):
            with translated(f"PutObject {key}"):
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=data)
        return key

    def put_document(self, key: str, data: bytes) -> None:
        """Store `data` at `key`, a content-addressed name the compiler chose (a workflow,
        once per deploy). One request, not a HEAD first: a deploy is rare, and a document
        written again is written with the same bytes."""
        if key in self._documents:
            return
        with translated(f"PutObject {key}"):
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data)
        self._documents.add(key)

    def get_value(self, key: str) -> bytes:
        with translated(f"GetObject {key}"):
            return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def _exists(self, key: str) -> bool:
        with translated(f"HeadObject {key}"):
            try:
                self._s3.head_object(Bucket=self._bucket, Key=key)
            except ClientError as error:
                if error_code(error) in MISSING_CODES:
                    return False
                raise
        return True


class S3BlobStore:
    """BlobStore of one organization on a bucket: `blobs/<org>/<uuid>`.

    The MIME type is the object's Content-Type; the filename is user metadata, percent-encoded
    because S3 metadata travels in HTTP headers (ASCII only).
    """

    def __init__(self, s3: S3Client, bucket: str, organization_id: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._organization_id = organization_id

    def put(self, blob: Blob) -> dict[str, Any]:
        blob_id = str(uuid.uuid4())
        metadata = {} if blob.filename is None else {"filename": quote(blob.filename)}
        with translated(f"PutObject blob {blob_id}"):
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key(blob_id),
                Body=blob.data,
                ContentType=blob.mime_type,
                Metadata=metadata,
            )
        reference: dict[str, Any] = {"id": blob_id, "mimeType": blob.mime_type}
        if blob.filename is not None:
            reference["filename"] = blob.filename
        return reference

    def get(self, reference: dict[str, Any]) -> Blob:
        """The blob; NodeError("Blob '<id>' not found") when this organization has none."""
        blob_id = reference.get("id")
        # An id is a uuid: anything else cannot name one of this organization's blobs.
        if not isinstance(blob_id, str) or not blob_id or "/" in blob_id:
            raise NodeError(f"Blob '{blob_id}' not found")
        with translated(f"GetObject blob {blob_id}"):
            try:
                stored = self._s3.get_object(Bucket=self._bucket, Key=self._key(blob_id))
            except ClientError as error:
                if error_code(error) in MISSING_CODES:
                    raise NodeError(f"Blob '{blob_id}' not found") from error
                raise
            data = stored["Body"].read()
        filename = stored.get("Metadata", {}).get("filename")
        return Blob(
            data=data,
            mime_type=stored.get("ContentType") or "application/octet-stream",
            filename=None if filename is None else unquote(filename),
        )

    def _key(self, blob_id: str) -> str:
        return f"blobs/{self._organization_id}/{blob_id}"
