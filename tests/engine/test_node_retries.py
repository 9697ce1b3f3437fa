"""A node's retry policy on Step Functions: each attempt is a retry of its task, visible in
the execution's history as the console shows it."""

from __future__ import annotations

import itertools
from typing import Any

from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LOCAL_FAKES,
    LocalServer,
    RecordedRequest,
    Reply,
    http_server_fixture,
)
from tests.support.runs import Run, run
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import node, workflow


def flaky_fetch(server: LocalServer, max_attempts: int) -> dict[str, Any]:
    """A fetch of an endpoint that answers 503 twice, then 200."""
    counter = itertools.count(1)

    def answer(request: RecordedRequest) -> Reply:  # bare: the same answer every time
        return (
            Reply(503, b"busy", bare=True) if next(counter) <= 2 else Reply(200, b"ok", bare=True)
        )

    server.answers.append(answer)
    fetch = node("f", "fetch", url=server.url("/flaky"), failOnHttpError=True)
    fetch["retry"] = {"maxAttempts": max_attempts, "intervalSeconds": 1}
    return workflow(fetch)


def failed_attempts(finished: Run) -> list[tuple[str, str]]:
    """(error, cause) of each failed invocation of a task, in the order of the history."""
    return [
        (details["error"], details["cause"])
        for event in finished.history
        if event["type"] == "LambdaFunctionFailed"
        for details in [event["lambdaFunctionFailedEventDetails"]]
    ]


def test_each_attempt_of_a_flaky_fetch_is_a_retry_of_its_task_in_the_history(
    engine: EmbeddedEngine, http_server: LocalServer
) -> None:
    finished = run(engine, flaky_fetch(http_server, 3))

    assert finished.record.status == "completed"
    assert finished.record.node_executions[0].attempts == 3
    assert finished.invocations("run_node") == 3
    assert finished.entered("Task").count("Run node f") == 1  # retried, not entered again
    failures = failed_attempts(finished)
    assert [error for error, _ in failures] == ["NodeAttemptFailed", "NodeAttemptFailed"]
    assert "Node 'f' failed attempt 1 of 3: Request to" in failures[0][1]
    assert "Node 'f' failed attempt 2 of 3: Request to" in failures[1][1]
    assert finished.description["status"] == "SUCCEEDED"


def test_the_last_attempt_s_error_is_the_node_s_and_the_execution_fails_as_for_any_error(
    engine: EmbeddedEngine, http_server: LocalServer
) -> None:
    finished = run(engine, flaky_fetch(http_server, 2))

    assert finished.record.status == "error"
    [fetched] = finished.record.node_executions
    assert fetched.attempts == 2
    assert str(fetched.error).endswith("answered 503 Service Unavailable")
    assert finished.invocations("run_node") == 2
    assert [error for error, _ in failed_attempts(finished)] == ["NodeAttemptFailed"]
    assert finished.entered()[-1] == "Failed"


def test_both_engines_give_the_same_record_of_a_node_retried_until_it_completes(
    engine: EmbeddedEngine, http_server: LocalServer
) -> None:
    on_step_functions = run(engine, flaky_fetch(http_server, 3)).record
    http_server.answers.clear()
    in_process = InProcessEngine(allow_networks=LOCAL_FAKES, time_scale=TEST_TIME_SCALE)
    in_this_process = in_process.run(flaky_fetch(http_server, 3))

    def shown(record: Any) -> dict[str, Any]:
        kept = ("status", "error", "usage", "nodeExecutions")
        return {k: v for k, v in record.to_json().items() if k in kept}

    assert shown(on_step_functions) == shown(in_this_process)
    assert shown(in_this_process)["nodeExecutions"][0]["attempts"] == 3
    assert len(http_server.requests) == 6
