"""Live updates when nobody listens: one look for listeners, nothing built, nothing kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lambdas.lifecycle.announce import notify
from lambdas.runtime.state import ExecutionContext

EXECUTION = ExecutionContext(
    id="e-1", workflow_id="w", workflow_name="W", organization_id="org", session_id="s-1"
)


class NobodyListens:
    """LiveUpdates where no session has a connection, counting what is asked of it."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []
        self.delivered = 0

    def send(
        self, session_id: str, message: Mapping[str, Any], organization_id: str | None = None
    ) -> int:
        raise AssertionError("nothing is sent when nobody listens")

    def connections(self, session_id: str, organization_id: str | None = None) -> list[str]:
        self.looked_up.append(session_id)
        return []

    def deliver(
        self, session_id: str, connection_ids: list[str], messages: Sequence[Mapping[str, Any]]
    ) -> int:
        self.delivered += 1
        return 0


def test_an_update_nobody_listens_to_is_neither_built_nor_kept() -> None:
    updates = NobodyListens()
    built: list[str] = []
    kept: list[bool] = []

    def nodes() -> Iterator[dict[str, Any]]:
        built.append("a")
        yield {"nodeId": "a", "status": "completed"}

    def keep() -> bool:
        kept.append(True)
        return True

    notify(updates, EXECUTION, "executing", nodes(), keep=keep)

    assert updates.looked_up == ["s-1", "execution#e-1"]  # the session and the subscribers
    assert (built, kept, updates.delivered) == ([], [], 0)
