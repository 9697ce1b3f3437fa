"""SPEC §7 for `twilio-sms`: the organization's Twilio Account SID, Auth Token and phone number
reach Twilio's API, and no record, log, live update or stored item of the deployment
(tests.support.secret_scan).

Each test stores fresh random credentials for an organization of its own, runs the node
against the local fake of Twilio's API with a live session, then searches the whole
deployment, the handlers' DEBUG logs, every live update and the record for each of them.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES, Reply
from tests.support.secret_scan import organization, plaintext, scan_everything
from tests.support.twilio import FakeTwilio, authenticated, fake_twilio
from tests.support.workflows import edge, node, workflow

TO = "+14155552671"


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as started:
        yield started


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud, twilio: FakeTwilio) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, allow_networks=LOCAL_FAKES, model_apis=twilio.apis)


def account(twilio: FakeTwilio) -> dict[str, str]:
    """Fresh credentials and number, which the fake accepts."""
    number = f"+1500{uuid.uuid4().int % 10**7:07d}"
    secrets = {
        "TWILIO_ACCOUNT_SID": f"AC{plaintext()}",
        "TWILIO_AUTH_TOKEN": plaintext(),
        "TWILIO_PHONE_NUMBER": number,
    }
    twilio.reset(secrets["TWILIO_ACCOUNT_SID"], secrets["TWILIO_AUTH_TOKEN"])
    twilio.numbers = (number,)
    return secrets


def one_message() -> dict[str, Any]:
    return workflow(
        node("sms", "twilio-sms", to=TO, body="Your code is 1234"),
        node("shown", "output-any"),
        edges=[edge("sms.sid", "shown.value")],
    )


def run_with(
    engine: EmbeddedEngine, flow: dict[str, Any], secrets: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `flow` for a new organization holding `secrets`, with a session."""
    owner = organization()
    for name, value in secrets.items():
        engine.secrets.put(owner, name, value)
    messages: list[dict[str, Any]] = []
    record = engine.run(flow, organization_id=owner, on_update=messages.append)
    return record.to_json(), messages


def assert_nowhere(
    engine: EmbeddedEngine,
    secrets: dict[str, str],
    record: dict[str, Any],
    messages: list[dict[str, Any]],
    logs: list[str],
) -> None:
    sid, token = secrets["TWILIO_ACCOUNT_SID"], secrets["TWILIO_AUTH_TOKEN"]
    basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
    for value in (*secrets.values(), basic):
        scan = scan_everything(engine, value, record, messages, logs)
        assert scan.counts["events"] > 0
        assert scan.counts["items"] > 0
        assert scan.counts["messages"] > 0
        assert scan.counts["log lines"] > 0
        assert scan.found == [], value


def test_the_twilio_account_reaches_its_api_and_appears_nowhere_else(
    engine: EmbeddedEngine, twilio: FakeTwilio, handler_logs: Callable[[], list[str]]
) -> None:
    secrets = account(twilio)

    record, messages = run_with(engine, one_message(), secrets)

    assert record["status"] == "completed", record
    assert authenticated(twilio.last.request) == (
        secrets["TWILIO_ACCOUNT_SID"],
        secrets["TWILIO_AUTH_TOKEN"],
    )
    assert secrets["TWILIO_ACCOUNT_SID"] in twilio.last.request.path
    assert twilio.sent().sender == secrets["TWILIO_PHONE_NUMBER"]
    assert messages[-1]["status"] == "completed"
    assert_nowhere(engine, secrets, record, messages, handler_logs())


def test_refused_and_rate_limited_messages_quote_no_credential(
    engine: EmbeddedEngine, twilio: FakeTwilio, handler_logs: Callable[[], list[str]]
) -> None:
    secrets = account(twilio)
    sid, number = secrets["TWILIO_ACCOUNT_SID"], secrets["TWILIO_PHONE_NUMBER"]
    twilio.rate_limited(1, retry_after="0")
    # Twilio quotes the sender (the secret phone number) and a gateway the account's path.
    quoted = {
        "code": 21606,
        "message": f"The 'From' phone number provided ({number}) is not valid for {sid}",
        "more_info": "https://www.twilio.com/docs/errors/21606",
        "status": 400,
    }
    twilio.queued.append(Reply(400, json.dumps(quoted).encode(), "application/json"))

    record, messages = run_with(engine, one_message(), secrets)
    wrong = {**secrets, "TWILIO_AUTH_TOKEN": plaintext()}
    refused, refused_messages = run_with(engine, one_message(), wrong)

    assert len(twilio.calls) == 3  # the 429, the quoting refusal, the refused token's
    assert record["nodeExecutions"][0]["error"] == (
        "Twilio answered 400 error 21606: The 'From' phone number provided (***) is not valid "
        "for *** (https://www.twilio.com/docs/errors/21606)"
    )
    assert (
        "check the secrets TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        in (refused["nodeExecutions"][0]["error"])
    )
    logs = handler_logs()
    assert_nowhere(engine, secrets, record, messages, logs)
    assert_nowhere(engine, wrong, refused, refused_messages, logs)
