"""The LLM nodes against local fakes of Anthropic's and OpenAI's APIs (tests.support.model_apis):
the request each provider documents, the answer as the output, tokens charged as usage, rate
limits waited out, and refusals as node errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.nodes.anthropic import MODELS as CLAUDES
from lambdas.nodes.openai import MODELS as GPTS
from local.inprocess import InProcessEngine
from tests.conformance.conftest import Engine, Result
from tests.support.model_apis import ModelApiFakes, model_api_fakes
from tests.support.workflows import edge, node, workflow

KEY = "sk-test-0123456789abcdef"
SECRETS = {"ANTHROPIC_API_KEY": KEY, "OPENAI_API_KEY": KEY}
PERSON = {
    "name": "person",
    "fields": [
        {"name": "name", "type": "string", "required": True},
        {"name": "age", "type": "integer", "required": True},
        {"name": "email", "type": "string", "description": "if the text gives one"},
    ],
}


@pytest.fixture(scope="module")
def module_fakes() -> Iterator[ModelApiFakes]:
    with model_api_fakes() as fakes:
        yield fakes


@pytest.fixture
def fakes(module_fakes: ModelApiFakes) -> ModelApiFakes:
    module_fakes.reset(KEY)
    return module_fakes


def run(
    engine: Engine,
    fakes: ModelApiFakes,
    node_type: str,
    secrets: dict[str, str] | None = None,
    credits: int | None = None,
    **inputs: Any,
) -> Result:
    flow = workflow(
        node("ask", node_type, **inputs),
        node("shown", "output-any"),
        edges=[edge("ask.text", "shown.value")],
    )
    return engine.run(
        flow,
        secrets=SECRETS if secrets is None else secrets,
        credits=credits,
        model_apis=fakes.apis,
    )


def test_claude_answers_through_the_messages_api(engine: Engine, fakes: ModelApiFakes) -> None:
    result = run(engine, fakes, "claude-sonnet-4", input="What is a workflow?")

    assert result.status == "completed", result.record
    assert result.output("ask", "text") == "Claude's answer to: What is a workflow?"
    assert result.output("shown", "displayValue") == "Claude's answer to: What is a workflow?"
    call = fakes.anthropic.last
    assert call.request.method == "POST"
    assert call.request.path == "/v1/messages"
    assert call.request.headers["x-api-key"] == KEY
    assert call.request.headers["anthropic-version"] == "2023-06-01"
    assert call.json() == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "What is a workflow?"}],
        "system": "You are a helpful assistant.",
    }
    assert len(fakes.anthropic.calls) == 1


def test_gpt_answers_through_chat_completions(engine: Engine, fakes: ModelApiFakes) -> None:
    result = run(engine, fakes, "gpt-41", input="Say hi", instructions="Be brief.", max_tokens=50)

    assert result.output("ask", "text") == "GPT's answer to: Say hi"
    call = fakes.openai.last
    assert call.request.path == "/v1/chat/completions"
    assert call.request.headers["authorization"] == f"Bearer {KEY}"
    assert call.json() == {
        "model": "gpt-4.1",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hi"},
        ],
        "max_completion_tokens": 50,
    }


def test_tokens_are_charged_as_the_nodes_usage_by_the_price_table(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    fakes.anthropic.tokens = (12_000, 3_000)  # (12,000 * 3,000 + 3,000 * 15,000) / 1M
    fakes.openai.tokens = (1, 1)  # (2,000 + 8,000) per million: rounded up to 1

    claude = run(engine, fakes, "claude-sonnet-4", input="long", credits=1000)
    gpt = run(engine, fakes, "gpt-41", input="short", credits=1000)

    assert claude.node("ask")["usage"] == 81
    assert claude.record["usage"] == 81 + 1  # and the output node's 1
    assert gpt.node("ask")["usage"] == 1


def test_a_dafthunk_schema_asks_for_strict_structured_output_and_gives_its_json(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    result = run(engine, fakes, "gpt-41", input="Ada, 36", schema=PERSON)

    assert result.status == "completed", result.record
    assert result.output("ask", "text") == {"name": "text", "age": 42, "email": "text"}
    assert result.output("shown", "displayValue") == {"name": "text", "age": 42, "email": "text"}
    assert fakes.openai.last.json()["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "person",
            "schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "age": {"type": "integer"},
                    "email": {"type": ["string", "null"], "description": "if the text gives one"},
                },
                "required": ["name", "age", "email"],
                "additionalProperties": False,
            },
            "strict": True,
        },
    }


def test_a_json_schema_is_sent_as_given(engine: Engine, fakes: ModelApiFakes) -> None:
    schema = {
        "title": "tags",
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["tags"],
        "additionalProperties": False,
    }
    result = run(engine, fakes, "gpt-5-mini", input="tag this", schema=schema)

    assert result.output("ask", "text") == {"tags": ["text"]}
    sent = fakes.openai.last.json()
    assert sent["model"] == "gpt-5-mini"
    assert sent["response_format"]["json_schema"] == {
        "name": "tags",
        "schema": schema,
        "strict": True,
    }


def test_a_schema_strict_mode_refuses_fails_the_node_with_openais_reason(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    result = run(engine, fakes, "gpt-41", input="x", schema=loose)

    assert result.error("ask") == (
        "OpenAI answered 400 invalid_request_error: Invalid schema for response_format "
        "'response': In context=(), 'additionalProperties' is required to be supplied and to "
        "be false."
    )
    assert result.node("shown")["status"] == "skipped"


def test_a_schema_field_a_model_cannot_answer_fails_before_any_request(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    schema = {"name": "photo", "fields": [{"name": "picture", "type": "image"}]}
    result = run(engine, fakes, "gpt-41", input="x", schema=schema)

    assert result.error("ask").startswith("Field 'picture' is of type 'image'")
    assert fakes.openai.calls == []


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_rate_limit_is_waited_out_as_retry_after_asks(
    engine: Engine, fakes: ModelApiFakes, provider: str
) -> None:
    fake = getattr(fakes, provider)
    fake.rate_limited(1, retry_after="1")
    node_type = "claude-sonnet-4" if provider == "anthropic" else "gpt-41"

    result = run(engine, fakes, node_type, input="again")

    assert result.status == "completed", result.record
    first, second = fake.calls
    assert second.at - first.at >= 1.0  # by the fake's clock: it was asked again 1 s later
    assert second.json() == first.json()


def test_a_rate_limit_longer_than_the_node_has_is_a_node_error(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    fakes.anthropic.rate_limited(1, retry_after="3600")

    result = run(engine, fakes, "claude-sonnet-4", input="again")

    error = result.error("ask")
    assert error.startswith(
        "Anthropic is busy (429 rate_limit_error: This request would exceed the rate limit"
    )
    assert ") and asks to wait 3600 s, more than the " in error
    assert error.endswith(" s the node has left")
    assert len(fakes.anthropic.calls) == 1


def test_a_provider_still_busy_after_the_retries_is_a_node_error(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    fakes.openai.rate_limited(5, retry_after="0")

    result = run(engine, fakes, "gpt-41", input="again")

    assert result.error("ask").startswith(
        "OpenAI is still busy after 4 retries (429 requests: Rate limit reached for gpt-4.1"
    )
    assert len(fakes.openai.calls) == 5


@pytest.mark.parametrize(
    ("node_type", "secret"),
    [("claude-sonnet-4", "ANTHROPIC_API_KEY"), ("gpt-41", "OPENAI_API_KEY")],
)
def test_a_refused_key_is_a_node_error_naming_the_secret_to_check(
    engine: Engine, fakes: ModelApiFakes, node_type: str, secret: str
) -> None:
    wrong = "sk-wrong-9876543210fedcba"
    result = run(engine, fakes, node_type, {secret: wrong}, input="hello")

    error = result.error("ask")
    assert f"refused the API key in secret '{secret}' (401 " in error
    assert error.endswith(f"check the secret {secret}")
    assert wrong not in str(result.record)
    assert result.status == "error"


def test_a_missing_key_is_a_node_error_naming_the_secret(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    result = run(engine, fakes, "gpt-5", {}, input="hello")

    assert result.error("ask") == (
        "Secret 'OPENAI_API_KEY' not found: store the organization's OpenAI API key as a "
        "secret of that name"
    )
    assert fakes.openai.calls == []


@pytest.mark.parametrize("node_type", [m.node_id for m in (*CLAUDES, *GPTS)])
def test_bad_prompts_fail_the_node_before_any_request(
    engine: Engine, fakes: ModelApiFakes, node_type: str
) -> None:
    empty = run(engine, fakes, node_type, input="")
    fraction = run(engine, fakes, node_type, input="x", max_tokens=2.5)
    missing = engine.run(workflow(node("ask", node_type)), secrets=SECRETS, model_apis=fakes.apis)

    assert empty.error("ask") == "Input is required: give the model a prompt in 'input'"
    assert fraction.error("ask") == "Input 'max_tokens' must be a whole number above 0, got 2.5"
    assert missing.error("ask") == "Required input 'input' missing"
    assert fakes.anthropic.calls == fakes.openai.calls == []


def test_every_model_of_both_families_sends_its_model_id(
    engine: Engine, fakes: ModelApiFakes
) -> None:
    models = [*CLAUDES, *GPTS]
    flow = workflow(*(node(m.node_id.replace("-", "_"), m.node_id, input="hi") for m in models))

    result = engine.run(flow, secrets=SECRETS, model_apis=fakes.apis)

    assert result.status == "completed", result.record
    sent = sorted(call.json()["model"] for call in fakes.anthropic.calls + fakes.openai.calls)
    assert sent == sorted(m.api_id for m in models)


def test_the_outbound_guard_refuses_the_providers_address_unless_allowed(
    fakes: ModelApiFakes,
) -> None:
    engine = InProcessEngine(secrets=SECRETS, model_apis=fakes.apis)  # no allowlist

    record = engine.run(workflow(node("ask", "claude-sonnet-4", input="hi"))).to_json()

    error = record["nodeExecutions"][0]["error"]
    assert "refused: 127.0.0.1 is a loopback address" in error
    assert fakes.anthropic.calls == []
