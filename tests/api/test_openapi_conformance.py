"""The OpenAPI document is the API: schemathesis generates requests from `/openapi.json`
and checks each answer of serve against it (a documented status, the documented content type
and schema, the error envelope, never a 5xx). Its generation is derandomized: the same
requests every run."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_event_waits import until_waiting
from tests.api.test_executions_api import waiter
from tests.support.serving import FORM_ROUTES, ROUTES, Organization, Server
from tests.support.workflows import edge, node, workflow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_document(server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


@pytest.fixture(scope="module")
def conformance_org(server: Server) -> Organization:
    return server.organization()


def test_every_answer_is_one_the_document_describes(
    api_document: Any, server: Server, conformance_org: Organization
) -> None:
    headers = {"Authorization": f"Bearer {conformance_org.key}"}
    operations = [result.ok() for result in api_document.get_all_operations()]
    assert len(operations) == len(ROUTES) + len(FORM_ROUTES)

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def conforms(case: Any) -> None:
            case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

        conforms()


def test_no_route_lists_a_status_it_never_sends_and_errors_use_the_envelope(server: Server):
    document = server.http().get("/openapi.json").json()
    public = {(method.lower(), path) for method, path in FORM_ROUTES}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            # a form's routes take no key (their token is the credential): no 401
            form = (method, path) in public
            assert operation.get("security") == ([] if form else None), (method, path)
            assert ({"400"} if form else {"400", "401"}) <= set(responses), (method, path)
            assert "401" not in responses or not form, (method, path)
            for status, response in responses.items():
                if int(status) >= 400 and "application/json" in response["content"]:
                    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema_ref == "#/components/schemas/Error", (method, path, status)
                elif int(status) >= 400:  # a form's page, for a person
                    assert form, (method, path, status)
                    assert list(response["content"]) == ["text/html; charset=utf-8"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_success_body_matches_its_documented_model(
    server: Server, conformance_org: Organization
) -> None:
    """Each route's success answer, produced for real, validated against the schema the
    document gives that route and status."""
    document = server.http().get("/openapi.json").json()
    http = conformance_org.http
    answers: list[tuple[str, str, httpx.Response]] = []

    def call(method: str, route: str, path: str, **request: Any) -> httpx.Response:
        answer = http.request(method, path, **request)
        answers.append((method, route, answer))
        return answer

    flow = workflow(
        node("a", "number-input", value=2),
        node("b", "addition", b=3),
        edges=[edge("a.value", "b.a")],
        workflow_id="documented",
    )
    call("PUT", "/workflows/{workflow_id}", "/workflows/documented", json=flow)
    call("PUT", "/workflows/{workflow_id}", "/workflows/documented", json=flow)
    call("GET", "/workflows/{workflow_id}", "/workflows/documented")
    call("GET", "/workflows", "/workflows")
    started = call(
        "POST", "/workflows/{workflow_id}/executions", "/workflows/documented/executions", json={}
    ).json()
    execution = conformance_org.wait_for(started["executionId"])
    call("GET", "/executions/{execution_id}", f"/executions/{execution['id']}")
    call("GET", "/executions/{execution_id}/nodes", f"/executions/{execution['id']}/nodes")
    call("GET", "/workflows/{workflow_id}/executions", "/workflows/documented/executions")
    conformance_org.deploy(waiter("documented-wait"))
    waiting = conformance_org.start("documented-wait")
    conformance_org.wait_for(waiting, frozenset({"executing"}))
    call("POST", "/executions/{execution_id}/cancel", f"/executions/{waiting}/cancel")
    call("POST", "/executions/{execution_id}/retry", f"/executions/{waiting}/retry", json={})
    approval = {**node("approval", "wait-for-event"), "timeoutSeconds": 3000}
    conformance_org.deploy(workflow(approval, workflow_id="documented-event"))
    for ending, body in (("event", {"approved": True}), ("reject", {"reason": "no"})):
        waits = conformance_org.start("documented-event")
        until_waiting(conformance_org, waits)
        route = f"/executions/{{execution_id}}/nodes/{{node_id}}/{ending}"
        call("POST", route, f"/executions/{waits}/nodes/approval/{ending}", json=body)
    call("PUT", "/secrets/{name}", "/secrets/documented", json={"value": "s3cr3t-value"})
    call("GET", "/secrets", "/secrets")
    call("DELETE", "/secrets/{name}", "/secrets/documented")
    call("GET", "/node-types", "/node-types")
    call("POST", "/blobs", "/blobs", content=b"\x89PNG", headers={"Content-Type": "image/png"})
    call("DELETE", "/workflows/{workflow_id}", "/workflows/documented")

    checked = set()
    for method, route, answer in answers:
        assert answer.status_code < 300, (method, route, answer.text)
        documented = document["paths"][route][method.lower()]["responses"]
        response = documented[str(answer.status_code)]
        if answer.status_code == 204:
            assert "content" not in response
            assert answer.content == b""
        else:
            schema = response["content"]["application/json"]["schema"]
            root = {**schema, "components": document["components"]}
            jsonschema.Draft202012Validator(root).validate(answer.json())
        checked.add((method, route))
    assert checked == {(m, r) for m, r in ROUTES}
