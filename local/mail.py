"""E-mail on this machine: nothing leaves it. The embedded engine sends through moto's SES,
which keeps every message; the in-process engine keeps them itself. Both show a sent message
the same way: parsed back from the MIME bytes the SES adapter builds."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from lambdas.adapters.mail import EXECUTION_HEADER, mime
from lambdas.runtime.mail import OutgoingEmail

# Who the local engines send from (no mail leaves this machine).
LOCAL_SENDER = "workflows@stepthunk.localhost"


@dataclass(frozen=True)
class SentEmail:
    """A message as it was sent, for `serve`'s GET /emails and for tests."""

    message_id: str
    execution_id: str | None
    sender: str
    to: str
    subject: str
    text: str | None
    html: str | None
    cc: str | None = None
    reply_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        fields = {
            "messageId": self.message_id,
            "executionId": self.execution_id,
            "from": self.sender,
            "to": self.to,
            "cc": self.cc,
            "replyTo": self.reply_to,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
        }
        return {name: value for name, value in fields.items() if value is not None}


def parsed(message_id: str, data: bytes) -> SentEmail:
    """The message whose MIME bytes are `data`."""
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return SentEmail(
        message_id=message_id,
        execution_id=message.get(EXECUTION_HEADER),
        sender=str(message["From"]),
        to=str(message["To"]),
        cc=None if message["Cc"] is None else str(message["Cc"]),
        reply_to=None if message["Reply-To"] is None else str(message["Reply-To"]),
        subject=str(message["Subject"]),
        text=None if text is None else _body(text),
        html=None if html is None else _body(html),
    )


def _body(part: Any) -> str:
    """A body as the node gave it: line ends as written, without the line end MIME adds."""
    return str(part.get_content()).replace("\r\n", "\n").removesuffix("\n")


class RecordingMailer:
    """The in-process engine's mailer: keeps what it is asked to send."""

    def __init__(self, sender: str = LOCAL_SENDER) -> None:
        self.sender = sender
        self._sent: list[SentEmail] = []
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail, *, execution_id: str) -> str:
        message_id = f"{uuid.uuid4()}@{self.sender.partition('@')[2]}"
        sent = parsed(message_id, mime(email, self.sender, execution_id))
        with self._lock:
            self._sent.append(sent)
        return message_id

    @property
    def sent(self) -> list[SentEmail]:
        with self._lock:
            return list(self._sent)
