"""Secrets by name only, their use inside a node, the node catalog and the OpenAPI document."""

from __future__ import annotations

import httpx

from lambdas.nodes import default_registry
from tests.support.http_server import LocalServer, http_server_fixture
from tests.support.serving import FORM_ROUTES, ROUTES, Organization, Server, updates_until_final
from tests.support.workflows import node, workflow

__all__ = ["http_server_fixture"]  # the `http_server` fixture

PLAINTEXT = "s3cr3t-value-never-shown"


def test_secrets_are_listed_by_name_only_and_deleted(org_a: Organization) -> None:
    seen = []
    for name in ("TOKEN", "API_KEY"):
        response = org_a.http.put(f"/secrets/{name}", json={"value": PLAINTEXT})
        assert response.status_code == 200
        assert response.json() == {"name": name}
        seen.append(response.text)
    listed = org_a.http.get("/secrets")
    assert listed.json() == {"secrets": ["API_KEY", "TOKEN"]}
    deleted = org_a.http.delete("/secrets/TOKEN")
    assert deleted.status_code == 204
    assert org_a.http.get("/secrets").json() == {"secrets": ["API_KEY"]}
    again = org_a.http.delete("/secrets/TOKEN")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "NOT_FOUND"
    seen += [listed.text, deleted.text, again.text]
    assert not any(PLAINTEXT in text for text in seen)


def test_a_node_receives_the_secret_that_no_response_or_update_shows(
    server: Server, org_a: Organization, http_server: LocalServer
) -> None:
    org_a.http.put("/secrets/TOKEN", json={"value": "first-value"})
    org_a.http.put("/secrets/TOKEN", json={"value": PLAINTEXT})  # replaced
    fetcher = workflow(
        node(
            "call", "fetch", url=http_server.url("/json"), headers={"X-Token": "{{secrets.TOKEN}}"}
        ),
        workflow_id="fetcher",
    )
    org_a.deploy(fetcher)
    with server.session(org_a, "secret-session") as socket:
        execution_id = org_a.start("fetcher", sessionId="secret-session")
        messages = updates_until_final(socket, execution_id)
    assert http_server.last.headers["x-token"] == PLAINTEXT
    record = org_a.http.get(f"/executions/{execution_id}")
    assert record.json()["status"] == "completed"
    echoed = record.json()["nodeExecutions"][0]["outputs"]["body"]
    assert echoed["headers"]["x-token"] == "***"
    assert PLAINTEXT not in record.text
    assert not any(PLAINTEXT in str(message) for message in messages)
    listing = org_a.http.get("/workflows/fetcher/executions")
    assert PLAINTEXT not in listing.text


def test_a_secret_of_another_organization_is_not_found_by_a_node(
    server: Server, org_a: Organization, org_b: Organization, http_server: LocalServer
) -> None:
    org_a.http.put("/secrets/TOKEN", json={"value": PLAINTEXT})
    fetcher = workflow(
        node(
            "call", "fetch", url=http_server.url("/json"), headers={"X-Token": "{{secrets.TOKEN}}"}
        ),
        workflow_id="fetcher",
    )
    org_b.deploy(fetcher)
    record = org_b.wait_for(org_b.start("fetcher"))
    assert record["status"] == "error"
    assert "TOKEN" in record["nodeExecutions"][0]["error"]
    assert all(PLAINTEXT not in request.headers.values() for request in http_server.requests)


def test_node_types_lists_the_catalog(org_a: Organization) -> None:
    response = org_a.http.get("/node-types")
    assert response.status_code == 200
    types = {spec["id"]: spec for spec in response.json()["nodeTypes"]}
    assert set(types) == set(default_registry().catalog)
    assert [port["name"] for port in types["addition"]["inputs"]] == ["a", "b"]
    assert types["fetch"]["inlinable"] is False
    llm = [port["name"] for port in types["gpt-41"]["inputs"]]
    assert llm == ["instructions", "input", "max_tokens", "schema"]
    assert types["claude-sonnet-4"]["inlinable"] is False
    assert "ANTHROPIC_API_KEY" in types["claude-sonnet-4"]["description"]
    sms = types["twilio-sms"]
    assert [port["name"] for port in sms["inputs"]] == ["to", "body", "from"]
    assert [port["name"] for port in sms["outputs"]] == ["sid", "status", "error"]
    assert (sms["inlinable"], sms["usage"]) == (False, 10)
    assert "TWILIO_AUTH_TOKEN" in sms["description"]


def test_the_openapi_document_is_public_and_lists_every_route(server: Server) -> None:
    response = httpx.get(f"{server.base_url}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert operations == set(ROUTES) | set(FORM_ROUTES)
    assert "securitySchemes" in document["components"]


def test_a_secret_is_limited_in_bytes_as_kms_counts_them_not_in_characters(
    server: Server, org_a: Organization
) -> None:
    largest = org_a.http.put("/secrets/WIDE", json={"value": "é" * 2048})  # 4,096 bytes
    assert largest.status_code == 200, largest.text
    for value in ("é" * 3000, "😀" * 1025, "v" * 4097):
        response = org_a.http.put("/secrets/WIDE", json={"value": value})
        assert response.status_code == 413, response.text
        error = response.json()["error"]
        assert error["code"] == "PAYLOAD_TOO_LARGE"
        assert "4,096 bytes" in error["message"]
    sealed = server.engine.secrets.sealed(org_a.id)["WIDE"]
    assert server.engine.secrets.open(org_a.id, sealed) == "é" * 2048


def test_a_secret_too_short_to_mask_is_refused_so_that_every_stored_one_is_masked(
    server: Server, org_a: Organization, http_server: LocalServer
) -> None:
    for value, size in (("", "empty"), ("a", "1 character long"), ("abé", "3 characters long")):
        response = org_a.http.put("/secrets/PIN", json={"value": value})
        assert response.status_code == 400, response.text
        assert response.json()["error"] == {
            "code": "SECRET_TOO_SHORT",
            "message": f"Secret 'PIN' is {size}: a secret has at least 4 characters, so that "
            "masking it in results never hides ordinary text",
        }
    assert org_a.http.get("/secrets").json() == {"secrets": []}

    assert org_a.http.put("/secrets/PIN", json={"value": "0451"}).status_code == 200
    org_a.deploy(
        workflow(
            node(
                "call", "fetch", url=http_server.url("/json"), headers={"X-Pin": "{{secrets.PIN}}"}
            ),
            workflow_id="pin",
        )
    )
    record = org_a.wait_for(org_a.start("pin"))
    assert http_server.last.headers["x-pin"] == "0451"
    assert record["nodeExecutions"][0]["outputs"]["body"]["headers"]["x-pin"] == "***"


def test_the_openapi_document_names_every_node_type_with_its_description(server: Server) -> None:
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    node_type_id = document["components"]["schemas"]["NodeTypeId"]
    listed = node_type_id["x-enumDescriptions"]
    catalog = server.engine.registry
    assert set(node_type_id["enum"]) == set(listed) == set(catalog.keys())
    for node_type in catalog.values():
        described = listed[node_type.spec.id]
        assert described.startswith(f"{node_type.spec.name}: {node_type.spec.description}")
        assert described.endswith(f"Usage: {node_type.spec.usage} per run.")
    assert listed["twilio-sms"].startswith("Twilio SMS: Sends an SMS through Twilio")
    put = document["paths"]["/workflows/{workflow_id}"]["put"]
    nodes = put["requestBody"]["content"]["application/json"]["schema"]["properties"]["nodes"]
    assert nodes["items"]["properties"]["type"] == {"$ref": "#/components/schemas/NodeTypeId"}
