"""Large workflow documents through PUT /workflows/{id}: what has no reason to be long is
refused by its limit, what the API cannot hold is refused with 413 naming the limit, and a
large document that is accepted deploys and runs (moto's lexer once took seconds per 100 kB
of non-ASCII text, so that such a deploy outlasted any client's patience)."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.handlers.api.workflows import MAX_WORKFLOW_BYTES
from local.server_app import MAX_BODY_BYTES
from tests.support.serving import Organization
from tests.support.workflows import node, workflow

CHECK_CREDITS = False  # read by the server fixture: development mode, as `stepthunk serve` runs


def named(name: str) -> dict[str, Any]:
    return workflow(node("n", "number-input", value=1), workflow_id="t", name=name)


@pytest.mark.parametrize("length", [100_000, 300_000])
def test_a_workflow_name_of_a_hundred_thousand_characters_is_refused_by_its_limit(
    org_a: Organization, length: int
) -> None:
    response = org_a.http.put("/workflows/t", json=named("é" * length))
    assert response.status_code == 400, response.text
    [problem] = response.json()["error"]["details"]
    assert problem["code"] == "TOO_LONG"
    assert problem["path"] == "name"
    assert problem["message"] == f"name is {length:,} characters long; at most 256 are allowed"
    assert org_a.http.get("/workflows/t").status_code == 404


@pytest.mark.parametrize("text", ["é" * 100_000, "😀" * 100_000, "x" * 600_000])
def test_a_workflow_carrying_a_large_literal_in_any_script_deploys_and_runs(
    org_a: Organization, text: str
) -> None:
    document = workflow(node("text", "text-input", value=text), workflow_id="literal")
    response = org_a.http.put("/workflows/literal", json=document)
    assert response.status_code in (200, 201), response.text
    record = org_a.wait_for(org_a.start("literal"))
    outputs = {e["nodeId"]: e.get("outputs") for e in record["nodeExecutions"]}
    assert outputs["text"] == {"value": text}


def test_a_workflow_larger_than_the_api_can_answer_is_refused_with_413_naming_the_limit(
    org_a: Organization,
) -> None:
    document = workflow(node("t", "text-input", value="x" * 5_500_000), workflow_id="huge")
    assert MAX_WORKFLOW_BYTES < 5_500_000 < MAX_BODY_BYTES  # the server takes the body
    response = org_a.http.put("/workflows/huge", json=document)
    assert response.status_code == 413, response.text[:1000]
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert f"{MAX_WORKFLOW_BYTES:,}" in error["message"]
    assert org_a.http.get("/workflows/huge").status_code == 404
