"""SPEC §7: integrations give nodes their OAuth token, refreshed when expired, never shown.

A test node type (declared like any other, with `uses_integrations`) reads an integration and
calls a local API with its access token; its only outputs are the provider and whether the
API accepted the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lambdas.nodes import default_registry
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.registry import Registry
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from statemachine.model import ParameterType
from statemachine.validation import validate_workflow
from tests.support.secret_scan import (
    Reply,
    Request,
    Route,
    Scan,
    Server,
    execution_arn,
    history,
    organization,
    plaintext,
    scan_deployment,
)
from tests.support.workflows import edge, node, workflow

family = NodeFamily("Test")


@family.node(
    "integration-probe",
    "Integration probe",
    "Calls an API with an integration's access token",
    inputs=(
        port("integration", ParameterType.STRING, required=True),
        port("url", ParameterType.STRING, required=True),
    ),
    outputs=(port("provider", ParameterType.STRING), port("accepted", ParameterType.BOOLEAN)),
    inlinable=False,
    uses_integrations=True,
)
def integration_probe(ctx: NodeContext) -> Mapping[str, Any]:
    integration = ctx.get_integration(ctx.inputs["integration"])
    headers = {"Authorization": f"Bearer {integration['accessToken']}"}
    with httpx.Client(trust_env=False, timeout=5) as client:
        response = client.get(ctx.inputs["url"], headers=headers)
    return {"provider": integration["provider"], "accepted": response.status_code == 200}


REGISTRY = Registry([*default_registry().values(), *family.node_types])
VALID_TOKEN = plaintext()
CLIENT_ID = "stepthunk-client"


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(
        registry=REGISTRY,
        organization_id="org-with-valid-token",
        integrations=[{"id": "crm", "provider": "acme-crm", "accessToken": VALID_TOKEN}],
        cloud=cloud,
    )


def probe_workflow(api: Server) -> dict[str, Any]:
    return workflow(
        node("probe", "integration-probe", integration="crm", url=api.url("/me")),
        node("shown", "output-any"),
        edges=[edge("probe.accepted", "shown.value")],
        workflow_id="integration-probe",
    )


def api_accepting(token: str) -> Route:
    def answer(request: Request) -> Reply:
        if request.headers.get("authorization") == f"Bearer {token}":
            return Reply(200, {"name": "Ada"})
        return Reply(401, {"error": "invalid_token"})

    return answer


def expired_integration(token_endpoint: str, tokens: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": "crm",
        "provider": "acme-crm",
        "accessToken": tokens["access"],
        "refreshToken": tokens["refresh"],
        "clientSecret": tokens["client"],
        "clientId": CLIENT_ID,
        "tokenEndpoint": token_endpoint,
        "expiresAt": "2020-01-01T00:00:00Z",
    }


def new_tokens() -> dict[str, str]:
    return {"access": plaintext(), "refresh": plaintext(), "client": plaintext()}


def assert_never_stored(
    engine: EmbeddedEngine,
    records: list[dict[str, Any]],
    *tokens: str,
    messages: list[dict[str, Any]] | None = None,
    logs: list[str] | None = None,
) -> None:
    scan = Scan(tokens)
    scan_deployment(engine, scan)
    for record in records:
        scan.look("records", record["id"], record)
    for message in messages or []:
        scan.look("messages", "live update", message)
    for line in logs or []:
        scan.look("log lines", "handler logs", line)
    print(scan.summary())
    assert scan.counts["events"] > 0
    assert scan.counts["items"] > 0
    assert scan.found == []


def test_a_valid_token_is_used_as_it_is(
    engine: EmbeddedEngine, serve: Callable[[Route], Server]
) -> None:
    api = serve(api_accepting(VALID_TOKEN))
    flow = probe_workflow(api)
    execution_id = f"valid-token-{plaintext(8)}"
    record = engine.run(flow, execution_id=execution_id).to_json()

    assert record["status"] == "completed", record
    assert record["nodeExecutions"][0]["outputs"] == {"provider": "acme-crm", "accepted": True}
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {VALID_TOKEN}"]
    machine = engine.cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=engine.deploy(validate_workflow(flow, REGISTRY.catalog))
    )
    # Initialize workflow preloads them (no state of their own)
    states = json.loads(machine["definition"])["States"]
    assert states["Initialize workflow"]["Parameters"]["preload"] == ["integrations"]
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in history(engine, execution_arn(engine, flow, execution_id))
        if "stateEnteredEventDetails" in event
    ]
    assert entered.index("Initialize workflow") < entered.index("Run node probe")
    assert_never_stored(engine, [record], VALID_TOKEN)


def test_an_expired_token_is_refreshed_once_and_stored(
    engine: EmbeddedEngine, serve: Callable[[Route], Server]
) -> None:
    tokens, renewed = new_tokens(), plaintext()
    token_endpoint = serve(
        lambda _: Reply(200, {"access_token": renewed, "token_type": "Bearer", "expires_in": 3600})
    )
    api = serve(api_accepting(renewed))
    owner = organization()
    engine.integrations.put(owner, expired_integration(token_endpoint.url("/token"), tokens))

    first = engine.run(probe_workflow(api), organization_id=owner).to_json()
    second = engine.run(probe_workflow(api), organization_id=owner).to_json()

    for record in (first, second):
        assert record["status"] == "completed", record
        assert record["nodeExecutions"][0]["outputs"] == {"provider": "acme-crm", "accepted": True}
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {renewed}"] * 2
    assert len(token_endpoint.requests) == 1
    refresh = token_endpoint.requests[0]
    assert refresh.method == "POST"
    assert refresh.headers["content-type"] == "application/x-www-form-urlencoded"
    assert refresh.form() == {
        "grant_type": ["refresh_token"],
        "refresh_token": [tokens["refresh"]],
        "client_id": [CLIENT_ID],
        "client_secret": [tokens["client"]],
    }
    stored = engine.integrations.sealed(owner)["crm"]
    expires_at = datetime.fromisoformat(stored["expiresAt"].replace("Z", "+00:00"))
    assert expires_at > datetime.now(UTC) + timedelta(minutes=55)
    assert_never_stored(engine, [first, second], renewed, *tokens.values())


def test_a_failing_token_endpoint_fails_the_node_without_quoting_a_token(
    engine: EmbeddedEngine,
    serve: Callable[[Route], Server],
    handler_logs: Callable[[], list[str]],
) -> None:
    tokens = new_tokens()
    # The worst endpoint: it fails and echoes what it was sent.
    token_endpoint = serve(lambda request: Reply(500, {"echo": request.body.decode()}))
    api = serve(api_accepting(tokens["access"]))
    owner = organization()
    engine.integrations.put(owner, expired_integration(token_endpoint.url("/token"), tokens))

    messages: list[dict[str, Any]] = []
    run = engine.run(probe_workflow(api), organization_id=owner, on_update=messages.append)
    record = run.to_json()

    assert record["status"] == "error"
    probe = record["nodeExecutions"][0]
    assert probe["status"] == "error"
    assert probe["error"].startswith("Integration 'crm' token refresh failed: HTTP 500")
    assert Scan(tuple(tokens.values())).finds(probe["error"]) == []
    assert record["nodeExecutions"][1]["skipReason"] == "upstream_failure"
    assert len(token_endpoint.requests) == 1
    assert api.requests == []
    assert messages[-1]["nodeExecutions"][0]["error"] == probe["error"]
    logs = handler_logs()
    assert_never_stored(engine, [record], *tokens.values(), messages=messages, logs=logs)
