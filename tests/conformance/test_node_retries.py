"""Per-node retry policies and timeouts: a flaky endpoint ridden out, attempts counted in the
record, a node stopped at its timeout, usage charged once per completed node."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tests.conformance.conftest import Engine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    RecordedRequest,
    Reply,
    http_server_fixture,
)
from tests.support.workflows import edge, node, workflow

# Delays of 1 s, doubled: 3 s in all before a third attempt (at the tests' time scale, 30 ms).
RETRY = {"maxAttempts": 3, "intervalSeconds": 1, "backoffRate": 2.0}


def flaky(failures: int) -> Callable[[RecordedRequest], Reply | None]:
    """An answer to `/flaky`: 503 the first `failures` times, then 200 with a JSON body."""
    counter = itertools.count(1)

    def answer(request: RecordedRequest) -> Reply | None:
        if request.path != "/flaky":
            return None
        n = next(counter)
        if n <= failures:
            return Reply(503, b"busy")
        return Reply(200, b'{"n": %d}' % n, "application/json")

    return answer


def fetching(url: str, *, retry: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    """A workflow of a fetch `f` that fails on an HTTP error, carrying `retry` and `more`
    (timeoutSeconds), its body shown by `out`."""
    fetch = node("f", "fetch", url=url, failOnHttpError=True)
    if retry is not None:
        fetch["retry"] = retry
    fetch.update(more)
    shown = node("out", "output-json")
    return workflow(fetch, shown, edges=[edge("f.body", "out.value")])


def test_a_flaky_endpoint_behind_three_attempts_completes_on_the_third(
    engine: Engine, http_server: LocalServer
) -> None:
    http_server.answers.append(flaky(2))

    result = engine.run(fetching(http_server.url("/flaky"), retry=RETRY))

    assert result.status == "completed"
    fetched = result.node("f")
    assert fetched["attempts"] == 3
    assert fetched["outputs"]["status"] == 200
    assert result.output("out", "displayValue") == {"n": 3}
    assert len(http_server.requests) == 3


def test_with_two_attempts_the_flaky_endpoint_fails_the_node_after_the_second(
    engine: Engine, http_server: LocalServer
) -> None:
    http_server.answers.append(flaky(2))

    result = engine.run(fetching(http_server.url("/flaky"), retry={**RETRY, "maxAttempts": 2}))

    assert result.status == "error"
    fetched = result.node("f")
    assert fetched["attempts"] == 2
    assert (
        fetched["error"]
        == f"Request to {http_server.url('/flaky')} answered 503 Service Unavailable"
    )
    assert result.node("out")["skipReason"] == "upstream_failure"
    assert len(http_server.requests) == 2


def test_usage_is_charged_once_for_a_node_that_completed_after_retries(
    engine: Engine, http_server: LocalServer
) -> None:
    http_server.answers.append(flaky(2))

    result = engine.run(fetching(http_server.url("/flaky"), retry=RETRY), credits=1000)

    assert result.status == "completed"
    assert result.node("f")["usage"] == 10  # fetch's usage, not three times it
    assert result.record["usage"] == 10 + 1


def test_without_fail_on_http_error_an_error_status_completes_the_node_at_once(
    engine: Engine, http_server: LocalServer
) -> None:
    fetch = node("f", "fetch", url=http_server.url("/status/503"))
    fetch["retry"] = RETRY

    result = engine.run(workflow(fetch))

    assert result.status == "completed"
    assert result.output("f", "status") == 503
    assert result.node("f")["attempts"] == 1
    assert len(http_server.requests) == 1


def test_a_node_past_its_timeout_fails_and_the_execution_goes_on(
    engine: Engine, http_server: LocalServer
) -> None:
    slow = node("f", "fetch", url=http_server.url("/slow"))
    slow["timeoutSeconds"] = 1  # 10 ms at the tests' time scale; /slow answers after 5 s
    after = node("after", "number-input", value=7)

    result = engine.run(workflow(slow, after))

    assert result.status == "error"
    assert result.error("f") == "Timed out after 1 s (the node's timeoutSeconds)"
    assert result.node("f")["attempts"] == 1
    assert result.output("after", "value") == 7


def test_each_attempt_of_a_node_with_a_timeout_and_a_retry_policy_is_timed(
    engine: Engine, http_server: LocalServer
) -> None:
    slow = node("f", "fetch", url=http_server.url("/slow"))
    slow["timeoutSeconds"] = 1
    slow["retry"] = {"maxAttempts": 2}

    result = engine.run(workflow(slow))

    assert result.error("f") == "Timed out after 1 s (the node's timeoutSeconds)"
    assert result.node("f")["attempts"] == 2


def test_an_inlinable_node_with_a_retry_policy_runs_and_counts_its_attempt(
    engine: Engine,
) -> None:
    a = node("a", "number-input", value=2)
    add = node("add", "addition", b=3)
    add["retry"] = {"maxAttempts": 2}
    double = node("double", "multiplication", b=2)
    edges = [edge("a.value", "add.a"), edge("add.result", "double.a")]

    result = engine.run(workflow(a, add, double, edges=edges))

    assert result.output("double") == 10
    assert result.node("add")["attempts"] == 1
    assert "attempts" not in result.node("a")
    assert "attempts" not in result.node("double")


def test_a_node_that_always_fails_is_tried_as_often_as_its_policy_says(engine: Engine) -> None:
    divide = node("d", "division", a=1, b=0)
    divide["retry"] = {"maxAttempts": 4, "intervalSeconds": 2, "maxDelaySeconds": 3}

    result = engine.run(workflow(divide))

    assert result.status == "error"
    assert result.node("d")["attempts"] == 4
    assert "zero" in result.error("d").lower()
