"""A browser page of an allowed origin may call serve's HTTP API (`--cors-origin`), as the
deployed HTTP API's CORS settings let it; a page of any other origin gets no CORS answer, and
without origins serve answers none (only programs call it)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.serving import Server, serving

EDITOR = "https://editor.example.com"


@pytest.fixture(scope="module")
def with_cors(server: Server) -> Iterator[httpx.Client]:
    """A second server over the same engine, letting pages of EDITOR call it."""
    with serving(server.engine, cors_origins=[EDITOR]) as second:
        yield second.http()


def preflight(client: httpx.Client, origin: str) -> httpx.Response:
    return client.options(
        "/workflows/w",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_page_of_an_allowed_origin_may_send_its_key_and_json(with_cors: httpx.Client):
    allowed = preflight(with_cors, EDITOR)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == EDITOR
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    requested = allowed.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type"} <= {h.strip() for h in requested.split(",")}
    answer = with_cors.get("/workflows", headers={"Origin": EDITOR})
    assert answer.status_code == 401  # the API's own answer, readable by the page
    assert answer.headers["access-control-allow-origin"] == EDITOR


def test_a_page_of_another_origin_is_not_allowed(with_cors: httpx.Client):
    refused = preflight(with_cors, "https://evil.example.com")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    answer = with_cors.get("/workflows", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in answer.headers


def test_without_origins_serve_answers_no_cors(server: Server):
    answer = server.http().get("/workflows", headers={"Origin": EDITOR})
    assert "access-control-allow-origin" not in answer.headers
