"""POST /blobs: a file uploaded for a run's blob input, then given to a run by reference."""

from __future__ import annotations

from typing import Any

from tests.support.serving import Organization, Server
from tests.support.workflows import edge, node, workflow

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_an_uploaded_file_is_given_to_a_run_by_its_reference(org_a: Organization):
    answer = org_a.http.post(
        "/blobs?filename=photo.png", content=PNG, headers={"Content-Type": "image/png"}
    )
    assert answer.status_code == 201
    reference = answer.json()
    assert reference["mimeType"] == "image/png"
    assert reference["filename"] == "photo.png"

    org_a.deploy(
        workflow(
            node("photo", "image-input"),
            node("shown", "output-image"),
            edges=[edge("photo.value", "shown.value")],
            workflow_id="show-photo",
        )
    )
    execution = org_a.start("show-photo", inputs={"photo": {"value": reference}})
    record = org_a.wait_for(execution)

    assert record["status"] == "completed"
    shown = {e["nodeId"]: e for e in record["nodeExecutions"]}["shown"]
    assert shown["outputs"]["displayValue"] == reference


def test_another_organization_cannot_use_the_file(org_a: Organization, org_b: Organization):
    reference = org_a.http.post("/blobs", content=PNG, headers={"Content-Type": "image/png"}).json()
    org_b.deploy(workflow(node("photo", "image-input"), workflow_id="steal-photo"))
    record = org_b.wait_for(org_b.start("steal-photo", inputs={"photo": {"value": reference}}))
    assert record["status"] == "error"
    assert record["nodeExecutions"][0]["status"] == "error"


def test_a_file_without_a_content_type_is_octet_stream(org_a: Organization):
    answer = org_a.http.post("/blobs", content=b"\x00\x01binary", headers={"Content-Type": ""})
    assert answer.status_code == 201
    assert answer.json()["mimeType"] == "application/octet-stream"
    assert "filename" not in answer.json()


def test_bad_uploads_answer_what_is_wrong(org_a: Organization):
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b""}, 400, "EMPTY_BLOB"),
        ({"content": b"x", "headers": {"Content-Type": "png"}}, 400, "INVALID_REQUEST"),
        ({"content": b"x", "params": {"filename": "../etc/passwd"}}, 400, "INVALID_REQUEST"),
        ({"content": b"x" * (4 * 1024 * 1024 + 1)}, 413, "PAYLOAD_TOO_LARGE"),
    ]
    for request, status, code in cases:
        answer = org_a.http.post("/blobs", **request)
        assert answer.status_code == status, (request.get("headers"), answer.text)
        assert answer.json()["error"]["code"] == code


def test_uploading_needs_an_api_key(server: Server):
    answer = server.http().post("/blobs", content=PNG, headers={"Content-Type": "image/png"})
    assert answer.status_code == 401
