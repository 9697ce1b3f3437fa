"""What the LLM nodes share: their prompt ports, one call to a provider's API with the
organization's key, rate limits waited out within the node's time, and tokens priced in credits.

Decisions where SPEC is silent:
- The key is the organization's secret named by the provider (`ANTHROPIC_API_KEY`,
  `OPENAI_API_KEY`), read inside the node: no input carries it, so no record, log or live
  update can show it, and it is masked out of every message and output besides.
- A 429 (rate limited), and a 500, 502, 503, 504 or 529 (the provider overloaded), is tried
  again as lambdas.nodes.api_calls says (the wait the answer asks, within the node's time).
  Any other refusal fails the node with the provider's own error type and message; a 401 or
  403 also names the secret to check.
- Usage: each model's price in credits per million input and output tokens (the README's
  table; a credit is a tenth of a US cent of the provider's list price), rounded up, at least
  1. The catalog's usage of a model, which the credit check counts before a run, is the price
  of ESTIMATE_INPUT_TOKENS in and DEFAULT_MAX_TOKENS out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.nodes import api_calls
from lambdas.nodes.api_calls import Service, credential
from lambdas.nodes.http import Outgoing, Received
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, port
from lambdas.runtime.secret_references import mask
from statemachine.model import ParameterType

DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
DEFAULT_MAX_TOKENS = 1024  # Dafthunk's, when `max_tokens` is left empty
ESTIMATE_INPUT_TOKENS = 1000
# A rate limit, or the provider overloaded (Anthropic's 529): a completion is worth asking again.
RETRIED = frozenset({429, 500, 502, 503, 504, 529})

PROMPT_PORTS = (
    port(
        "instructions",
        ParameterType.STRING,
        "System instructions",
        default=DEFAULT_INSTRUCTIONS,
    ),
    port("input", ParameterType.STRING, "The prompt: the text or question", required=True),
    port(
        "max_tokens",
        ParameterType.NUMBER,
        f"Most tokens in the answer (default {DEFAULT_MAX_TOKENS})",
        hidden=True,
    ),
)


@dataclass(frozen=True)
class Provider:
    """A model provider: its name in messages and the secret holding the organization's key."""

    name: str
    secret: str


@dataclass(frozen=True)
class Model:
    """A node type's model: Dafthunk's node id and name, the provider's model id, and its
    price in credits per million input and output tokens."""

    node_id: str
    name: str
    api_id: str
    description: str
    input_credits: int
    output_credits: int

    def usage(self, input_tokens: int, output_tokens: int) -> int:
        """The credits a call that used these tokens costs (rounded up, at least 1)."""
        spent = input_tokens * self.input_credits + output_tokens * self.output_credits
        return max(1, math.ceil(spent / 1_000_000))

    @property
    def estimate(self) -> int:
        """What the credit check counts for one run, before it is made."""
        return self.usage(ESTIMATE_INPUT_TOKENS, DEFAULT_MAX_TOKENS)

    @property
    def price(self) -> str:
        """The price as a node type's description says it."""
        return (
            f"Usage is charged by tokens: {self.input_credits:,} credits per million input "
            f"tokens, {self.output_credits:,} per million output tokens; the usage listed is "
            "the estimate the credit check counts."
        )


@dataclass(frozen=True)
class Prompt:
    instructions: str | None
    input: str
    max_tokens: int


def prompt(ctx: NodeContext) -> Prompt:
    """The prompt the inputs give; a node error for an empty input or a bad `max_tokens`."""
    text = ctx.inputs.get("input")
    if not text:
        raise NodeError("Input is required: give the model a prompt in 'input'")
    max_tokens = ctx.inputs.get("max_tokens")
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    elif max_tokens != int(max_tokens) or max_tokens < 1:
        raise NodeError(f"Input 'max_tokens' must be a whole number above 0, got {max_tokens}")
    return Prompt(ctx.inputs.get("instructions") or None, text, int(max_tokens))


def api_key(ctx: NodeContext, provider: Provider) -> str:
    """The organization's key for `provider`, from its secret; a node error naming the secret
    when it is missing or cannot be an HTTP header value."""
    return credential(ctx, provider.secret, f"{provider.name} API key")


def call(
    ctx: NodeContext,
    provider: Provider,
    url: str,
    headers: Mapping[str, str],
    body: Mapping[str, Any],
    key: str,
) -> Any:
    """POST `body` as JSON to `url` (headers carrying `key`), trying again after a rate limit
    or an overloaded provider while the node has time; the answer's JSON body. Every message
    has `key` masked out."""
    import httpx

    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = Outgoing(
        method="POST",
        url=httpx.URL(url),
        headers={**headers, "Content-Type": "application/json", "Accept": "application/json"},
        content=content,
        secrets=(key,),
        secret_in_target=False,
    )
    service = Service(provider.name, "API key", (provider.secret,), RETRIED, _provider_error)
    return api_calls.call(ctx, service, request)


def _provider_error(body: Any, received: Received) -> str | None:
    """`rate_limit_error: <message>` from the providers' documented error body
    (`{"error": {"type", "message"}}`, both of them)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type") or error.get("code") or received.reason
        return f"{kind}: {error['message']}"
    return None


def masked_outputs(outputs: dict[str, Any], key: str) -> dict[str, Any]:
    """The outputs with the key masked out, should an answer ever repeat it."""
    shown: dict[str, Any] = mask(outputs, (key,))
    return shown
