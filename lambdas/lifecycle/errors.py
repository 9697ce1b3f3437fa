"""What the lifecycle refuses, each with the code a caller reads: the HTTP API answers a
`NotFound` with 404, a `Conflict` with 409, a `Gone` with 410 and an `Invalid` request with
400."""

from __future__ import annotations

from typing import Any


class LifecycleError(Exception):
    """A request the lifecycle refuses: `code` names why, `details` (JSON) says more."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class NotFound(LifecycleError):
    """Missing, or another organization's: the two look the same from outside."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__("NOT_FOUND", f"{kind} '{name}' not found")


class Gone(LifecycleError):
    """It was there, and is over for good (a form answered, or whose wait ended)."""


class Conflict(LifecycleError):
    """Not now, or not this one: it conflicts with what is stored or running."""


class Invalid(LifecycleError):
    """What the caller sent cannot run (a workflow or inputs validation refuses)."""
