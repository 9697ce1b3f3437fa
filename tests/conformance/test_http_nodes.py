"""The fetch node against a local HTTP server: requests sent, responses reported, secrets kept."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.http_server import (  # noqa: F401 - registers the fixtures
    BINARY,
    LocalServer,
    http_server_fixture,
    other_server_fixture,
    unused_port,
)
from tests.support.workflows import edge, node, workflow

TOKEN = "tok-7f3a9c-plaintext"


def run_fetch(engine: Engine, secrets: dict[str, str] | None = None, **inputs: Any) -> Result:
    return engine.run(workflow(node("f", "fetch", **inputs)), secrets=secrets)


def test_json_response_body_is_parsed(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/json"))

    assert result.status == "completed"
    assert result.output("f", "status") == 200
    assert result.output("f", "statusText") == "OK"
    assert result.output("f", "headers")["content-type"] == "application/json"
    assert result.output("f", "body")["method"] == "GET"
    assert http_server.last.method == "GET"


def test_text_response_body_is_decoded_and_repeated_headers_joined(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(engine, url=http_server.url("/text"))

    assert result.output("f", "body") == "hello, world"
    assert result.output("f", "headers")["x-multi"] == "a, b"


def test_binary_response_body_is_a_blob_reference(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/bytes"))

    body = result.output("f", "body")
    assert isinstance(body["id"], str)
    assert body["mimeType"] == "application/octet-stream"


def test_downloaded_blob_can_be_sent_as_a_request_body(
    engine: Engine, http_server: LocalServer
) -> None:
    download = node("get", "fetch", url=http_server.url("/bytes"))
    upload = node("put", "fetch", url=http_server.url("/json"), method="PUT")
    result = engine.run(workflow(download, upload, edges=[edge("get.body", "put.body")]))

    assert result.output("put", "status") == 200
    assert http_server.last.body == BINARY
    assert http_server.last.headers["content-type"] == "application/octet-stream"


def test_post_sends_a_json_object_as_json(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(
        engine, url=http_server.url("/json"), method="post", body={"name": "Ada", "n": [1, 2]}
    )

    assert result.output("f", "status") == 200
    assert http_server.last.method == "POST"
    assert http_server.last.headers["content-type"] == "application/json"
    assert http_server.last.json() == {"name": "Ada", "n": [1, 2]}


def test_a_content_type_set_by_the_user_wins(engine: Engine, http_server: LocalServer) -> None:
    run_fetch(
        engine,
        url=http_server.url("/json"),
        method="POST",
        headers={"content-type": "application/vnd.api+json"},
        body={"a": 1},
    )

    assert http_server.last.headers["content-type"] == "application/vnd.api+json"
    assert http_server.last.json() == {"a": 1}


def test_string_body_is_sent_as_utf8_text(engine: Engine, http_server: LocalServer) -> None:
    run_fetch(engine, url=http_server.url("/json"), method="PUT", body="héllo")

    assert http_server.last.body == "héllo".encode()
    assert http_server.last.headers["content-type"] == "text/plain; charset=utf-8"


def test_get_sends_no_body(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/json"), body={"ignored": True})

    assert result.output("f", "status") == 200
    assert http_server.last.body == b""
    assert "content-type" not in http_server.last.headers


def test_query_is_appended_to_the_urls_own_query(engine: Engine, http_server: LocalServer) -> None:
    run_fetch(
        engine,
        url=http_server.url("/json?page=2"),
        query={"q": "a b", "tag": ["x", "y"], "limit": 10, "all": True},
    )

    assert http_server.last.query == {
        "page": ["2"],
        "q": ["a b"],
        "tag": ["x", "y"],
        "limit": ["10"],
        "all": ["true"],
    }


def test_redirects_are_followed(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/redirect?to=/text"))

    assert result.output("f", "status") == 200
    assert result.output("f", "body") == "hello, world"


def redirect(server: LocalServer, to: str, code: int = 302) -> str:
    """The URL on `server` that answers `code` to `to`."""
    return server.url(f"/redirect?code={code}&to={urllib.parse.quote(to, safe='')}")


def test_a_redirect_to_another_origin_drops_every_header_and_cookie_carrying_a_secret(
    engine: Engine, http_server: LocalServer, other_server: LocalServer
) -> None:
    headers = {
        "Authorization": "Bearer {{secrets.API_TOKEN}}",
        "X-Api-Key": "{{secrets.API_TOKEN}}",
        "Cookie": "session={{secrets.API_TOKEN}}",
        "X-Echo": "{{secrets.API_TOKEN}}",  # the first server sets it as a cookie, too
        "X-Plain": "no secret here",
    }

    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN},
        url=redirect(http_server, other_server.url("/json")),
        headers=headers,
    )

    assert http_server.last.headers["x-api-key"] == TOKEN  # the origin the workflow named
    assert len(other_server.requests) == 1
    arrived = other_server.last.headers
    assert TOKEN not in json.dumps(arrived)
    assert arrived["x-plain"] == "no secret here"
    assert not {"authorization", "x-api-key", "x-echo", "cookie"} & set(arrived)
    assert result.output("f", "body")["headers"] == arrived
    assert TOKEN not in json.dumps(result.record)


def test_a_redirect_within_the_origin_keeps_the_headers_carrying_a_secret(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN},
        url=redirect(http_server, http_server.url("/json"), code=307),
        method="POST",
        headers={"X-Api-Key": "{{secrets.API_TOKEN}}"},
        body={"pin": "{{secrets.API_TOKEN}}"},
    )

    assert result.output("f", "status") == 200
    assert [r.path for r in http_server.requests] == ["/redirect", "/json"]
    assert http_server.last.headers["x-api-key"] == TOKEN
    assert http_server.last.json() == {"pin": TOKEN}
    assert result.output("f", "body")["headers"]["x-api-key"] == "***"


@pytest.mark.parametrize(
    "carrier",
    [
        {"url": "{to}&key={{{{secrets.API_TOKEN}}}}"},
        {"query": {"key": "{{secrets.API_TOKEN}}"}},
        {"method": "POST", "body": {"key": "{{secrets.API_TOKEN}}"}},
        {"method": "PUT", "body": "key={{secrets.API_TOKEN}}"},
    ],
    ids=["url", "query", "json body", "text body"],
)
def test_a_redirect_to_another_origin_is_refused_when_the_url_query_or_body_carries_a_secret(
    engine: Engine, http_server: LocalServer, other_server: LocalServer, carrier: dict[str, Any]
) -> None:
    to = redirect(http_server, other_server.url("/json"), code=307)
    inputs = {"url": to, **carrier}
    inputs["url"] = inputs["url"].format(to=to)

    result = run_fetch(engine, secrets={"API_TOKEN": TOKEN}, **inputs)

    assert result.error("f") == (
        f"Request to {http_server.url('/redirect')} was redirected to "
        f"http://127.0.0.1:{other_server.port}, another origin: not followed, as its URL, "
        "query or body carries a secret"
    )
    assert other_server.requests == []
    assert TOKEN in json.dumps(
        [r.target for r in http_server.requests] + [r.body.decode() for r in http_server.requests]
    )
    assert TOKEN not in json.dumps(result.record)


def test_not_found_completes_with_status_404(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/status/404"))

    assert result.status == "completed"
    assert result.output("f", "status") == 404
    assert result.output("f", "statusText") == "Not Found"
    assert result.output("f", "body") == "status 404"


def test_with_fail_on_http_error_an_error_status_fails_the_node_naming_the_url(
    engine: Engine, http_server: LocalServer
) -> None:
    client_error = run_fetch(
        engine, url=http_server.url("/status/404?key=hidden"), failOnHttpError=True
    )
    server_error = run_fetch(engine, url=http_server.url("/status/503"), failOnHttpError=True)
    fine = run_fetch(engine, url=http_server.url("/status/204"), failOnHttpError=True)

    assert client_error.status == "error"
    assert (
        client_error.error("f")
        == f"Request to {http_server.url('/status/404')} answered 404 Not Found"
    )
    assert "outputs" not in client_error.node("f")
    assert server_error.error("f").endswith("answered 503 Service Unavailable")
    assert fine.output("f", "status") == 204


def test_timeout_fails_the_node_naming_the_url_without_query(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(engine, url=http_server.url("/slow?key=hidden"), timeout=200)

    assert result.status == "error"
    assert result.error("f") == f"Request to {http_server.url('/slow')} timed out after 200 ms"


def test_connection_refused_fails_the_node_without_credentials_in_the_message(
    engine: Engine,
) -> None:
    port = unused_port()
    result = run_fetch(engine, url=f"http://user:pw@127.0.0.1:{port}/x?k=v")

    assert result.error("f") == f"Request to http://127.0.0.1:{port}/x failed: connection refused"


def test_non_http_url_fails_the_node(engine: Engine) -> None:
    result = run_fetch(engine, url="ftp://127.0.0.1/file.txt")

    assert (
        result.error("f")
        == "Only http and https URLs are supported, got 'ftp://127.0.0.1/file.txt'"
    )


def test_unknown_method_fails_the_node(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(engine, url=http_server.url("/json"), method="FROB")

    assert result.error("f").startswith("Unsupported HTTP method 'FROB'")
    assert http_server.requests == []


def test_secret_in_a_header_reaches_the_server_but_not_the_record(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN},
        url=http_server.url("/status/200"),
        headers={"Authorization": "Bearer {{ secrets.API_TOKEN }}"},
    )

    assert result.output("f", "status") == 200
    assert http_server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(result.record)


def test_secret_echoed_back_by_the_server_is_masked(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN, "USER": "ada"},
        url=http_server.url("/json"),
        headers={"X-Auth": "{{secrets.USER}}:{{secrets.API_TOKEN}}"},
    )

    assert http_server.last.headers["x-auth"] == f"ada:{TOKEN}"
    assert result.output("f", "body")["headers"]["x-auth"] == "***:***"
    assert TOKEN not in json.dumps(result.record)


def test_secrets_in_the_url_query_and_body_reach_the_server_but_not_the_record(
    engine: Engine, http_server: LocalServer
) -> None:
    secrets = {"URL_KEY": "url key/é-7f3a", "API_TOKEN": TOKEN, "PIN": "p1n-0451"}
    given = {
        "url": http_server.url("/json?key={{secrets.URL_KEY}}"),
        "method": "POST",
        "query": {"token": "Bearer {{ secrets.API_TOKEN }}"},
        "body": {"auth": {"pin": "{{secrets.PIN}}"}, "n": 1},
    }

    result = run_fetch(engine, secrets=secrets, **given)

    assert http_server.last.query == {"key": ["url key/é-7f3a"], "token": [f"Bearer {TOKEN}"]}
    assert http_server.last.json() == {"auth": {"pin": "p1n-0451"}, "n": 1}
    echo = result.output("f", "body")
    assert echo["query"] == {"key": ["***"], "token": ["Bearer ***"]}
    assert echo["body"] == '{"auth":{"pin":"***"},"n":1}'
    assert "%20" in http_server.last.target  # the server saw the key percent-encoded...
    assert echo["target"] == "/json?key=***&token=Bearer+***"  # ...and echoed it masked
    inputs = result.node("f")["inputs"]
    assert {name: inputs[name] for name in given} == given  # the references, as written
    shown = json.dumps(result.record, ensure_ascii=False)
    for plaintext in ("url key", "url%20key", TOKEN, "p1n-0451"):
        assert plaintext not in shown


def test_a_secret_in_a_text_body_is_sent_and_masked_in_the_echo(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN},
        url=http_server.url("/json"),
        method="PUT",
        body="token={{secrets.API_TOKEN}}",
    )

    assert http_server.last.body == f"token={TOKEN}".encode()
    assert result.output("f", "body")["body"] == "token=***"
    assert TOKEN not in json.dumps(result.record)


def test_a_secret_in_the_url_path_is_masked_in_the_error_message(engine: Engine) -> None:
    port = unused_port()
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": TOKEN},
        url=f"http://127.0.0.1:{port}/v1/{{{{secrets.API_TOKEN}}}}/items",
    )

    assert result.error("f") == (
        f"Request to http://127.0.0.1:{port}/v1/***/items failed: connection refused"
    )
    assert TOKEN not in json.dumps(result.record)


def test_every_copy_of_an_echoed_secret_is_masked(engine: Engine, http_server: LocalServer) -> None:
    echo = node(
        "echo", "fetch", url=http_server.url("/echo"), headers={"X-Echo": "{{secrets.API_TOKEN}}"}
    )
    upload = node("put", "fetch", url=http_server.url("/json"), method="PUT")
    flow = workflow(echo, upload, edges=[edge("echo.body", "put.body")])

    result = engine.run(flow, secrets={"API_TOKEN": TOKEN})

    assert result.output("echo", "headers")["x-echo"] == "***, ***"
    # the binary body, stored as a blob, is masked too: uploaded, it reaches the server so
    assert http_server.last.body == b"\x00***\xff***"
    assert TOKEN not in json.dumps(result.record)


def test_a_secret_inside_a_longer_one_is_masked_whole_in_values_keys_and_errors(
    engine: Engine, http_server: LocalServer
) -> None:
    short, long = "VALUE99", "PRIVATEPREFIX-VALUE99"
    port = unused_port()
    echo = node(
        "echo",
        "fetch",  # the shorter one first: masked first, it would leave "PRIVATEPREFIX-***"
        url=http_server.url("/json?k={{secrets.SHORT}}&{{secrets.LONG}}=1"),
        headers={"X-Short": "{{secrets.SHORT}}", "X-Long": "{{secrets.LONG}}"},
    )
    down = node(
        "down", "fetch", url=f"http://127.0.0.1:{port}/{{{{secrets.SHORT}}}}/{{{{secrets.LONG}}}}"
    )

    result = engine.run(workflow(echo, down), secrets={"SHORT": short, "LONG": long})

    assert http_server.last.query == {"k": [short], long: ["1"]}
    body = result.output("echo", "body")
    assert (body["headers"]["x-short"], body["headers"]["x-long"]) == ("***", "***")
    assert body["query"] == {"k": ["***"], "***": ["1"]}  # a key, masked as a value is
    assert body["target"] == "/json?k=***&***=1"
    assert (
        result.error("down")
        == f"Request to http://127.0.0.1:{port}/***/*** failed: connection refused"
    )
    assert "PRIVATEPREFIX" not in json.dumps(result.record)


def test_a_secret_echoed_in_a_response_header_name_is_masked_before_it_is_lower_cased(
    engine: Engine, http_server: LocalServer
) -> None:
    secrets = {"KEY": "Session-Key-7F3A"}
    url = http_server.url("/headers?X-{{secrets.KEY}}=1")

    result = run_fetch(engine, secrets=secrets, url=url)

    assert result.output("f", "headers")["x-***"] == "1"
    assert "session-key-7f3a" not in json.dumps(result.record).lower()


def test_secret_that_breaks_a_header_fails_without_showing_it(
    engine: Engine, http_server: LocalServer
) -> None:
    result = run_fetch(
        engine,
        secrets={"API_TOKEN": f"{TOKEN}\r\nX-Injected: 1"},
        url=http_server.url("/json"),
        headers={"Authorization": "Bearer {{secrets.API_TOKEN}}"},
    )

    assert result.error("f") == "Header 'Authorization' must be ASCII text on one line"
    assert TOKEN not in json.dumps(result.record)
    assert http_server.requests == []


def test_missing_secret_fails_the_node(engine: Engine, http_server: LocalServer) -> None:
    result = run_fetch(
        engine, url=http_server.url("/json"), headers={"Authorization": "{{secrets.NOPE}}"}
    )

    assert result.error("f") == "Secret 'NOPE' not found"
    assert http_server.requests == []


def test_completed_fetch_costs_10_and_failed_fetch_costs_nothing(
    engine: Engine, http_server: LocalServer
) -> None:
    ok = node("ok", "fetch", url=http_server.url("/status/500"))
    bad = node("bad", "fetch", url="mailto:someone@example.com")
    result = engine.run(workflow(ok, bad))

    assert result.node("ok")["usage"] == 10
    assert result.node("bad")["usage"] == 0
    assert result.record["usage"] == 10
