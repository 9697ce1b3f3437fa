"""`twilio-sms` against a local fake of Twilio's Messages API (tests.support.twilio): the request
Twilio documents with the organization's account, the message's sid and status as outputs,
10 credits a message, rate limits waited out, and refusals and bad inputs as node errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.inprocess import InProcessEngine
from tests.conformance.conftest import Engine, Result
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    NUMBER,
    FakeTwilio,
    Sent,
    fake_twilio,
)
from tests.support.workflows import edge, node, workflow

SECRETS = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_PHONE_NUMBER": NUMBER,
}
TO = "+14155552671"


@pytest.fixture(scope="module")
def module_twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as started:
        yield started


@pytest.fixture
def twilio(module_twilio: FakeTwilio) -> FakeTwilio:
    module_twilio.reset()
    return module_twilio


def run(
    engine: Engine,
    twilio: FakeTwilio,
    secrets: dict[str, str] | None = None,
    credits: int | None = None,
    sender: str | None = None,
    **inputs: Any,
) -> Result:
    if sender is not None:
        inputs["from"] = sender  # a keyword of Python's
    flow = workflow(
        node("sms", "twilio-sms", **inputs),
        node("shown", "output-text"),
        edges=[edge("sms.sid", "shown.value")],
    )
    return engine.run(
        flow,
        secrets=SECRETS if secrets is None else secrets,
        credits=credits,
        model_apis=twilio.apis,
    )


def test_a_message_is_sent_through_twilios_messages_api(engine: Engine, twilio: FakeTwilio) -> None:
    result = run(engine, twilio, credits=100, to=TO, body="Your order has shipped")

    assert result.status == "completed", result.record
    sid = result.output("sms", "sid")
    assert sid.startswith("SM")
    assert len(sid) == 34
    assert result.output("sms", "status") == "queued"
    assert "error" not in result.node("sms")["outputs"]
    assert result.output("shown", "displayValue") == sid
    assert result.node("sms")["usage"] == 10
    request = twilio.last.request
    assert (request.method, request.path) == (
        "POST",
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
    )
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    sent = twilio.sent()
    assert (sent.to, sent.sender, sent.body) == (TO, NUMBER, "Your order has shipped")
    assert len(twilio.calls) == 1


def test_from_is_the_sender_when_given_and_the_body_goes_whole(
    engine: Engine, twilio: FakeTwilio
) -> None:
    twilio.numbers = (NUMBER, "+15005550001")
    secrets = {name: value for name, value in SECRETS.items() if name != "TWILIO_PHONE_NUMBER"}
    body = "Ünïcode & symbols = fine? 🎉\nsecond line"

    result = run(engine, twilio, secrets, to=TO, body=body, sender="+15005550001")

    assert result.status == "completed", result.record
    assert twilio.sent() == Sent(TO, "+15005550001", body)


@pytest.mark.parametrize("secret", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_a_missing_credential_is_a_node_error_naming_the_secret(
    engine: Engine, twilio: FakeTwilio, secret: str
) -> None:
    secrets = {name: value for name, value in SECRETS.items() if name != secret}
    what = "Twilio Account SID" if secret == "TWILIO_ACCOUNT_SID" else "Twilio Auth Token"

    result = run(engine, twilio, secrets, to=TO, body="hi")

    assert result.error("sms") == (
        f"Secret '{secret}' not found: store the organization's {what} as a secret of that name"
    )
    assert result.node("shown")["status"] == "skipped"
    assert twilio.calls == []


def test_no_sender_is_a_node_error_naming_the_input_and_the_secret(
    engine: Engine, twilio: FakeTwilio
) -> None:
    secrets = {name: value for name, value in SECRETS.items() if name != "TWILIO_PHONE_NUMBER"}

    result = run(engine, twilio, secrets, to=TO, body="hi")

    assert result.error("sms") == (
        "Input 'from' is empty and secret 'TWILIO_PHONE_NUMBER' not found: give the sender's "
        "number in 'from', or store the account's number as secret TWILIO_PHONE_NUMBER"
    )
    assert twilio.calls == []


def test_refused_credentials_are_a_node_error_naming_the_secrets_to_check(
    engine: Engine, twilio: FakeTwilio
) -> None:
    wrong = "wrong-token-9876543210fedcba"

    result = run(engine, twilio, {**SECRETS, "TWILIO_AUTH_TOKEN": wrong}, to=TO, body="hi")

    assert result.error("sms") == (
        "Twilio refused the credentials in secrets 'TWILIO_ACCOUNT_SID' and "
        "'TWILIO_AUTH_TOKEN' (401 error 20003: Authenticate: Your AccountSid or AuthToken was "
        "incorrect. (https://www.twilio.com/docs/errors/20003)): check the secrets "
        "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    )
    assert wrong not in str(result.record)
    assert ACCOUNT_SID not in str(result.record)
    assert result.status == "error"
    assert len(twilio.calls) == 1


def test_a_number_twilio_refuses_is_a_node_error_with_its_code_and_message(
    engine: Engine, twilio: FakeTwilio
) -> None:
    result = run(engine, twilio, to="555-0100", body="hi")

    assert result.error("sms") == (
        "Twilio answered 400 error 21211: The 'To' number 555-0100 is not a valid phone "
        "number. (https://www.twilio.com/docs/errors/21211)"
    )
    assert result.node("sms")["usage"] == 0
    assert len(twilio.calls) == 1  # a refusal is not tried again


def test_a_rate_limit_is_waited_out_as_retry_after_asks(engine: Engine, twilio: FakeTwilio) -> None:
    twilio.rate_limited(1, retry_after="1")

    result = run(engine, twilio, to=TO, body="again")

    assert result.status == "completed", result.record
    first, second = twilio.calls
    assert second.at - first.at >= 1.0  # by the fake's clock: it was asked again 1 s later
    assert twilio.sent(second) == twilio.sent(first)
    assert result.output("sms", "status") == "queued"


def test_a_rate_limit_longer_than_the_node_has_is_a_node_error(
    engine: Engine, twilio: FakeTwilio
) -> None:
    twilio.rate_limited(1, retry_after="3600")

    result = run(engine, twilio, to=TO, body="again")

    error = result.error("sms")
    assert error.startswith("Twilio is busy (429 error 20429: Too Many Requests (https://")
    assert ") and asks to wait 3600 s, more than the " in error
    assert error.endswith(" s the node has left")
    assert len(twilio.calls) == 1


def test_bad_inputs_fail_the_node_before_any_request(engine: Engine, twilio: FakeTwilio) -> None:
    no_to = run(engine, twilio, to="", body="hi")
    no_body = run(engine, twilio, to=TO, body="")
    missing = engine.run(
        workflow(node("sms", "twilio-sms", body="hi")), secrets=SECRETS, model_apis=twilio.apis
    )

    to_required = "Input 'to' is required: the recipient's phone number, like +14155552671"
    assert no_to.error("sms") == to_required
    assert no_body.error("sms") == "Input 'body' is required: the message's text"
    assert missing.error("sms") == to_required
    assert twilio.calls == []


def test_the_outbound_guard_refuses_twilios_address_unless_allowed(twilio: FakeTwilio) -> None:
    engine = InProcessEngine(secrets=SECRETS, model_apis=twilio.apis)  # no allowlist

    record = engine.run(workflow(node("sms", "twilio-sms", to=TO, body="hi"))).to_json()

    error = record["nodeExecutions"][0]["error"]
    assert "refused: 127.0.0.1 is a loopback address" in error
    assert ACCOUNT_SID not in error
    assert twilio.calls == []
