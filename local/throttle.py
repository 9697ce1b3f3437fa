"""What serve throttles as API Gateway's route throttling does: the form routes, which take
no API key (lambdas.runtime.forms' limits), each a token bucket of its own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` requests a second, `burst` at once (API Gateway's throttling algorithm)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> int:
        """0 when a request may go now (it is counted); else the whole seconds to wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0
            return max(1, math.ceil((1 - self._tokens) / self._rate))
