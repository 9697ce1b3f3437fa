"""Whatever a client sends, the answer is a 4xx with a JSON error, never a 5xx or a traceback."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.serving import ROUTES, Organization, Server
from tests.support.workflows import node, workflow

TOO_LARGE = 6 * 1024 * 1024 + 1
FUZZ_EXAMPLES = 300
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def assert_clean_refusal(response: httpx.Response) -> None:
    """A 4xx whose body is our JSON error, with nothing of the server's insides."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    if response.request.method != "HEAD":
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("PUT", "/workflows/x", {"content": b"{bad"}, 400, "MALFORMED_JSON"),
    ("PUT", "/workflows/x", {"content": b'{"id": "x", "name": 1e400}'}, 400, "MALFORMED_JSON"),
    # an integer beyond a double's range, refused as 1e400 is
    (
        "PUT",
        "/workflows/x",
        {"content": b'{"id": "x", "n": 1%s}' % (b"0" * 400)},
        400,
        "MALFORMED_JSON",
    ),
    ("PUT", "/workflows/x", {"content": b"\xff\xfe\x00garbage"}, 400, "MALFORMED_JSON"),
    ("PUT", "/workflows/x", {"json": [1, 2]}, 400, "INVALID_REQUEST"),
    ("PUT", "/workflows/x", {"json": "a workflow"}, 400, "INVALID_REQUEST"),
    ("PUT", "/workflows/x", {}, 400, "INVALID_REQUEST"),
    ("PUT", "/workflows/x", {"json": {"name": "n", "nodes": "many"}}, 400, "INVALID_WORKFLOW"),
    (
        "PUT",
        "/workflows/x",
        {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    (  # what curl's -d sends unless told otherwise
        "PUT",
        "/secrets/OK",
        {"data": {"value": "v"}},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    (
        "POST",
        "/workflows/x/executions",
        {"files": {"inputs": b"{}"}},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("POST", "/workflows/x/executions", {"content": b"{"}, 400, "MALFORMED_JSON"),
    (  # an override beyond a double's range
        "POST",
        "/workflows/x/executions",
        {"content": b'{"inputs": {"n": {"value": -%s}}}' % (b"9" * 400)},
        400,
        "MALFORMED_JSON",
    ),
    ("POST", "/workflows/x/executions", {"json": {"inputs": []}}, 400, "INVALID_REQUEST"),
    ("POST", "/workflows/x/executions", {"json": {"sessionId": 5}}, 400, "INVALID_REQUEST"),
    ("POST", "/workflows/x/executions", {"json": {"other": 1}}, 400, "INVALID_REQUEST"),
    ("POST", "/workflows/x/executions", {"json": 7}, 400, "INVALID_REQUEST"),
    ("GET", "/workflows/x/executions", {"params": {"limit": "ten"}}, 400, "INVALID_REQUEST"),
    ("GET", "/workflows/x/executions", {"params": {"limit": "0"}}, 400, "INVALID_REQUEST"),
    ("GET", "/workflows/x/executions", {"params": {"status": "happy"}}, 400, "INVALID_REQUEST"),
    ("GET", "/workflows", {"params": {"limit": "1000"}}, 400, "INVALID_REQUEST"),
    ("GET", "/workflows", {"params": {"nextToken": "garbage"}}, 400, "INVALID_REQUEST"),
    ("GET", "/executions/" + "e" * 81, {}, 400, "INVALID_REQUEST"),
    ("PUT", "/secrets/not%20a%20name", {"json": {"value": "v"}}, 400, "INVALID_REQUEST"),
    ("PUT", "/secrets/OK", {"json": {"value": 5}}, 400, "INVALID_REQUEST"),
    ("PUT", "/secrets/OK", {"json": {"value": ""}}, 400, "SECRET_TOO_SHORT"),
    ("PUT", "/secrets/OK", {"json": {"value": "v" * 5000}}, 413, "PAYLOAD_TOO_LARGE"),
    ("PUT", "/secrets/OK", {"json": {"value": "v", "more": 1}}, 400, "INVALID_REQUEST"),
    ("GET", "/nowhere", {}, 404, "NOT_FOUND"),
    ("GET", "/workflows/x/more", {}, 404, "NOT_FOUND"),
    ("POST", "/workflows", {"json": {}}, 405, "METHOD_NOT_ALLOWED"),
    ("PATCH", "/workflows/x", {"json": {}}, 405, "METHOD_NOT_ALLOWED"),
    ("OPTIONS", "/secrets", {}, 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", "/executions/e", {}, 405, "METHOD_NOT_ALLOWED"),
    ("PUT", "/workflows/x", {"content": b"[" * 100_000}, 400, "INVALID_REQUEST"),
]


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{m} {p[:30]} {s} {c}" for m, p, _, s, c in BAD_REQUESTS],
)
def test_a_bad_request_gets_the_right_4xx(
    org_a: Organization, method: str, path: str, options: dict[str, Any], status: int, code: str
) -> None:
    response = org_a.http.request(method, path, **options)
    assert_clean_refusal(response)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_a_line_break_in_a_path_is_part_of_the_id_not_dropped(org_a: Organization) -> None:
    org_a.deploy(workflow(node("n", "number-input", value=1), workflow_id="ab"))
    for method in ("GET", "DELETE"):
        response = org_a.http.request(method, "/workflows/a%0Ab")
        assert_clean_refusal(response)
        assert response.status_code == 404, (method, response.text)
    refused = workflow(node("n", "number-input"), workflow_id="a\nb")
    deploy = org_a.http.put("/workflows/a%0Ab", json=refused)
    assert_clean_refusal(deploy)
    assert [p["code"] for p in deploy.json()["error"]["details"]] == ["INVALID_ID"]
    assert org_a.http.get("/workflows/ab").json()["version"] == 1


WRONG_METHODS = [
    ("POST", "/workflows", "GET"),
    ("PATCH", "/workflows/x", "DELETE, GET, PUT"),
    ("PUT", "/workflows/x/executions", "GET, POST"),
    ("GET", "/executions/e/cancel", "POST"),
    ("DELETE", "/executions/e", "GET"),
    ("POST", "/secrets", "GET"),
    ("HEAD", "/node-types", "GET"),
]


@pytest.mark.parametrize(("method", "path", "allowed"), WRONG_METHODS)
def test_a_known_path_with_another_method_answers_405_with_the_methods_it_has(
    org_a: Organization, method: str, path: str, allowed: str
) -> None:
    response = org_a.http.request(method, path)
    assert_clean_refusal(response)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "application/JSON; charset=UTF-8", "Application/Json"]
)
def test_media_types_are_case_insensitive(org_a: Organization, content_type: str) -> None:
    headers = {"Content-Type": content_type}
    body = json.dumps(workflow(node("n", "number-input", value=1), workflow_id="cased"))
    deployed = org_a.http.put("/workflows/cased", content=body, headers=headers)
    assert deployed.status_code in (200, 201), deployed.text
    started = org_a.http.post("/workflows/cased/executions", content=b"{}", headers=headers)
    assert started.status_code == 202, started.text
    secret = org_a.http.put("/secrets/CASED", content=b'{"value": "cased"}', headers=headers)
    assert secret.status_code == 200, secret.text


def test_an_oversized_body_is_refused_with_413(org_a: Organization) -> None:
    declared = org_a.http.put("/workflows/big", content=b"x" * TOO_LARGE)
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for _ in range(7):
            yield b" " * (1024 * 1024)

    streamed = org_a.http.put("/workflows/big", content=chunks())
    for response in (declared, streamed):
        assert_clean_refusal(response)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert org_a.http.get("/workflows/big").status_code == 404


# The fuzz: requests built from the route templates, with ids that exist and ids that do not.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
header_text = (
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
    .map(str.strip)
    .filter(bool)
)


def bodies(known: dict[str, str]) -> st.SearchStrategy[bytes | None]:
    shaped = st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "inputs": st.dictionaries(
                    st.sampled_from(["x", "sum", "nope"]),
                    st.dictionaries(st.sampled_from(["value", "a", "b"]), json_values),
                ),
                "sessionId": st.one_of(st.text(max_size=140), st.integers()),
            },
        ),
        st.fixed_dictionaries({"value": st.one_of(st.text(max_size=50), json_values)}),
        st.fixed_dictionaries(
            {"id": st.sampled_from([known["workflow_id"], "other"]), "name": st.text(max_size=10)},
            optional={"nodes": json_values, "edges": json_values},
        ),
    )
    return st.one_of(
        st.none(),
        json_values.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
    )


