"""Anthropic nodes: one per Claude model (Dafthunk's ids and ports), each a call to
Anthropic's Messages API (`POST /v1/messages`) with the organization's `ANTHROPIC_API_KEY`.

The answer's text blocks, joined, are the output `text` (an answer cut at `max_tokens` is
given as far as it goes, as Dafthunk's does). Models Anthropic has retired answer its
`not_found_error`, which fails the node. lambdas.nodes.llm says how keys, rate limits and
usage work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.nodes.llm import PROMPT_PORTS, Model, Provider, api_key, call, masked_outputs, prompt
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, NodeFunction, port
from statemachine.model import ParameterType

family = NodeFamily("Anthropic")

ANTHROPIC = Provider("Anthropic", "ANTHROPIC_API_KEY")
# The version of the Messages API these nodes speak (Anthropic's `anthropic-version` header).
API_VERSION = "2023-06-01"

# Credits per million tokens: a credit is a tenth of a US cent of Anthropic's list price.
MODELS = (
    Model(
        "claude-3-opus",
        "Claude 3 Opus",
        "claude-3-opus-20240229",
        "Claude 3 Opus, Anthropic's former most capable model",
        15_000,
        75_000,
    ),
    Model(
        "claude-35-haiku",
        "Claude 3.5 Haiku",
        "claude-3-5-haiku-20241022",
        "Claude 3.5 Haiku, fast and inexpensive, for simple tasks in volume",
        800,
        4_000,
    ),
    Model(
        "claude-35-sonnet",
        "Claude 3.5 Sonnet",
        "claude-3-5-sonnet-20241022",
        "Claude 3.5 Sonnet",
        3_000,
        15_000,
    ),
    Model(
        "claude-37-sonnet",
        "Claude 3.7 Sonnet",
        "claude-3-7-sonnet-20250219",
        "Claude 3.7 Sonnet",
        3_000,
        15_000,
    ),
    Model(
        "claude-opus-4",
        "Claude Opus 4",
        "claude-opus-4-20250514",
        "Claude Opus 4, for complex reasoning and long tasks",
        15_000,
        75_000,
    ),
    Model(
        "claude-opus-41",
        "Claude Opus 4.1",
        "claude-opus-4-1-20250805",
        "Claude Opus 4.1, for complex reasoning and long tasks",
        15_000,
        75_000,
    ),
    Model(
        "claude-sonnet-4",
        "Claude Sonnet 4",
        "claude-sonnet-4-20250514",
        "Claude Sonnet 4, balanced between capability and cost",
        3_000,
        15_000,
    ),
)


def _runner(model: Model) -> NodeFunction:
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return complete(ctx, model)

    return run


def complete(ctx: NodeContext, model: Model) -> Mapping[str, Any]:
    """One message to `model`; its text, the tokens it used charged as the node's usage."""
    asked = prompt(ctx)
    key = api_key(ctx, ANTHROPIC)
    body: dict[str, Any] = {
        "model": model.api_id,
        "max_tokens": asked.max_tokens,
        "messages": [{"role": "user", "content": asked.input}],
    }
    if asked.instructions is not None:
        body["system"] = asked.instructions
    headers = {"x-api-key": key, "anthropic-version": API_VERSION}
    url = f"{ctx.environment.model_apis.anthropic.rstrip('/')}/v1/messages"
    answer = call(ctx, ANTHROPIC, url, headers, body, key)
    text, input_tokens, output_tokens = _read(answer)
    ctx.report_usage(model.usage(input_tokens, output_tokens))
    return masked_outputs({"text": text}, key)


def _read(answer: Any) -> tuple[str, int, int]:
    """The text of a Messages API answer and the tokens it reports."""
    try:
        blocks = answer["content"]
        usage = answer["usage"]
        text = "".join(b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        return text, _tokens(usage["input_tokens"]), _tokens(usage["output_tokens"])
    except (KeyError, TypeError, ValueError):
        raise NodeError("Anthropic answered with a body that is not a message") from None


def _tokens(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


for _model in MODELS:
    family.node(
        _model.node_id,
        _model.name,
        f"{_model.description}: answers `input`, following `instructions`. Needs the "
        f"organization's secret {ANTHROPIC.secret}. {_model.price}",
        inputs=PROMPT_PORTS,
        outputs=(port("text", ParameterType.STRING, "The model's answer"),),
        inlinable=False,
        usage=_model.estimate,
        uses_secrets=True,
        remote=True,
    )(_runner(_model))
