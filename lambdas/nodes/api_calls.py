"""One request to a third-party API with the organization's credentials: a rate limit (or a
busy service) waited out within the node's time, a refusal a node error naming the secrets to
check, and the credentials masked out of every message.

The LLM nodes (lambdas.nodes.llm) and `twilio-sms` (lambdas.nodes.sms) call their services
through it; each says which statuses are worth a retry and how the service's error bodies read.

- A retried status is tried again after the wait the answer's `retry-after-ms` or
  `retry-after` header asks for (else 1, 2, 4, 8 s), at most MAX_RETRIES times and only while
  the wait and another request still fit in the node's time (MAX_CALL_SECONDS, or less when
  the task ends sooner); then the node fails saying so.
- Any other refusal fails the node with the service's own error; a 401 or 403 also names the
  secrets holding the credentials.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambdas.nodes.http import Outgoing, Received, send
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext
from lambdas.runtime.secret_references import mask
from statemachine.limits import MAX_NODE_WAIT_MS
from statemachine.port_types import loads_strict

# The most one node waits on its service, all tries and waits together: a node's task
# stops after INDIVIDUAL_TIMEOUT_SECONDS, leaving 10 s to report.
MAX_CALL_SECONDS = MAX_NODE_WAIT_MS / 1000
MAX_RETRIES = 4
BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0)
# What a request after a wait needs at the least: a wait that leaves less is not worth it.
MIN_REQUEST_SECONDS = 1.0
MAX_ERROR_TEXT = 500  # characters of an unparsed error body a message quotes

# The service's error body, parsed (None when it is not JSON), and the answer: the error's kind
# and message (`rate_limit_error: ...`), or None when the body is not the service's error.
ErrorReader = Callable[[Any, Received], str | None]


@dataclass(frozen=True)
class Service:
    """A third-party API: its name in messages, what its credentials are called (`API key`),
    the organization's secrets holding them, the statuses tried again, and how its error
    bodies read."""

    name: str
    credentials: str
    secrets: tuple[str, ...]
    retried: frozenset[int]
    read_error: ErrorReader


def credential(ctx: NodeContext, secret: str, what: str) -> str:
    """The organization's secret `secret`, which holds `what` (`Twilio Auth Token`); a node
    error naming the secret when it is missing or cannot travel in an HTTP header."""
    value = ctx.environment.secrets.get(secret)
    if value is None:
        raise NodeError(
            f"Secret '{secret}' not found: store the organization's {what} as a secret of that name"
        )
    if not value.isascii() or any(c in value for c in "\r\n\0"):
        raise NodeError(
            f"Secret '{secret}' cannot be the organization's {what}: it must be ASCII text "
            "on one line"
        )
    return value.strip()


def call(ctx: NodeContext, service: Service, request: Outgoing) -> Any:
    """Send `request`, trying again after a retried status while the node has time; the JSON
    body of the 2xx answer. Every message has the request's secrets masked out."""
    deadline = time.monotonic() + ctx.remaining_seconds(MAX_CALL_SECONDS)
    retries = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise NodeError(f"{service.name} did not answer within the node's time")
        received = send(request, left, ctx.environment.network)
        if 200 <= received.status < 300:
            return _json(received, service, request.secrets)
        said = mask(explained(received, service), request.secrets)
        if received.status not in service.retried:
            raise NodeError(_refusal(received, service, said))
        wait = retry_after(received.headers, retries)
        left = deadline - time.monotonic()
        if retries == MAX_RETRIES:
            raise NodeError(f"{service.name} is still busy after {retries} retries ({said})")
        if wait + MIN_REQUEST_SECONDS > left:
            raise NodeError(
                f"{service.name} is busy ({said}) and asks to wait {_seconds(wait)} s, more "
                f"than the {_seconds(max(left, 0))} s the node has left"
            )
        time.sleep(wait)
        retries += 1


def _json(received: Received, service: Service, secrets: tuple[str, ...]) -> Any:
    try:
        return loads_strict(received.data.decode("utf-8"))
    except (ValueError, RecursionError):
        shown = mask(received.data[:MAX_ERROR_TEXT].decode("utf-8", "replace"), secrets)
        said = f"{service.name} answered {received.status} without JSON: {shown!r}"
        raise NodeError(said) from None


def _refusal(received: Received, service: Service, said: str) -> str:
    if received.status in (401, 403):
        quoted = " and ".join(f"'{name}'" for name in service.secrets)
        named = " and ".join(service.secrets)
        plural = "s" if len(service.secrets) > 1 else ""
        return (
            f"{service.name} refused the {service.credentials} in secret{plural} {quoted} "
            f"({said}): check the secret{plural} {named}"
        )
    return f"{service.name} answered {said}"


def explained(received: Received, service: Service) -> str:
    """`429 rate_limit_error: <message>`: the status with the service's error as its reader
    gives it, else the body's text."""
    try:
        body = loads_strict(received.data.decode("utf-8"))
    except (ValueError, RecursionError, UnicodeDecodeError):
        body = None
    read = service.read_error(body, received)
    if read is not None:
        return f"{received.status} {read}"
    text = received.data[:MAX_ERROR_TEXT].decode("utf-8", "replace").strip()
    return f"{received.status} {received.reason}" + (f": {text}" if text else "")


def retry_after(headers: list[tuple[str, str]], retries: int) -> float:
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