@st.composite
def requests(draw: st.DrawFn, known: dict[str, str], keys: list[str | None]) -> dict[str, Any]:
    templates = [path for _, path in ROUTES] + ["/openapi.json", "/", "/{workflow_id}/{name}"]
    # Mostly real routes, so that requests get past routing; sometimes anything at all.
    method, template = draw(
        st.one_of(
            st.sampled_from(ROUTES),
            st.sampled_from(ROUTES),
            st.tuples(st.sampled_from(METHODS), st.sampled_from(templates)),
        )
    )
    ids = {
        name: draw(st.one_of(st.just(value), st.text(max_size=90)), label=name)
        for name, value in known.items()
    }
    safe = draw(st.sampled_from(["", "/"]))
    quoted = {name: urllib.parse.quote(value, safe=safe) for name, value in ids.items()}
    path = template.format(**quoted)
    query = draw(
        st.dictionaries(
            st.sampled_from(["limit", "status", "nextToken", "sessionId", "x"]),
            st.one_of(header_text, st.integers(-5, 200).map(str)),
            max_size=3,
        )
    )
    headers: dict[str, str] = {}
    key = draw(st.sampled_from(keys))
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    for name in ("Content-Type", "Idempotency-Key", "Authorization"):
        if draw(st.booleans()) and draw(st.booleans()):
            headers[name] = draw(
                st.one_of(header_text, st.sampled_from(["application/json", "text/plain"]))
            )
    return {
        "method": method,
        "url": path,
        "params": query,
        "headers": headers,
        "content": draw(bodies(known)),
    }


