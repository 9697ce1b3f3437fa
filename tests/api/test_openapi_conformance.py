"""The OpenAPI document is the API: schemathesis generates requests from `/openapi.json`
and checks each answer of serve against it (a documented status, the documented content type
and schema, the error envelope, never a 5xx). Its generation is derandomized: the same
requests every run."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ROUTES, Organization, Server

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
    assert len(operations) == len(ROUTES)

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
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            assert {"400", "401"} <= set(responses), (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema_ref == "#/components/schemas/Error", (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
