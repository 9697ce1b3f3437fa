"""Sending e-mail from a node: the message a node asks to send, and the port that sends it.

The deployment names the sender (`emailSender` in the stack config, EMAIL_SENDER in the
functions); a node never chooses it. Without one, a node that sends fails saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lambdas.runtime.errors import NodeError

# SES takes at most 50 recipients (To, Cc and Bcc together) per message.
MAX_RECIPIENTS = 50
# SES (API v2) sends a message of at most 40 MB, as sent: MIME, bodies encoded.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


def too_large(what: str, size: int) -> NodeError:
    """The error of a message SES would refuse for its size (`what` measured `size` bytes)."""
    return NodeError(
        f"E-mail not sent: {what} {size:,} bytes; SES sends a message of at most "
        f"{MAX_MESSAGE_BYTES:,} bytes (40 MB, encoded)"
    )


NOT_CONFIGURED = (
    "Sending e-mail is not configured: the deployment names no sender "
    "(the stack config's `emailSender`; EMAIL_SENDER for a function)"
)


@dataclass(frozen=True)
class OutgoingEmail:
    """A message to send: recipients, subject, and a text and/or an HTML body."""

    to: tuple[str, ...]
    subject: str
    text: str | None = None
    html: str | None = None
    cc: tuple[str, ...] = ()
    reply_to: str | None = None

    @property
    def bodies(self) -> list[str]:
        """The text and HTML bodies it has."""
        return [body for body in (self.text, self.html) if body is not None]


class Mailer(Protocol):
    """Sends a message for an execution and answers its message id; raises NodeError when the
    service refuses it, TransientError when it may be tried again."""

    def send(self, email: OutgoingEmail, *, execution_id: str) -> str: ...


class NoMailer:
    """The mailer of a deployment that names no sender."""

    def send(self, email: OutgoingEmail, *, execution_id: str) -> str:
        raise NodeError(NOT_CONFIGURED)


NO_MAIL = NoMailer()
