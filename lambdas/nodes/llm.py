"""What the LLM nodes share: their prompt ports, one call to a provider's API with the
organization's key, rate limits waited out within the node's time, and tokens priced in credits.

Decisions where SPEC is silent:
- The key is the organization's secret named by the provider (`ANTHROPIC_API_KEY`,
  `OPENAI_API_KEY`), read inside the node: no input carries it, so no record, log or live
  update can show it, and it is masked out of every message and output besides.
- A 429 (rate limited), and a 500, 502, 503, 504 or 529 (the provider overloaded), is tried
  again after the wait the answer's `retry-after-ms` or `retry-after` header asks for (else
  1, 2, 4, 8 s), at most MAX_RETRIES times and only while the wait and another request still
  fit in the node's time (MAX_CALL_SECONDS, or less when the task ends sooner); then the node
  fails saying so. Any other refusal fails the node with the provider's own error type and
  message; a 401 or 403 also names the secret to check.
- Usage: each model's price in credits per million input and output tokens (the README's
  table; a credit is a tenth of a US cent of the provider's list price), rounded up, at least
  1. The catalog's usage of a model, which the credit check counts before a run, is the price
  of ESTIMATE_INPUT_TOKENS in and DEFAULT_MAX_TOKENS out.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.nodes.http import Outgoing, Received, send
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, port
from lambdas.runtime.secret_references import mask
from statemachine.limits import MAX_NODE_WAIT_MS
from statemachine.model import ParameterType
from statemachine.port_types import loads_strict

DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
DEFAULT_MAX_TOKENS = 1024  # Dafthunk's, when `max_tokens` is left empty
ESTIMATE_INPUT_TOKENS = 1000
# The most one node waits on its provider, all tries and waits together: a node's task
# stops after INDIVIDUAL_TIMEOUT_SECONDS, leaving 10 s to report.
MAX_CALL_SECONDS = MAX_NODE_WAIT_MS / 1000
MAX_RETRIES = 4
BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0)
RETRIED = frozenset({429, 500, 502, 503, 504, 529})
# What a request after a wait needs at the least: a wait that leaves less is not worth it.
MIN_REQUEST_SECONDS = 1.0
MAX_ERROR_TEXT = 500  # characters of an unparsed error body a message quotes

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
    key = ctx.environment.secrets.get(provider.secret)
    if key is None:
        raise NodeError(
            f"Secret '{provider.secret}' not found: store the organization's {provider.name} "
            "API key as a secret of that name"
        )
    if not key.isascii() or any(c in key for c in "\r\n\0"):
        raise NodeError(
            f"Secret '{provider.secret}' is not an API key: a key is ASCII text on one line"
        )
    return key.strip()


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
    deadline = time.monotonic() + ctx.remaining_seconds(MAX_CALL_SECONDS)
    retries = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise NodeError(f"{provider.name} did not answer within the node's time")
        received = send(request, left, ctx.environment.network)
        if 200 <= received.status < 300:
            return _json(received, provider, key)
        if received.status not in RETRIED:
            raise NodeError(mask(_refusal(received, provider), (key,)))
        wait = _retry_after(received.headers, retries)
        left = deadline - time.monotonic()
        said = mask(_explained(received), (key,))
        if retries == MAX_RETRIES:
            raise NodeError(f"{provider.name} is still busy after {retries} retries ({said})")
        if wait + MIN_REQUEST_SECONDS > left:
            raise NodeError(
                f"{provider.name} is busy ({said}) and asks to wait {_seconds(wait)} s, more "
                f"than the {_seconds(max(left, 0))} s the node has left"
            )
        time.sleep(wait)
        retries += 1


def _json(received: Received, provider: Provider, key: str) -> Any:
    try:
        return loads_strict(received.data.decode("utf-8"))
    except (ValueError, RecursionError):
        shown = mask(received.data[:MAX_ERROR_TEXT].decode("utf-8", "replace"), (key,))
        said = f"{provider.name} answered {received.status} without JSON: {shown!r}"
        raise NodeError(said) from None


def _refusal(received: Received, provider: Provider) -> str:
    said = _explained(received)
    if received.status in (401, 403):
        return (
            f"{provider.name} refused the API key in secret '{provider.secret}' ({said}): "
            f"check the secret {provider.secret}"
        )
    return f"{provider.name} answered {said}"


def _explained(received: Received) -> str:
    """`429 rate_limit_error: <message>`: the status with the provider's documented error
    body (`{"error": {"type", "message"}}`, both providers), else its text."""
    try:
        body = loads_strict(received.data.decode("utf-8"))
    except (ValueError, RecursionError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type") or error.get("code") or received.reason
        return f"{received.status} {kind}: {error['message']}"
    text = received.data[:MAX_ERROR_TEXT].decode("utf-8", "replace").strip()
    return f"{received.status} {received.reason}" + (f": {text}" if text else "")


def _retry_after(headers: list[tuple[str, str]], retries: int) -> float:
    """The seconds the answer asks to wait (`retry-after-ms`, else `retry-after` in seconds
    or as an HTTP date), else the next step of the backoff."""
    named = {name.lower(): value.strip() for name, value in headers}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = named.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            try:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                continue
        if math.isfinite(seconds):
            return max(0.0, seconds)
    return BACKOFF_SECONDS[min(retries, len(BACKOFF_SECONDS) - 1)]


def _seconds(value: float) -> str:
    return str(round(value)) if value >= 10 else f"{value:.1f}".removesuffix(".0")


def masked_outputs(outputs: dict[str, Any], key: str) -> dict[str, Any]:
    """The outputs with the key masked out, should an answer ever repeat it."""
    shown: dict[str, Any] = mask(outputs, (key,))
    return shown
