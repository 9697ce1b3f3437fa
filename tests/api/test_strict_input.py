"""What the HTTP API refuses as ambiguous or could never honour: a body naming a key twice,
an API key no request could carry; and how it lists a workflow's problems when they are many."""

from __future__ import annotations

import pytest

from tests.support.serving import Organization, Server
from tests.support.workflows import edge, node, workflow

JSON = {"Content-Type": "application/json"}
LISTED = 100  # problems an error lists, as the README says


@pytest.mark.parametrize(
    ("method", "path", "body", "key"),
    [
        (
            "PUT",
            "/workflows/twice",
            '{"id": "twice", "name": "n", "nodes": [{"id": "a", "type": "number-input"}],'
            ' "edges": [], "nodes": []}',
            "nodes",
        ),
        (
            "PUT",
            "/workflows/twice",
            '{"id": "twice", "name": "n", "edges": [], "nodes": [{"id": "j", "type":'
            ' "json-input", "inputs": [{"name": "json", "value": {"k": 1, "k": 2}}]}]}',
            "k",
        ),
        ("PUT", "/secrets/TOKEN", '{"value": "first", "value": "second"}', "value"),
    ],
    ids=["workflow", "literal", "secret"],
)
def test_a_body_naming_a_key_twice_is_refused_naming_the_key(
    org_a: Organization, method: str, path: str, body: str, key: str
) -> None:
    response = org_a.http.request(method, path, content=body.encode(), headers=JSON)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "DUPLICATE_JSON_KEY"
    assert f"the key '{key}' appears twice in one object" in error["message"]
    assert org_a.http.get("/workflows/twice").status_code == 404
    assert org_a.http.get("/secrets").json() == {"secrets": []}


def test_a_start_naming_its_inputs_twice_is_refused_and_starts_nothing(
    org_a: Organization,
) -> None:
    org_a.deploy(workflow(node("n", "number-input"), workflow_id="numbers"))
    body = '{"inputs": {"n": {"value": 1}}, "inputs": {"n": {"value": 2}}}'

    response = org_a.http.post("/workflows/numbers/executions", content=body, headers=JSON)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "DUPLICATE_JSON_KEY"
    assert "'inputs'" in response.json()["error"]["message"]
    assert org_a.http.get("/workflows/numbers/executions").json()["items"] == []


def test_a_workflow_with_very_many_problems_lists_the_first_and_counts_the_rest(
    org_a: Organization,
) -> None:
    flow = workflow(
        node("a", "number-input"),
        node("b", "absolute-value"),
        edges=[edge("a.value", "b.value")] * 20_000,
        workflow_id="many",
    )

    response = org_a.http.put("/workflows/many", json=flow)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_WORKFLOW"
    assert len(error["details"]) == LISTED
    assert {problem["code"] for problem in error["details"]} == {"DUPLICATE_CONNECTION"}
    assert error["message"].startswith("Invalid workflow (19999 problems): ")
    assert error["message"].endswith(f"; and {19_999 - LISTED} more")
    assert len(response.content) < 64 * 1024


def test_a_key_with_inner_spaces_authenticates_and_one_no_header_carries_is_refused(
    server: Server,
) -> None:
    keys = server.gateway.http_deps.api_keys
    keys.add("stk_inner space", "org-spaced")
    answered = server.http("stk_inner space").get("/secrets")
    assert answered.status_code == 200, answered.text

    for unsendable in (" stk_padded", "stk_padded ", "stk_clé", "stk_\x00nul"):
        with pytest.raises(ValueError, match="An API key "):
            keys.add(unsendable, "org-unsendable")
