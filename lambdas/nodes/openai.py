"""OpenAI nodes: one per GPT model (Dafthunk's ids and ports), each a call to OpenAI's Chat
Completions API (`POST /chat/completions` below the base URL) with the organization's
`OPENAI_API_KEY`.

Without a `schema` the output `text` is the answer's text. With one, the answer is structured
output (`response_format` of type `json_schema`, strict): `text` is the JSON value the model
returned, parsed. The schema is either Dafthunk's (`{name, fields: [{name, type, required?,
description?}]}`), turned into a strict JSON Schema (an object of those fields, each required,
an optional one nullable; a field of a blob or `json` type cannot be asked of a model and
fails the node), or a JSON Schema, sent as it is: it must then follow OpenAI's strict-mode
rules (OpenAI refuses it otherwise, with its reason, and the node fails with it). A refusal
by the model, or an answer cut at `max_tokens`, fails the node. lambdas.nodes.llm says how
keys, rate limits and usage work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdas.nodes.llm import PROMPT_PORTS, Model, Provider, api_key, call, masked_outputs, prompt
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, NodeFunction, port
from lambdas.runtime.schema_fields import dafthunk_json_schema
from statemachine.model import ParameterType
from statemachine.port_types import loads_strict

family = NodeFamily("OpenAI")

OPENAI = Provider("OpenAI", "OPENAI_API_KEY")
# What OpenAI accepts as a response format's name.
FORMAT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_FORMAT_NAME = "response"
# Credits per million tokens: a credit is a tenth of a US cent of OpenAI's list price.
MODELS = (
    Model("gpt-41", "GPT-4.1", "gpt-4.1", "GPT-4.1, the latest of OpenAI's GPT-4", 2_000, 8_000),
    Model("gpt-5", "GPT-5", "gpt-5", "GPT-5, OpenAI's reasoning model", 1_250, 10_000),
    Model("gpt-5-mini", "GPT-5 Mini", "gpt-5-mini", "GPT-5 Mini, faster, cheaper", 250, 2_000),
    Model("gpt-5-nano", "GPT-5 Nano", "gpt-5-nano", "GPT-5 Nano, fastest and cheapest", 50, 400),
)


def _runner(model: Model) -> NodeFunction:
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return complete(ctx, model)

    return run


def complete(ctx: NodeContext, model: Model) -> Mapping[str, Any]:
    """One chat completion of `model`: its text, or with a schema the JSON it answered; the
    tokens it used charged as the node's usage."""
    asked = prompt(ctx)
    response_format = _response_format(ctx.inputs.get("schema"))
    key = api_key(ctx, OPENAI)
    messages = [{"role": "user", "content": asked.input}]
    if asked.instructions is not None:
        messages.insert(0, {"role": "system", "content": asked.instructions})
    # max_completion_tokens, not the max_tokens GPT-5 models refuse.
    body: dict[str, Any] = {
        "model": model.api_id,
        "messages": messages,
        "max_completion_tokens": asked.max_tokens,
    }
    if response_format is not None:
        body["response_format"] = response_format
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{ctx.environment.model_apis.openai.rstrip('/')}/chat/completions"
    answer = call(ctx, OPENAI, url, headers, body, key)
    message, finish, input_tokens, output_tokens = _read(answer)
    ctx.report_usage(model.usage(input_tokens, output_tokens))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        raise NodeError(f"The model refused: {refusal}")
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    if response_format is None:
        return masked_outputs({"text": text}, key)
    if finish == "length":
        raise NodeError(
            f"The answer was cut at {asked.max_tokens} tokens before its JSON ended: "
            "raise 'max_tokens'"
        )
    try:
        value = loads_strict(text)
    except (ValueError, RecursionError):
        raise NodeError("The model's answer is not the JSON the schema asks for") from None
    return masked_outputs({"text": value}, key)


def _read(answer: Any) -> tuple[dict[str, Any], Any, int, int]:
    """The first choice's message and finish reason, and the tokens the answer reports."""
    try:
        choice = answer["choices"][0]
        message = choice["message"]
        usage = answer["usage"]
        if not isinstance(message, dict):
            raise TypeError(message)
        tokens = _tokens(usage["prompt_tokens"]), _tokens(usage["completion_tokens"])
        return message, choice.get("finish_reason"), *tokens
    except (KeyError, IndexError, TypeError, ValueError):
        raise NodeError("OpenAI answered with a body that is not a chat completion") from None


def _tokens(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def _response_format(schema: Any) -> dict[str, Any] | None:
    """The structured-output format a `schema` input asks for; None for no schema."""
    if not schema:
        return None
    if isinstance(schema.get("fields"), list):
        name, json_schema = schema.get("name"), dafthunk_json_schema(schema)
    else:
        name, json_schema = schema.get("title"), schema
    if not isinstance(name, str) or not FORMAT_NAME.fullmatch(name):
        name = DEFAULT_FORMAT_NAME
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": json_schema, "strict": True},
    }


for _model in MODELS:
    family.node(
        _model.node_id,
        _model.name,
        f"{_model.description}: answers `input`, following `instructions`; with a `schema`, "
        f"the JSON it asks for. Needs the organization's secret {OPENAI.secret}. {_model.price}",
        inputs=(
            *PROMPT_PORTS,
            port(
                "schema",
                ParameterType.SCHEMA,
                "The answer's shape (Dafthunk's schema or a strict JSON Schema): `text` is "
                "then that JSON value",
                hidden=True,
            ),
        ),
        outputs=(port("text", ParameterType.ANY, "The model's answer: text, or JSON"),),
        inlinable=False,
        usage=_model.estimate,
        uses_secrets=True,
        remote=True,
    )(_runner(_model))
