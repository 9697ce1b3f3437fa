"""Waiting for an event (README "Control flow"): a wait-for-event node's `payload` when its
event arrives, `timedOut` when none does, a rejection failing it, and a node that never
waits (skipped) costing no wait. Each run on every engine, through the lifecycle's delivery."""

from __future__ import annotations

import time

from lambdas.lifecycle.event_delivery import Rejection
from tests.conformance.conftest import Engine
from tests.support.workflows import awaiting_approval, edge, node, workflow


def test_a_delivered_event_is_the_node_s_payload_and_only_the_payload_flows(
    engine: Engine,
) -> None:
    result = engine.run(awaiting_approval(), events={"approval": {"approved": True, "by": "ana"}})

    assert result.status == "completed"
    approval = result.node("approval")
    assert approval["outputs"] == {"payload": {"approved": True, "by": "ana"}}
    assert "waitingFor" not in approval
    assert result.output("answer", "displayValue") == {"approved": True, "by": "ana"}
    expired = result.node("expired")
    assert (expired["status"], expired["skipReason"]) == ("skipped", "conditional_branch")
    assert result.record["usage"] == 3  # the order, the wait and the answer


def test_without_an_event_the_node_times_out_and_only_timed_out_flows(engine: Engine) -> None:
    # 30 s at the tests' time scale: 0.3 s
    result = engine.run(awaiting_approval(timeout_seconds=30))

    assert result.status == "completed"
    assert result.node("approval")["outputs"] == {"timedOut": True}
    assert result.output("expired", "displayValue") is True
    assert result.node("answer")["status"] == "skipped"


def test_a_rejected_event_fails_the_node_with_the_reason(engine: Engine) -> None:
    result = engine.run(awaiting_approval(), events={"approval": Rejection("over budget")})

    assert result.status == "error"
    assert result.error("approval") == "Event rejected: over budget"
    assert result.node("approval")["usage"] == 0
    for shown in ("answer", "expired"):
        assert result.node(shown)["skipReason"] == "upstream_failure"


def test_an_event_of_any_json_value_is_delivered_as_it_is(engine: Engine) -> None:
    result = engine.run(awaiting_approval(), events={"approval": [1, "two", None, 2**60 + 1]})

    assert result.output("answer", "displayValue") == [1, "two", None, 2**60 + 1]


def test_a_skipped_wait_for_event_node_does_not_wait(engine: Engine) -> None:
    # a year at the tests' time scale is three and a half days: a wait would show
    gate = node("gate", "conditional-fork", value=1, condition=False)
    approval = {**node("approval", "wait-for-event"), "timeoutSeconds": 31_536_000}
    flow = workflow(
        gate,
        approval,
        node("answer", "output-json"),
        edges=[edge("gate.true", "approval.value"), edge("approval.payload", "answer.value")],
    )
    started = time.monotonic()

    result = engine.run(flow)

    assert time.monotonic() - started < 30
    assert result.status == "completed"
    assert result.node("approval")["status"] == "skipped"
    assert result.node("answer")["skipReason"] == "conditional_branch"
