"""S3ValueStore and S3BlobStore on moto: values stored once by content, blobs with metadata."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.adapters.objects import S3BlobStore, S3ValueStore
from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError, TransientError
from lambdas.runtime.store_errors import ObjectMissing
from tests.component.conftest import Aws, failing


@pytest.fixture
def values(aws: Aws) -> S3ValueStore:
    return S3ValueStore(aws.s3, aws.bucket)


def uploads(aws: Aws) -> list[str]:
    """The keys of every PutObject call the client makes from now on."""
    keys: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        keys.append(params["Key"])

    aws.s3.meta.events.register("provide-client-params.s3.PutObject", record)
    return keys


def test_a_value_reads_back_by_its_key(values: S3ValueStore) -> None:
    key = values.put_value("org-1", b'{"big": "value"}')
    assert key.startswith("values/org-1/")
    assert values.get_value(key) == b'{"big": "value"}'


def test_the_same_content_is_uploaded_once_under_one_key(values: S3ValueStore, aws: Aws) -> None:
    uploaded = uploads(aws)
    first = values.put_value("org-1", b"same bytes")
    second = values.put_value("org-1", b"same bytes")
    other = values.put_value("org-1", b"other bytes")
    assert first == second != other
    assert uploaded == [first, other]


def test_organizations_keep_their_values_apart(values: S3ValueStore) -> None:
    assert values.put_value("org-1", b"x") != values.put_value("org-2", b"x")


def test_a_missing_value_is_a_store_error(values: S3ValueStore) -> None:
    with pytest.raises(ObjectMissing) as raised:
        values.get_value("values/org-1/" + "0" * 64)
    assert raised.value.code == "NoSuchKey"


def test_s3_slowing_down_is_a_transient_error(values: S3ValueStore, aws: Aws) -> None:
    with failing(aws.s3, "get_object", "SlowDown", 503), pytest.raises(TransientError):
        values.get_value("values/org-1/abc")


def test_a_blob_reads_back_with_its_type_and_filename(aws: Aws) -> None:
    blobs = S3BlobStore(aws.s3, aws.bucket, "org-1")
    reference = blobs.put(Blob(b"%PDF-1.7", "application/pdf", "résumé 2026.pdf"))
    assert reference == {
        "id": reference["id"],
        "mimeType": "application/pdf",
        "filename": "résumé 2026.pdf",
    }
    assert blobs.get(reference) == Blob(b"%PDF-1.7", "application/pdf", "résumé 2026.pdf")
    assert blobs.get({"id": reference["id"]}).mime_type == "application/pdf"


def test_a_blob_without_filename_has_none(aws: Aws) -> None:
    blobs = S3BlobStore(aws.s3, aws.bucket, "org-1")
    reference = blobs.put(Blob(b"\x89PNG", "image/png"))
    assert "filename" not in reference
    assert blobs.get(reference) == Blob(b"\x89PNG", "image/png", None)


@pytest.mark.parametrize("blob_id", ["no-such-blob", "../org-2/x", None])
def test_a_missing_blob_fails_the_node_with_a_clear_message(aws: Aws, blob_id: Any) -> None:
    blobs = S3BlobStore(aws.s3, aws.bucket, "org-1")
    with pytest.raises(NodeError, match=f"^Blob '{blob_id}' not found$"):
        blobs.get({"id": blob_id, "mimeType": "image/png"})


def test_another_organizations_blob_is_not_found(aws: Aws) -> None:
    reference = S3BlobStore(aws.s3, aws.bucket, "org-2").put(Blob(b"x", "text/plain"))
    with pytest.raises(NodeError, match="not found"):
        S3BlobStore(aws.s3, aws.bucket, "org-1").get(reference)
