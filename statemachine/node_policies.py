"""A node's retry policy and timeout: their bounds, checked by validation, and the delay
before each retry, which the in-process engine waits as Step Functions' Retry would.

A node with either runs as a unit of its own (statemachine.planner); its task retries the
node's failed attempts (statemachine.compiler) and stops it after `timeoutSeconds`.
"""

from __future__ import annotations

from statemachine.event_waits import event_wait_problems, is_event_wait
from statemachine.limits import INDIVIDUAL_TIMEOUT_SECONDS, REPORT_SECONDS
from statemachine.model import Node, RetryPolicy
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.waves import WAIT_NODE_TYPE

# Attempts of one node at most: each is a task invocation and a few history events.
MAX_ATTEMPTS = 10
# Step Functions' own bounds of a Retry rule's IntervalSeconds and MaxDelaySeconds.
MAX_INTERVAL_SECONDS = 99_999_999
MAX_DELAY_SECONDS = 31_622_400
# A backoff rate at least 1 (Step Functions'), at most ours: 10 ** 9 s are past a year
# within 10 attempts already.
MAX_BACKOFF_RATE = 10.0
# A node's timeout at most: its task's function stops after INDIVIDUAL_TIMEOUT_SECONDS and
# needs the rest to report the node's error.
MAX_TIMEOUT_SECONDS = INDIVIDUAL_TIMEOUT_SECONDS - REPORT_SECONDS


def policy_problems(node: Node, index: int) -> list[ValidationProblem]:
    """The problems of the retry policy and timeout of `node`, the `index`-th of the workflow:
    INVALID_RETRY_POLICY and INVALID_TIMEOUT, each naming the field and its bounds (or that a
    `wait` node, a Wait state rather than a task, takes neither)."""
    if is_event_wait(node):  # its timeout is its wait's, and required
        return event_wait_problems(node, index)
    problems = []
    where = f"nodes[{index}]"
    if node.type == WAIT_NODE_TYPE and node.has_policy:
        field = "retry" if node.retry is not None else "timeoutSeconds"
        code = ProblemCode.INVALID_RETRY_POLICY if field == "retry" else ProblemCode.INVALID_TIMEOUT
        message = f"Node '{node.id}': a wait node is a Wait state, not a task; it takes no {field}"
        return [
            ValidationProblem(code=code, message=message, node_id=node.id, path=f"{where}.{field}")
        ]
    if node.retry is not None:
        for field, value, least, most in _retry_bounds(node.retry):
            if value is not None and not least <= value <= most:
                problems.append(
                    ValidationProblem(
                        code=ProblemCode.INVALID_RETRY_POLICY,
                        message=f"Node '{node.id}': retry.{field} is {value}; it must be "
                        f"from {least:g} to {most:,g}",
                        node_id=node.id,
                        path=f"{where}.retry.{field}",
                    )
                )
    seconds = node.timeout_seconds
    if seconds is not None and not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_TIMEOUT,
                message=f"Node '{node.id}': timeoutSeconds is {seconds}; it must be from 1 to "
                f"{MAX_TIMEOUT_SECONDS} (a node's task stops after {INDIVIDUAL_TIMEOUT_SECONDS} s)",
                node_id=node.id,
                path=f"{where}.timeoutSeconds",
            )
        )
    return problems


def _retry_bounds(
    retry: RetryPolicy,
) -> list[tuple[str, float | None, float, float]]:
    return [
        ("maxAttempts", retry.max_attempts, 1, MAX_ATTEMPTS),
        ("intervalSeconds", retry.interval_seconds, 1, MAX_INTERVAL_SECONDS),
        ("backoffRate", retry.backoff_rate, 1.0, MAX_BACKOFF_RATE),
        ("maxDelaySeconds", retry.max_delay_seconds, 1, MAX_DELAY_SECONDS),
    ]


def retry_delay(retry: RetryPolicy, retried: int) -> float:
    """The most seconds to wait before retry number `retried` (from 1) of a node, before
    jitter (Step Functions' FULL jitter waits a random part of it)."""
    delay = retry.interval_seconds * retry.backoff_rate ** (retried - 1)
    most = MAX_DELAY_SECONDS if retry.max_delay_seconds is None else retry.max_delay_seconds
    return float(min(delay, most))


def most_seconds(node: Node, attempt_seconds: float | None) -> float:
    """The most a node with a policy may take, for a short-lived workflow's time limit: each
    attempt up to its timeout or what the node may take (`attempt_seconds`, when known), and
    the delays between attempts before jitter."""
    each = attempt_seconds
    if node.timeout_seconds is not None:
        each = node.timeout_seconds if each is None else min(each, node.timeout_seconds)
    retry = node.retry
    delays = (
        0.0 if retry is None else sum(retry_delay(retry, n) for n in range(1, node.max_attempts))
    )
    return (each or 0) * node.max_attempts + delays
