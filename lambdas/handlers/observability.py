"""The Powertools logger, tracer and metrics every handler shares (service "stepthunk")."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "stepthunk"
# What the functions call out through: AWS (botocore) and HTTP nodes and token refreshes (httpx).
# Patching only these spares importing X-Ray's patches of a dozen libraries they never use.
TRACED_LIBRARIES = ("botocore", "httpx")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LazyTracer:
    """Powertools' Tracer, made when a traced handler first runs rather than on import.

    Making it imports X-Ray's SDK and patches the TRACED_LIBRARIES, a tenth to a quarter of
    a second that a cold start's import need not pay. Clients made after the patch are traced
    (the handlers build theirs on their first event), and so are calls of botocore clients
    made before it (the patch wraps their class).
    """

    def __init__(self, service: str) -> None:
        self.service = service

    @functools.cached_property
    def tracer(self) -> Tracer:
        return Tracer(service=self.service, patch_modules=TRACED_LIBRARIES)

    def capture_lambda_handler(self, handler: Handler) -> Handler:
        """`handler` in a subsegment of the invocation's trace, as Tracer's decorator does."""
        traced: list[Handler] = []

        @functools.wraps(handler)
        def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if not traced:
                traced.append(self.tracer.capture_lambda_handler(handler))
            return traced[0](event, context)

        return capture


logger = Logger(service=SERVICE)
tracer = LazyTracer(service=SERVICE)
metrics = Metrics(namespace="Stepthunk", service=SERVICE)
