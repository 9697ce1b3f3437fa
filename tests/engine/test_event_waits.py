"""A wait-for-event node on Step Functions: the history shows its task waiting for a token
and how the wait ended, and both engines record the same execution."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.lifecycle import event_wait
from lambdas.lifecycle.errors import Conflict
from lambdas.lifecycle.event_delivery import Rejection, deliver
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from tests.support.runs import run
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import awaiting_approval, expense_form


def test_the_history_shows_the_task_waiting_for_its_token_then_the_event(
    engine: EmbeddedEngine,
) -> None:
    finished = run(engine, awaiting_approval(), events={"approval": {"approved": True}})

    assert finished.record.status == "completed"
    entered = finished.entered("Task")
    assert entered[entered.index("Wait for event approval") + 1] == "Resume after event approval"
    scheduled = [e for e in finished.history if e["type"] == "TaskScheduled"]
    assert [e["taskScheduledEventDetails"]["resource"] for e in scheduled] == [
        "invoke.waitForTaskToken"
    ]
    assert any(e["type"] == "TaskSucceeded" for e in finished.history)


def test_a_wait_that_outlives_its_timeout_ends_in_states_timeout_caught(
    engine: EmbeddedEngine,
) -> None:
    finished = run(engine, awaiting_approval(timeout_seconds=30))  # 0.3 s at the tests' time scale

    assert finished.record.node("approval").outputs == {"timedOut": True}
    timed_out = [e for e in finished.history if e["type"] == "TaskTimedOut"]
    assert [e["taskTimedOutEventDetails"]["error"] for e in timed_out] == ["States.Timeout"]
    assert finished.description["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    "events",
    [{"approval": {"approved": True}}, {"approval": Rejection("over budget")}, None],
    ids=["event", "rejection", "timeout"],
)
def test_both_engines_give_the_same_record_of_a_wait_for_an_event(
    engine: EmbeddedEngine, events: dict[str, Any] | None
) -> None:
    # 0.3 s at the tests' time scale for the timeout; the others' event ends the wait
    flow = awaiting_approval(timeout_seconds=30) if events is None else awaiting_approval()
    on_step_functions = run(engine, flow, events=events).record
    in_this_process = InProcessEngine(time_scale=TEST_TIME_SCALE).run(flow, events=events)

    def shown(record: Any) -> dict[str, Any]:
        kept = ("status", "error", "usage", "nodeExecutions")
        return {k: v for k, v in record.to_json().items() if k in kept}

    assert shown(on_step_functions) == shown(in_this_process)


def test_an_answer_between_the_token_kept_and_the_form_claimed_finds_the_node_not_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wait-for-form node keeps its token, then claims its form, then shows itself waiting.
    # An answer in between found the token but no form linked to the node: its schema went
    # unchecked and the refused answer resumed the node.
    engine = InProcessEngine(time_scale=TEST_TIME_SCALE)
    claim = event_wait._claim
    refusals: list[str] = []

    def answered_first(ports: Any, execution: Any, node: Any, *rest: Any) -> Any:
        refused_answer = {"amount": "not a number"}
        try:
            deliver(engine.ports, execution.organization_id, execution.id, node.id, refused_answer)
        except Conflict as refusal:
            refusals.append(refusal.code)
        return claim(ports, execution, node, *rest)

    monkeypatch.setattr(event_wait, "_claim", answered_first)

    record = engine.run(expense_form(timeout_seconds=30))  # 0.3 s at the tests' time scale

    assert refusals == ["NOT_WAITING"]
    assert record.node("review").error == "Form not answered within 30 s"
