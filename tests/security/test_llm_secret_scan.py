"""SPEC §7 for the LLM nodes: the organization's provider key reaches the provider's API, and
no record, log, live update or stored item of the deployment (tests.support.secret_scan).

Each test stores a fresh random key as ANTHROPIC_API_KEY and OPENAI_API_KEY of an organization
of its own, runs LLM nodes against the local fakes of both APIs with a live session, then
searches the whole deployment, the handlers' DEBUG logs, every live update and the record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES, Reply
from tests.support.model_apis import ModelApiFakes, model_api_fakes
from tests.support.secret_scan import organization, plaintext, scan_everything
from tests.support.workflows import edge, node, workflow

SECRETS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


@pytest.fixture(scope="module")
def fakes() -> Iterator[ModelApiFakes]:
    with model_api_fakes() as started:
        yield started


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud, fakes: ModelApiFakes) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, allow_networks=LOCAL_FAKES, model_apis=fakes.apis)


def both_providers() -> dict[str, Any]:
    return workflow(
        node("claude", "claude-sonnet-4", input="Summarize the report"),
        node("gpt", "gpt-41", input="Extract the person", schema={"name": "p", "fields": []}),
        node("shown", "output-any"),
        node("json", "output-any"),
        edges=[edge("claude.text", "shown.value"), edge("gpt.text", "json.value")],
    )


def run_with_key(
    engine: EmbeddedEngine, flow: dict[str, Any], stored: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `flow` for a new organization whose provider keys are `stored`, with a session."""
    owner = organization()
    for name in SECRETS:
        engine.secrets.put(owner, name, stored)
    messages: list[dict[str, Any]] = []
    record = engine.run(flow, organization_id=owner, on_update=messages.append)
    return record.to_json(), messages


def assert_nowhere(
    engine: EmbeddedEngine,
    key: str,
    record: dict[str, Any],
    messages: list[dict[str, Any]],
    logs: list[str],
) -> None:
    scan = scan_everything(engine, key, record, messages, logs)
    assert scan.counts["events"] > 0
    assert scan.counts["items"] > 0
    assert scan.counts["messages"] > 0
    assert scan.counts["log lines"] > 0
    assert scan.found == []


def test_a_provider_key_reaches_its_api_and_appears_nowhere_else(
    engine: EmbeddedEngine, fakes: ModelApiFakes, handler_logs: Callable[[], list[str]]
) -> None:
    key = plaintext()
    fakes.reset(key)

    record, messages = run_with_key(engine, both_providers(), key)

    assert record["status"] == "completed", record
    assert fakes.anthropic.last.request.headers["x-api-key"] == key
    assert fakes.openai.last.request.headers["authorization"] == f"Bearer {key}"
    assert messages[-1]["status"] == "completed"
    assert_nowhere(engine, key, record, messages, handler_logs())


def test_refused_and_rate_limited_calls_quote_no_key(
    engine: EmbeddedEngine, fakes: ModelApiFakes, handler_logs: Callable[[], list[str]]
) -> None:
    key, wrong = plaintext(), plaintext()
    fakes.reset(key)
    fakes.anthropic.rate_limited(1, retry_after="0")
    # A gateway that quotes the key it was given in its error.
    echoed = {"error": {"type": "invalid_request_error", "message": f"bad request for {key}"}}
    fakes.openai.queued.append(Reply(400, json.dumps(echoed).encode(), "application/json"))

    record, messages = run_with_key(engine, both_providers(), key)
    refused, refused_messages = run_with_key(engine, both_providers(), wrong)

    claude, gpt = record["nodeExecutions"][:2]
    assert claude["status"] == "completed"
    assert len(fakes.anthropic.calls) == 3  # the 429, its retry, then the refused key's
    assert gpt["error"] == "OpenAI answered 400 invalid_request_error: bad request for ***"
    assert "check the secret ANTHROPIC_API_KEY" in refused["nodeExecutions"][0]["error"]
    assert "check the secret OPENAI_API_KEY" in refused["nodeExecutions"][1]["error"]
    logs = handler_logs()
    assert_nowhere(engine, key, record, messages, logs)
    assert_nowhere(engine, wrong, refused, refused_messages, logs)
