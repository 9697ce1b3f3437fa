"""Conformance of the blob inputs and outputs (`image-input` ... `output-video`): a file given
to a run reaches the graph and is shown, on both engines, without being copied."""

from __future__ import annotations

import pytest

from lambdas.runtime.blobs import Blob
from tests.support.workflows import edge, node, workflow

PNG = Blob(data=b"\x89PNG\r\n\x1a\n" + bytes(range(256)), mime_type="image/png", filename="a.png")
WAV = Blob(data=b"RIFF\x00\x00\x00\x00WAVE", mime_type="audio/wav", filename="a.wav")
PDF = Blob(data=b"%PDF-1.7\n", mime_type="application/pdf", filename="report.pdf")
MP4 = Blob(data=b"\x00\x00\x00\x18ftypmp42", mime_type="video/mp4", filename="clip.mp4")

KINDS = [("image", PNG), ("audio", WAV), ("document", PDF), ("video", MP4), ("blob", PDF)]


def shown(kind: str):
    return workflow(
        node("in", f"{kind}-input"),
        node("out", f"output-{kind}"),
        edges=[edge("in.value", "out.value")],
    )


@pytest.mark.parametrize(("kind", "blob"), KINDS)
def test_a_file_given_to_a_run_is_shown_as_the_same_blob(engine, kind, blob):
    result = engine.run(shown(kind), files={"in.value": blob})
    given = result.node("in")["inputs"]["value"]
    assert given["mimeType"] == blob.mime_type
    assert given["filename"] == blob.filename
    # passed on as it came: the same reference, not a copy of the file
    assert result.output("in", "value") == given
    assert result.output("out", "displayValue") == given


@pytest.mark.parametrize(("kind", "blob"), KINDS)
def test_an_input_without_a_file_fails(engine, kind, blob):
    result = engine.run(shown(kind))
    assert result.error("in") == f"No {kind} provided"
    assert result.statuses()["out"] == "skipped"


@pytest.mark.parametrize("kind", ["image", "audio", "document", "video", "blob"])
def test_an_output_with_nothing_connected_shows_nothing(engine, kind):
    result = engine.run(workflow(node("out", f"output-{kind}")))
    assert result.status == "completed"
    assert "displayValue" not in result.node("out").get("outputs", {})


@pytest.mark.parametrize(
    ("kind", "blob", "message"),
    [
        ("image", WAV, "MIME type must be image-related (e.g., image/png, image/jpeg)"),
        ("audio", PNG, "MIME type must be audio-related (e.g., audio/wav, audio/mp3)"),
        ("video", PDF, "MIME type must be video-related (e.g., video/mp4, video/webm)"),
    ],
)
def test_an_output_refuses_a_blob_of_another_kind(engine, kind, blob, message):
    flow = workflow(
        node("in", "blob-input"),
        node("out", f"output-{kind}"),
        edges=[edge("in.value", "out.value")],
    )
    result = engine.run(flow, files={"in.value": blob})
    assert result.error("out") == message


@pytest.mark.parametrize("kind", ["document", "blob"])
def test_documents_and_blobs_show_any_mime_type(engine, kind):
    flow = workflow(
        node("in", "blob-input"),
        node("out", f"output-{kind}"),
        edges=[edge("in.value", "out.value")],
    )
    result = engine.run(flow, files={"in.value": WAV})
    assert result.output("out", "displayValue")["mimeType"] == "audio/wav"


@pytest.mark.parametrize(
    ("kind", "article"),
    [("image", "an"), ("audio", "an"), ("document", "a"), ("video", "a"), ("blob", "a")],
)
def test_an_output_given_a_number_fails_asking_for_a_blob_reference(engine, kind, article):
    # a number reaches the blob port only through an `any` edge: validation refuses a direct one
    flow = workflow(
        node("n", "number-input", value=5),
        node("any", "output-any"),
        node("out", f"output-{kind}"),
        edges=[edge("n.value", "any.value"), edge("any.displayValue", "out.value")],
    )
    result = engine.run(flow)
    assert result.error("out") == (
        f"Input 'value' expected {article} {kind} reference {{id, mimeType}}, got number"
    )
    assert result.status == "error"


def test_a_reference_to_no_stored_blob_fails_the_node(engine):
    missing = {"id": "00000000-0000-0000-0000-000000000000", "mimeType": "image/png"}
    result = engine.run(shown("image"), inputs={"in": {"value": missing}})
    assert result.statuses()["in"] == "error"
