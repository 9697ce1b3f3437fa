"""SPEC §7: a secret's plaintext reaches the request that needs it, and no place anyone reads.

Each test plants a fresh random secret for an organization of its own, runs a `fetch` that
sends it, then searches the whole deployment (every execution history, table item and S3
object), the handlers' DEBUG logs, every live update and the final record for it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES
from tests.support.secret_scan import (
    LOG_PROBE,
    Reply,
    Request,
    Route,
    Scan,
    Server,
    closed_port,
    organization,
    plaintext,
    scan_everything,
)
from tests.support.workflows import edge, node, workflow

BEARER = "Bearer {{secrets.API_TOKEN}}"


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, allow_networks=LOCAL_FAKES)


def fetch_workflow(url: str) -> dict[str, Any]:
    return workflow(
        node("call", "fetch", url=url, headers={"Authorization": BEARER, "Accept": "*/*"}),
        node("shown", "output-any"),
        edges=[edge("call.body", "shown.value")],
    )


def run_with_secret(
    engine: EmbeddedEngine, flow: dict[str, Any], secret: str, *, flaky_client: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `flow` for a new organization holding API_TOKEN = `secret`, with a live session.

    A flaky client receives each update and then drops the connection, so that the handlers
    log a warning with a traceback for every update.
    """
    owner = organization()
    engine.secrets.put(owner, "API_TOKEN", secret)
    messages: list[dict[str, Any]] = []

    def receive(message: dict[str, Any]) -> None:
        messages.append(message)
        if flaky_client:
            raise ConnectionResetError("the client went away")

    record = engine.run(flow, organization_id=owner, on_update=receive)
    return record.to_json(), messages


def assert_nowhere(scan: Scan) -> None:
    assert scan.counts["events"] > 0
    assert scan.counts["items"] > 0
    assert scan.counts["messages"] > 0
    assert scan.found == []


def test_the_scan_finds_a_secret_in_any_form_it_searches() -> None:
    secret = plaintext()
    scan = Scan((secret,))
    assert scan.finds({"headers": {"authorization": f"Bearer {secret}"}})
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + secret.encode())
        assert scan.finds(f"Basic {encoded.decode()}")
        assert scan.finds({"B": b"blob " + encoded})
    assert scan.finds(base64.b64encode(base64.b64encode(b"{'k': '" + secret.encode() + b"'}")))
    assert not scan.finds({"S": plaintext(), "B": base64.b64encode(plaintext().encode())})


def test_a_secret_reaches_its_request_and_appears_nowhere_else(
    engine: EmbeddedEngine,
    serve: Callable[[Route], Server],
    handler_logs: Callable[[], list[str]],
) -> None:
    secret = plaintext()

    def api(request: Request) -> Reply:
        if request.headers.get("authorization") == f"Bearer {secret}":
            return Reply(200, {"ok": True})
        return Reply(401, {"ok": False})

    server = serve(api)
    record, messages = run_with_secret(engine, fetch_workflow(server.url("/api")), secret)

    assert record["status"] == "completed", record
    call = record["nodeExecutions"][0]
    assert call["outputs"]["status"] == 200
    assert call["outputs"]["body"] == {"ok": True}
    assert call["inputs"]["headers"]["Authorization"] == BEARER
    assert [r.headers["authorization"] for r in server.requests] == [f"Bearer {secret}"]
    assert Scan((secret,)).finds(server.requests[0].headers)
    assert [m["status"] for m in messages][-1] == "completed"
    logs = handler_logs()
    assert any(LOG_PROBE in line for line in logs)
    assert_nowhere(scan_everything(engine, secret, record, messages, logs))


def test_a_server_echoing_the_secret_shows_it_masked_even_in_large_values(
    engine: EmbeddedEngine,
    serve: Callable[[Route], Server],
    handler_logs: Callable[[], list[str]],
) -> None:
    secret = plaintext()

    def echo(request: Request) -> Reply:
        authorization = request.headers.get("authorization", "")
        return Reply(
            200,
            {
                "authorization": authorization,
                "seen": [authorization],
                authorization: 1,
                "padding": f"{authorization} " * 1000,  # beyond 8 KiB: carried through S3
            },
            headers=(("X-Echo", authorization),),
            reason=f"OK {authorization}",
        )

    server = serve(echo)
    record, messages = run_with_secret(engine, fetch_workflow(server.url("/echo")), secret)

    assert record["status"] == "completed", record
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    outputs = record["nodeExecutions"][0]["outputs"]
    body = outputs["body"]
    assert body.pop("padding") == "Bearer *** " * 1000
    assert body == {"authorization": "Bearer ***", "seen": ["Bearer ***"], "Bearer ***": 1}
    assert outputs["headers"]["x-echo"] == "Bearer ***"
    assert outputs["statusText"] == "OK Bearer ***"
    assert record["nodeExecutions"][1]["outputs"]["displayValue"]["seen"] == ["Bearer ***"]
    scan = scan_everything(engine, secret, record, messages, handler_logs())
    assert scan.counts["objects"] > 0
    assert_nowhere(scan)


def test_a_secret_echoed_in_a_binary_body_is_masked_before_the_blob_is_stored(
    engine: EmbeddedEngine,
    serve: Callable[[Route], Server],
    handler_logs: Callable[[], list[str]],
) -> None:
    secret = plaintext()

    def echo(request: Request) -> Reply:
        return Reply(200, b"\x00\x01" + request.headers["authorization"].encode() + b"\xff")

    server = serve(echo)
    record, messages = run_with_secret(engine, fetch_workflow(server.url("/bytes")), secret)

    assert record["status"] == "completed", record
    reference = record["nodeExecutions"][0]["outputs"]["body"]
    assert reference["mimeType"] == "application/octet-stream"
    stored = engine.cloud.client("s3").list_objects_v2(
        Bucket=engine.deployment.settings["blob_bucket"]
    )
    blobs = [o["Key"] for o in stored.get("Contents", []) if reference["id"] in o["Key"]]
    assert len(blobs) == 1
    content = (
        engine.cloud.client("s3")
        .get_object(Bucket=engine.deployment.settings["blob_bucket"], Key=blobs[0])["Body"]
        .read()
    )
    assert content == b"\x00\x01Bearer ***\xff"
    assert_nowhere(scan_everything(engine, secret, record, messages, handler_logs()))


def test_a_failed_request_carrying_a_secret_does_not_quote_it(
    engine: EmbeddedEngine, handler_logs: Callable[[], list[str]]
) -> None:
    secret = plaintext()
    flow = fetch_workflow(f"http://127.0.0.1:{closed_port()}/down?key=value")
    record, messages = run_with_secret(engine, flow, secret, flaky_client=True)

    assert record["status"] == "error"
    call = record["nodeExecutions"][0]
    assert call["status"] == "error"
    assert "connection refused" in call["error"]
    assert secret not in call["error"]
    assert record["nodeExecutions"][1]["skipReason"] == "upstream_failure"
    logs = handler_logs()
    assert sum("Live update not sent" in line for line in logs) == len(messages)
    assert_nowhere(scan_everything(engine, secret, record, messages, logs))
