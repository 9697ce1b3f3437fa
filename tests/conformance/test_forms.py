"""Waiting for a form (README "Waiting for a form"): create-form opens a form (its `url` and
`token`), wait-for-form waits for its answer and gives it as `response`; unanswered in time,
rejected, or given a token that is no form of its execution, the node fails. Each run on
every engine, the answer delivered through the lifecycle's delivery."""

from __future__ import annotations

import time

from lambdas.lifecycle.event_delivery import Rejection
from tests.conformance.conftest import Engine
from tests.support.workflows import EXPENSE_SCHEMA, edge, expense_form, node, workflow


def test_an_answer_is_the_node_s_response_and_the_form_s_url_carries_its_token(
    engine: Engine,
) -> None:
    result = engine.run(expense_form(), events={"review": {"amount": 12.5, "approved": True}})

    assert result.status == "completed"
    form = result.node("form")
    token = form["outputs"]["token"]
    assert len(token) >= 43  # 256 bits, URL-safe
    assert form["outputs"]["url"] == f"http://127.0.0.1:8080/forms?token={token}"
    review = result.node("review")
    assert review["outputs"] == {"response": {"amount": 12.5, "approved": True}}
    assert "waitingFor" not in review
    assert result.output("answer", "displayValue") == {"amount": 12.5, "approved": True}
    assert result.record["usage"] == 3


def test_an_unanswered_form_fails_its_node_once_the_wait_times_out(engine: Engine) -> None:
    # 30 s at the tests' time scale: 0.3 s
    result = engine.run(expense_form(timeout_seconds=30))

    assert result.status == "error"
    assert result.error("review") == "Form not answered within 30 s"
    assert result.node("review")["usage"] == 0
    assert result.node("answer")["skipReason"] == "upstream_failure"


def test_a_rejected_form_fails_its_node_with_the_reason(engine: Engine) -> None:
    result = engine.run(expense_form(), events={"review": Rejection("not mine to answer")})

    assert result.status == "error"
    assert result.error("review") == "Event rejected: not mine to answer"


def test_a_token_that_is_no_form_of_the_execution_fails_the_node_without_waiting(
    engine: Engine,
) -> None:
    # a year at the tests' time scale is three and a half days: a wait would show
    flow = workflow(
        {**node("review", "wait-for-form", token="not-a-form-token"), "timeoutSeconds": 31_536_000},
        node("answer", "output-json"),
        edges=[edge("review.response", "answer.value")],
    )
    started = time.monotonic()

    result = engine.run(flow)

    assert time.monotonic() - started < 30
    assert result.status == "error"
    assert result.error("review") == (
        "Input 'token' is not the token of a form of this execution: give it the `token` of "
        "a create-form node that ran before it"
    )
    assert result.node("answer")["skipReason"] == "upstream_failure"


def test_a_schema_a_form_cannot_ask_fails_create_form_naming_the_field(engine: Engine) -> None:
    schema = {
        **EXPENSE_SCHEMA,
        "fields": [*EXPENSE_SCHEMA["fields"], {"name": "receipt", "type": "image"}],
    }
    flow = expense_form()
    flow["nodes"][0]["inputs"][2]["value"] = schema

    result = engine.run(flow)

    assert result.status == "error"
    assert result.error("form") == (
        "Field 'receipt' is of type 'image', which a form cannot ask for: use one of string, "
        "integer, number, boolean, datetime"
    )
    assert result.node("review")["skipReason"] == "upstream_failure"


def test_an_answer_the_schema_refuses_is_not_delivered_and_the_node_waits_on(
    engine: Engine,
) -> None:
    result = engine.run(expense_form(timeout_seconds=30), events={"review": {"amount": "x"}})

    assert result.status == "error"
    assert result.error("review") == "Form not answered within 30 s"
