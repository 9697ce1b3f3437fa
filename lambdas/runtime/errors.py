"""Exceptions of the node runtime: node failures (data) versus infrastructure failures (retried)."""

from __future__ import annotations


class ExecutionError(Exception):
    """Root of every error raised by the node runtime."""


class NodeError(ExecutionError):
    """A node failed in an expected way; the message is what the user sees on that node."""


class TransientError(ExecutionError):
    """An infrastructure hiccup (throttling, a timeout of a store): retried, never shown as a
    node error. Step Functions matches this class name in its Retry rules."""


class NodeAttemptFailed(ExecutionError):
    """An attempt of a node with a retry policy failed and attempts remain: its task fails
    with this class name, which the task's Retry rule retries (each attempt a retry in the
    execution's history). The last attempt's error is the node's, as data."""

    def __init__(self, node_id: str, attempt: int, attempts: int, error: str) -> None:
        self.node_id = node_id
        self.attempt = attempt
        self.attempts = attempts
        super().__init__(f"Node '{node_id}' failed attempt {attempt} of {attempts}: {error}")


class NodeNotWaiting(ExecutionError):
    """A wait-for-event node that will not wait (skipped, failed, or completed by the
    execution a retry started from): its waiting task fails with this class name, which the
    task catches into the task after the wait, so that it does not wait for its timeout."""

    def __init__(self, node_id: str, status: str) -> None:
        self.node_id = node_id
        super().__init__(f"Node '{node_id}' does not wait for an event: it is {status}")


class PlanViolationError(ExecutionError):
    """A node was run before one of its upstream nodes: a planner or engine bug, never user data."""

    def __init__(self, node_id: str, upstream_id: str) -> None:
        self.node_id = node_id
        self.upstream_id = upstream_id
        super().__init__(f"Node '{node_id}' ran before its upstream node '{upstream_id}'")


class CreditsExhausted(ExecutionError):
    """The organization's compute credits do not cover the workflow's estimate (SPEC §6).

    Raised by Check credits; the state machine catches this class name and persists the
    execution as `exhausted`, so the common path needs no Choice state.
    """
