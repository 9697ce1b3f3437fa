"""The LLM nodes' pure parts: prices in credits, the waits a rate limit asks for, and
Dafthunk's schema as the strict JSON Schema OpenAI's structured output takes."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from lambdas.nodes.anthropic import MODELS as CLAUDES
from lambdas.nodes.api_calls import BACKOFF_SECONDS, retry_after
from lambdas.nodes.llm import Model
from lambdas.nodes.openai import MODELS as GPTS
from lambdas.nodes.openai import _response_format
from lambdas.runtime.errors import NodeError
from lambdas.runtime.schema_fields import dafthunk_json_schema

SONNET = next(model for model in CLAUDES if model.node_id == "claude-sonnet-4")


def test_usage_is_the_tokens_at_the_models_price_rounded_up_and_at_least_one():
    assert SONNET.usage(1_000_000, 0) == 3_000
    assert SONNET.usage(0, 1_000_000) == 15_000
    assert SONNET.usage(1, 1) == 1  # 0.018 credits
    assert SONNET.usage(0, 0) == 1
    assert SONNET.usage(1000, 1000) == 18
    assert SONNET.usage(1001, 1000) == 19  # 18.003


def test_the_estimate_is_the_price_of_a_thousand_tokens_in_and_the_default_out():
    assert SONNET.estimate == SONNET.usage(1000, 1024) == 19
    assert Model("m", "M", "m", "", 50, 400).estimate == 1


def test_every_model_has_a_distinct_id_and_a_price():
    models = [*CLAUDES, *GPTS]
    assert len({model.node_id for model in models}) == len(models) == 11
    assert all(model.input_credits > 0 and model.output_credits > 0 for model in models)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ([("Retry-After", "7")], 7.0),
        ([("retry-after", "0.5")], 0.5),
        ([("retry-after-ms", "1500"), ("retry-after", "9")], 1.5),
        ([("retry-after", "-3")], 0.0),
        ([("retry-after", "soon")], BACKOFF_SECONDS[0]),
        ([], BACKOFF_SECONDS[0]),
    ],
)
def test_the_wait_is_what_the_answer_asks_else_the_backoff(
    headers: list[tuple[str, str]], seconds: float
):
    assert retry_after(headers, 0) == seconds


def test_aretry_after_date_is_the_time_until_then_and_the_backoff_doubles():
    later = formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after([("Retry-After", later)], 0) <= 30
    assert [retry_after([], n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_dafthunks_schema_becomes_a_strict_object_of_its_fields():
    schema = {
        "name": "order",
        "description": "An order",
        "fields": [
            {"name": "id", "type": "string", "required": True},
            {"name": "total", "type": "number", "required": True, "description": "in EUR"},
            {"name": "paid", "type": "boolean"},
            {"name": "at", "type": "datetime"},
            {"name": "items", "type": "integer", "required": True},
        ],
    }
    assert dafthunk_json_schema(schema) == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "total": {"type": "number", "description": "in EUR"},
            "paid": {"type": ["boolean", "null"]},
            "at": {"type": ["string", "null"], "format": "date-time"},
            "items": {"type": "integer"},
        },
        "required": ["id", "total", "paid", "at", "items"],
        "additionalProperties": False,
        "description": "An order",
    }
    assert _response_format(schema)["json_schema"]["name"] == "order"  # type: ignore[index]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "p", "type": "image"}], "Field 'p' is of type 'image', which a model"),
        ([{"name": "j", "type": "json"}], "Field 'j' is of type 'json', which a model"),
        ([{"type": "string"}], "Each field of the schema needs a name"),
        ([{"name": "a", "type": "string"}] * 2, "The schema names field 'a' twice"),
    ],
)
def test_a_schema_a_model_cannot_answer_is_a_node_error(fields: list[object], message: str):
    with pytest.raises(NodeError, match=message):
        dafthunk_json_schema({"name": "s", "fields": fields})


def test_a_json_schema_is_sent_as_given_named_by_its_title_or_response():
    schema = {"type": "object", "title": "not a name!", "properties": {}}
    assert _response_format(schema) == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema, "strict": True},
    }
    assert _response_format(None) is None
    assert _response_format({}) is None
