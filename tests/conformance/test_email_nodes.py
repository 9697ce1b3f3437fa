"""Conformance of `send-email`: what is sent (as `serve` shows it) and what a user sees for
bad input, on both engines. Nothing leaves the machine: the embedded engine sends through
moto's SES, the in-process engine keeps the message itself."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.runtime.mail import NOT_CONFIGURED
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from local.mail import LOCAL_SENDER
from tests.support.workflows import edge, node, workflow


def send(engine, **literals: Any):
    return engine.run(workflow(node("m", "send-email", **literals)))


def test_a_message_is_sent_from_the_deployments_sender(engine):
    result = send(
        engine,
        to='"Lovelace, Ada" <ada@example.com>; bob@example.org',
        cc="carol@example.net",
        replyTo="ops@example.com",
        subject="Order total: 310",
        text="The total is over 300.\nSee the report.",
        html="<p>The total is <b>over 300</b>.</p>",
    )
    (sent,) = result.emails
    assert sent == {
        "messageId": result.output("m", "messageId"),
        "executionId": result.record["id"],
        "from": LOCAL_SENDER,
        "to": '"Lovelace, Ada" <ada@example.com>, bob@example.org',
        "cc": "carol@example.net",
        "replyTo": "ops@example.com",
        "subject": "Order total: 310",
        "text": "The total is over 300.\nSee the report.",
        "html": "<p>The total is <b>over 300</b>.</p>",
    }
    assert result.node("m")["usage"] == 10


def test_a_text_only_message(engine):
    result = send(engine, to="ada@example.com", subject="Hello", text="Plain words")
    (sent,) = result.emails
    assert sent["text"] == "Plain words"
    assert "html" not in sent
    assert "error" not in result.node("m")["outputs"]


def test_an_html_only_message(engine):
    result = send(engine, to="ada@example.com", subject="Hello", html="<i>Hi</i>")
    (sent,) = result.emails
    assert sent["html"] == "<i>Hi</i>"
    assert "text" not in sent


def test_the_subject_and_body_can_come_from_upstream_nodes(engine):
    flow = workflow(
        node("total", "number-input", value=310),
        node("line", "to-string"),
        node("m", "send-email", to="ada@example.com", subject="Total"),
        edges=[edge("total.value", "line.value"), edge("line.result", "m.text")],
    )
    (sent,) = engine.run(flow).emails
    assert sent["text"] == "310"


def test_unicode_travels_intact(engine):
    result = send(
        engine, to="Zoë <zoe@bücher.example>", subject="Café ☕ 310 €", text="Grüße — 3 · 100"
    )
    (sent,) = result.emails
    assert (sent["to"], sent["subject"], sent["text"]) == (
        "Zoë <zoe@xn--bcher-kva.example>",  # an international domain in its ASCII form
        "Café ☕ 310 €",
        "Grüße — 3 · 100",
    )


def test_an_address_with_a_non_ascii_local_part_is_refused(engine):
    result = send(engine, to="zoë@example.com", subject="Hi", text="x")
    assert result.error("m") == (
        "Input 'to' holds 'zoë@example.com': e-mail is sent only to addresses whose part "
        "before the @ is ASCII"
    )


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({"subject": "Hi", "text": "x"}, "'to' and 'subject' are required inputs."),
        ({"to": "ada@example.com", "text": "x"}, "'to' and 'subject' are required inputs."),
        ({"to": "", "subject": "Hi", "text": "x"}, "'to' and 'subject' are required inputs."),
        (
            {"to": "ada@example.com", "subject": "Hi"},
            "At least one of 'html' or 'text' body must be provided.",
        ),
        (
            {"to": "ada@example.com", "subject": "Hi", "text": ""},
            "At least one of 'html' or 'text' body must be provided.",
        ),
        (
            {"to": "not an address", "subject": "Hi", "text": "x"},
            "Input 'to' is not a list of e-mail addresses: 'not an address'",
        ),
        (
            {"to": "ada@example.com", "cc": "bob@", "subject": "Hi", "text": "x"},
            "Input 'cc' is not a list of e-mail addresses: 'bob@'",
        ),
        (
            {
                "to": "ada@example.com",
                "replyTo": "a@example.com, b@example.com",
                "subject": "Hi",
                "text": "x",
            },
            "Input 'replyTo' must be one address",
        ),
        ({"to": " , ", "subject": "Hi", "text": "x"}, "Input 'to' holds no e-mail address"),
        (
            {"to": "ada@example.com", "subject": "Hi\nBcc: eve@example.com", "text": "x"},
            "Input 'subject' must be one line",
        ),
        (
            {"to": "ada@example.com\nBcc: eve@example.com", "subject": "Hi", "text": "x"},
            "Input 'to' must be one line",
        ),
    ],
)
def test_bad_input_fails_the_node_and_sends_nothing(engine, literals, message):
    result = send(engine, **literals)
    assert result.error("m") == message
    assert result.emails == ()


def test_more_than_fifty_recipients_are_refused(engine):
    to = ", ".join(f"user{i}@example.com" for i in range(40))
    cc = ", ".join(f"copy{i}@example.com" for i in range(11))
    result = send(engine, to=to, cc=cc, subject="All", text="x")
    assert result.error("m") == "51 recipients: a message may have at most 50 (to and cc)"
    assert result.emails == ()


def test_a_failed_send_does_not_stop_the_others(engine):
    flow = workflow(
        node("bad", "send-email", to="nobody", subject="Hi", text="x"),
        node("good", "send-email", to="ada@example.com", subject="Hi", text="x"),
    )
    result = engine.run(flow)
    assert result.statuses() == {"bad": "error", "good": "completed"}
    assert [sent["to"] for sent in result.emails] == ["ada@example.com"]


@pytest.mark.parametrize("engine_class", [InProcessEngine, EmbeddedEngine])
def test_an_engine_without_a_sender_cannot_send(engine_class):
    engine = engine_class(email_sender=None)
    record = engine.run(
        workflow(node("m", "send-email", to="ada@example.com", subject="Hi", text="x"))
    )
    (execution,) = record.to_json()["nodeExecutions"]
    assert execution["error"] == NOT_CONFIGURED
    assert execution["error"].startswith("Sending e-mail is not configured")
