"""The SES mailer against moto's SES: what it sends, and what a refusal or a throttle means."""

from __future__ import annotations

import uuid

import boto3
import pytest

from lambdas.adapters.mail import SesMailer
from lambdas.handlers.settings import EMAIL_SETTING, EmailSender
from lambdas.handlers.wiring import Clients, mailer
from lambdas.runtime.errors import NodeError, TransientError
from lambdas.runtime.mail import NO_MAIL, NOT_CONFIGURED, OutgoingEmail
from lambdas.runtime.store_errors import StoreError
from local.mail import parsed
from tests.component.conftest import CLIENT_CONFIG, Aws, failing

EMAIL = OutgoingEmail(to=("ada@example.com",), subject="Total", text="310", html="<b>310</b>")


@pytest.fixture
def ses(aws: Aws, session: boto3.Session):
    return session.client("sesv2", config=CLIENT_CONFIG)


def verified(ses) -> str:
    sender = f"workflows-{uuid.uuid4().hex[:8]}@example.com"
    ses.create_email_identity(EmailIdentity=sender)
    return sender


def test_a_message_goes_out_as_mime_from_the_sender(ses):
    from moto.ses.models import ses_backends

    sender = verified(ses)
    message_id = SesMailer(ses, sender).send(EMAIL, execution_id="exec-1")

    (raw,) = [
        m for m in ses_backends["123456789012"]["us-east-1"].sent_messages if m.id == message_id
    ]
    sent = parsed(message_id, raw.raw_data.encode())
    assert (sent.sender, sent.to, sent.subject) == (sender, "ada@example.com", "Total")
    assert (sent.text, sent.html, sent.execution_id) == ("310", "<b>310</b>", "exec-1")


def test_an_unverified_sender_fails_the_node_with_ses_reason(ses):
    with pytest.raises(NodeError) as refused:
        SesMailer(ses, "nobody@example.com").send(EMAIL, execution_id="exec-1")
    # SES's own words follow (moto's differ from SES's, which lists the unverified identity)
    assert str(refused.value).startswith("E-mail not sent: MessageRejected: ")
    assert "nobody@example.com" in str(refused.value)


def test_throttling_retries_the_task(ses):
    sender = verified(ses)
    with failing(ses, "send_email", "TooManyRequestsException", 429), pytest.raises(TransientError):
        SesMailer(ses, sender).send(EMAIL, execution_id="exec-1")


def test_a_denied_call_is_a_store_error_naming_the_action(ses):
    with (
        failing(ses, "send_email", "AccessDeniedException", 403),
        pytest.raises(StoreError) as denied,
    ):
        SesMailer(ses, "workflows@example.com").send(EMAIL, execution_id="exec-1")
    assert "SendEmail" in str(denied.value)


def test_without_a_sender_a_deployment_cannot_send(monkeypatch):
    monkeypatch.delenv(EMAIL_SETTING, raising=False)
    assert mailer(EmailSender(), Clients()) is NO_MAIL
    with pytest.raises(NodeError) as refused:
        NO_MAIL.send(EMAIL, execution_id="exec-1")
    assert str(refused.value) == NOT_CONFIGURED


def test_the_sender_is_read_from_the_functions_environment(monkeypatch):
    monkeypatch.setenv(EMAIL_SETTING, "workflows@example.com")
    assert EmailSender().email_sender == "workflows@example.com"
    assert isinstance(mailer(EmailSender(), Clients()), SesMailer)
