"""Sending a node's e-mail through Amazon SES (API v2), from the deployment's sender.

The message goes as MIME (`Content.Raw`), built by Python's e-mail package: a text and an HTML
body together make one multipart/alternative message, and `Reply-To` and the header naming the
execution that sent it (`X-Stepthunk-Execution`) travel as written. Throttling and service
faults retry the task (TransientError); a message SES refuses (an unverified sender or
recipient in the sandbox, a malformed address, a paused account) fails the node with SES's
reason.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.errors import NodeError
from lambdas.runtime.mail import MAX_MESSAGE_BYTES, OutgoingEmail, too_large

EXECUTION_HEADER = "X-Stepthunk-Execution"


class SesMailer:
    def __init__(self, sesv2: Any, sender: str) -> None:
        self._sesv2 = sesv2
        self._sender = sender

    def send(self, email: OutgoingEmail, *, execution_id: str) -> str:
        destination = {"ToAddresses": list(email.to)}
        if email.cc:
            destination["CcAddresses"] = list(email.cc)
        with translated("SendEmail"):  # throttling and faults: TransientError
            try:
                answer = self._sesv2.send_email(
                    FromEmailAddress=self._sender,
                    Destination=destination,
                    Content={"Raw": {"Data": mime(email, self._sender, execution_id)}},
                )
            except ClientError as error:
                if error_code(error) not in REFUSED_CODES:
                    raise
                reason = error.response.get("Error", {}).get("Message") or "no reason given"
                raise NodeError(f"E-mail not sent: {error_code(error)}: {reason}") from error
        return str(answer["MessageId"])


# SES's answers about the message itself (the rest are the deployment's or AWS's problems).
REFUSED_CODES = frozenset(
    {
        "MessageRejected",
        "BadRequestException",
        "AccountSuspendedException",
        "SendingPausedException",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
    }
)


def mime(email: OutgoingEmail, sender: str, execution_id: str) -> bytes:
    """`email` as the bytes of a MIME message from `sender`; NodeError when SES would refuse
    it for its size (bodies over the limit are refused before they are encoded: encoding only
    makes them larger)."""
    bodies = sum(len(body.encode("utf-8", "surrogatepass")) for body in email.bodies)
    if bodies > MAX_MESSAGE_BYTES:
        raise too_large("its text and HTML take", bodies)
    from email.message import EmailMessage  # 8 ms, when a node first sends: most never do
    from email.policy import SMTP

    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message[EXECUTION_HEADER] = execution_id
    if email.text is not None:
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
    else:
        message.set_content(email.html or "", subtype="html")
    data = message.as_bytes()
    if len(data) > MAX_MESSAGE_BYTES:
        raise too_large("the message takes", len(data))
    return data