def test_fuzzed_requests_never_get_a_5xx(server: Server, org_a: Organization) -> None:
    org_a.deploy(
        workflow(node("x", "number-input", value=1), node("sum", "sum"), workflow_id="fuzz")
    )
    execution_id = org_a.start("fuzz")
    org_a.wait_for(execution_id)
    org_a.http.put("/secrets/FUZZ", json={"value": "fuzz-secret"})
    known = {"workflow_id": "fuzz", "execution_id": execution_id, "name": "FUZZ", "node_id": "x"}
    client = server.http()
    tried: list[tuple[str, str, int]] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(known, [org_a.key, org_a.key, org_a.key, "stk_unknown", None]))
    def no_server_error(request: dict[str, Any]) -> None:
        response = client.request(**request)
        tried.append((request["method"], request["url"], response.status_code))
        assert response.status_code < 500, (request, response.text)
        assert "Traceback" not in response.text

    began = time.monotonic()
    no_server_error()
    statuses = sorted({status for _, _, status in tried})
    print(
        f"\nAPI fuzz: {len(tried)} requests in {time.monotonic() - began:.1f} s, "
        f"statuses {statuses}"
    )
    assert len(tried) >= FUZZ_EXAMPLES


def test_a_handler_answer_over_the_lambda_response_quota_is_a_500_naming_it(
    server: Server, org_a: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No route answers more than 6 MB (records and node types are paged under it); were one
    to, its Lambda would fail on AWS and API Gateway answer 500: serve does the same."""
    answered = server.gateway.http

    def oversized(event: dict[str, Any]) -> dict[str, Any]:
        result = answered(event)
        return {**result, "body": json.dumps({"data": "\n" * (3 * 1024 * 1024)})}

    monkeypatch.setattr(server.gateway, "http", oversized)
    response = org_a.http.get("/workflows")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "RESPONSE_TOO_LARGE"
    assert "at most 6,291,456 (its invocation payload quota)" in response.json()["error"]["message"]
