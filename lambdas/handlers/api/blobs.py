"""`/blobs`: upload a file for a run's blob inputs (`image-input`, `document-input`, ...).

The body is the file itself, its Content-Type the blob's MIME type; `?filename=` names it.
The answer is the blob's reference `{id, mimeType, filename?}`, which a start request gives
as the value of a blob input (`"inputs": {"photo": {"value": {...}}}`). A blob belongs to the
organization that uploaded it: an execution of another organization cannot read it.
"""

from __future__ import annotations

import base64
import binascii
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.handlers.api.bodies import BlobReference
from lambdas.handlers.api.routing import ApiError, answers, deps_of, json_response, organization_of
from lambdas.runtime.blobs import Blob

router = Router()  # type: ignore[no-untyped-call]

# API Gateway passes a binary body to the function base64-encoded, and a function takes at most
# 6 MB of event: 4 MiB of file is 5.6 MB of base64.
MAX_BLOB_BYTES = 4 * 1024 * 1024
DEFAULT_MIME_TYPE = "application/octet-stream"
MAX_FILENAME_LENGTH = 255


@router.post(
    "/blobs",
    summary="Upload a file as a blob for a run's blob inputs",
    responses=answers(
        {201: ("Stored: its blob reference", BlobReference)},
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
    operation_id="uploadBlob",
)
def upload_blob() -> Response[str]:
    event = router.current_event
    body = event.body or ""
    try:
        data = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except (binascii.Error, ValueError):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "INVALID_REQUEST", "The body is not valid base64"
        ) from None
    if not data:
        raise ApiError(HTTPStatus.BAD_REQUEST, "EMPTY_BLOB", "The body is empty: send the file")
    if len(data) > MAX_BLOB_BYTES:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            f"The file is {len(data):,} bytes; a blob uploaded through the API holds at most "
            f"{MAX_BLOB_BYTES:,}",
        )
    mime_type = (event.headers.get("content-type") or DEFAULT_MIME_TYPE).split(";")[0].strip()
    if "/" not in mime_type or len(mime_type) > 255:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "INVALID_REQUEST",
            f"Content-Type {mime_type!r} is not a MIME type (type/subtype)",
        )
    filename = (event.query_string_parameters or {}).get("filename") or None
    if filename is not None and (
        len(filename) > MAX_FILENAME_LENGTH or any(c in filename for c in "/\\\0\r\n")
    ):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "INVALID_REQUEST",
            f"filename must be a file's name (at most {MAX_FILENAME_LENGTH} characters, no path)",
        )
    blobs = deps_of(router).blobs(organization_of(router))
    reference = blobs.put(Blob(data=data, mime_type=mime_type.lower(), filename=filename))
    return json_response(HTTPStatus.CREATED, reference)
