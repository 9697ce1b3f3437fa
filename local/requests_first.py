"""API requests before execution steps: how `serve` shares one interpreter lock between the
requests it answers and the executions it runs.

`serve` runs every execution's states and tasks in threads of its own process, and Python runs
one thread at a time: with fifty executions in flight, a request waited its turn behind every
running one. Here a state about to be evaluated, and a task about to run, wait (at most
`MAX_WAIT_S`, so that no execution stalls) while any API request is being answered, as on AWS
no request waits for a workflow's steps (API Gateway and its function do not share a processor
with them). Outside `serve` no request is ever pending and the wait costs one check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.moto_patches import replace

# The longest a task waits for the API to be idle before it runs anyway: long enough for the
# fifty starts of a burst to be answered first (bench.serve_load, mixed workflow, p95 to 202:
# 667-711 ms at 0.05 s, 391-492 ms at 0.3 s, 294-379 ms at 1 s, at 33-39/s all three).
MAX_WAIT_S = 0.3


class RequestsFirst:
    """The API requests being answered, and the wait of the tasks that yield to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Event()
        self._idle.set()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """While inside, a request is being answered: tasks wait."""
        with self._lock:
            self._pending += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    def idle(self) -> bool:
        """Whether no request is being answered."""
        return self._idle.is_set()

    def yield_to_requests(self) -> None:
        """Wait until no request is being answered, or MAX_WAIT_S."""
        if not self._idle.is_set():
            self._idle.wait(MAX_WAIT_S)


def yield_between_states(requests: RequestsFirst) -> None:
    """Have each state of moto's interpreter, before it reads its input, yield to `requests`."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    original = CommonStateField._eval_state_input

    def eval_state_input(state: CommonStateField, env: Any) -> None:
        requests.yield_to_requests()
        original(state, env)

    replace(CommonStateField, "_eval_state_input", eval_state_input)
