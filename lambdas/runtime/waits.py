"""How long a wait node waits, on every engine: Step Functions' Wait state counts whole
seconds, up to a year (AWS's limit on a Standard execution's duration)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError

MAX_WAIT_SECONDS = 365 * 24 * 3600


def wait_seconds(inputs: Mapping[str, Any]) -> int:
    """The whole seconds a wait node waits: Step Functions' Wait state takes only integers,
    so a fraction is rounded up (on every engine, so that they agree)."""
    seconds: float = inputs["seconds"]
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise NodeError(f"Input 'seconds' must be between 0 and {MAX_WAIT_SECONDS}, got {seconds}")
    return math.ceil(seconds)
