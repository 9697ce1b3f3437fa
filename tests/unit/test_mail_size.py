"""A message SES would refuse for its size fails the node naming SES's limit, and nothing is
sent: the engines' own mail (moto's SES, the in-process engine's) takes any size."""

from __future__ import annotations

import pytest

from lambdas.adapters import mail as adapter
from lambdas.runtime import mail
from lambdas.runtime.errors import NodeError
from local.mail import RecordingMailer

LIMIT = "SES sends a message of at most 41,943,040 bytes (40 MB, encoded)"


def _email(text: str, html: str | None = None) -> mail.OutgoingEmail:
    return mail.OutgoingEmail(to=("ada@example.com",), subject="Report", text=text, html=html)


def test_bodies_over_the_limit_are_refused_before_they_are_encoded() -> None:
    mailer = RecordingMailer()
    text = "x" * (mail.MAX_MESSAGE_BYTES - 10)
    with pytest.raises(NodeError) as refused:
        mailer.send(_email(text=text, html="<p>" + "y" * 20 + "</p>"), execution_id="e")
    assert str(refused.value) == (
        f"E-mail not sent: its text and HTML take {len(text) + 27:,} bytes; {LIMIT}"
    )
    assert mailer.sent == []


def test_a_message_its_encoding_takes_over_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(adapter, "MAX_MESSAGE_BYTES", 2000)
    mailer = RecordingMailer()
    mailer.send(_email(text="é" * 300), execution_id="e")  # 600 bytes, encoded: under 2,000
    with pytest.raises(NodeError, match=r"^E-mail not sent: the message takes 2,\d{3} bytes"):
        mailer.send(_email(text="é" * 700), execution_id="e")  # 1,400 bytes, base64: over
    assert len(mailer.sent) == 1
