"""The time limits a node is held to when only the run knows its duration (a value from an
edge): a short-lived workflow's waits, and a fetch's timeout."""

from __future__ import annotations

from tests.conformance.conftest import Engine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.workflows import edge, node, workflow


def test_a_wait_fed_past_the_express_limit_fails_in_a_short_lived_workflow(engine: Engine) -> None:
    flow = workflow(
        node("n", "number-input", value=400),
        node("w", "wait", value="passed on"),
        node("after", "string-to-upper-case"),
        edges=[edge("n.value", "w.seconds"), edge("w.value", "after.string")],
    )

    result = engine.run({**flow, "shortLived": True})

    assert result.status == "error"
    assert result.error("w") == (
        "Waiting 400 s would take this execution past the 300 s an Express state machine "
        "lets a short-lived workflow run"
    )
    assert result.node("after")["status"] == "skipped"


def test_a_fetch_timeout_fed_past_the_task_limit_fails_the_node(
    engine: Engine, http_server: LocalServer
) -> None:
    flow = workflow(
        node("t", "number-input", value=400_000),
        node("f", "fetch", url=http_server.url("/json")),
        edges=[edge("t.value", "f.timeout")],
    )

    result = engine.run(flow)

    assert result.error("f") == (
        "Input 'timeout' is 400000 ms, more than the 290000 ms it may be "
        "(a fetch runs in a task that stops after 300 s)"
    )
    assert http_server.requests == []
