"""E-mail nodes: `send-email` sends one message from the deployment's sender (SES on AWS).

Dafthunk's ports. `to` and `cc` hold one address or several separated by commas (an address
may carry a display name: `Ada <ada@example.com>`); `replyTo` one address. At least one of
`text` and `html` is the body (both: a multipart/alternative message). At most 50 recipients,
SES's limit. `threadId` (Dafthunk's mailbox threads) is accepted and not used: replies to a
workflow's mail are not received here. The output `messageId` is the service's id of the
message; a refused message fails the node with the service's reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import formataddr, getaddresses
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.mail import MAX_RECIPIENTS, OutgoingEmail
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("E-mail")

STRING = ParameterType.STRING
# local@domain.tld: no spaces, one @, a dot in the domain (what SES accepts, roughly; SES
# itself refuses the rest with its own message).
ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# Commas and semicolons separate addresses, except inside a quoted display name.
SEPARATORS = re.compile(r"""[,;](?=(?:[^"]*"[^"]*")*[^"]*$)""")


@family.node(
    "send-email",
    "Send Email",
    "Sends an e-mail from the deployment's sender. `to` and `cc`: addresses separated by "
    "commas; at least one of `text` and `html`; at most 50 recipients.",
    inputs=(
        port(
            "to", STRING, "Recipient address(es), separated by commas", required=True, fallback=True
        ),
        port("subject", STRING, "The subject, one line", required=True, fallback=True),
        port("html", STRING, "The body as HTML"),
        port("text", STRING, "The body as plain text"),
        port("cc", STRING, "Copy address(es), separated by commas"),
        port("replyTo", STRING, "Where replies go"),
        port("threadId", STRING, "Dafthunk's mailbox thread: accepted, not used", hidden=True),
    ),
    outputs=(
        port("messageId", STRING, "The e-mail service's id of the message", hidden=True),
        port("error", STRING, "Not produced: a message not sent fails the node", hidden=True),
    ),
    inlinable=False,
    usage=10,
    remote=True,
)
def send_email(ctx: NodeContext) -> Mapping[str, Any]:
    to = ctx.inputs.get("to")
    subject = ctx.inputs.get("subject")
    if not to or not subject:
        raise NodeError("'to' and 'subject' are required inputs.")
    text = ctx.inputs.get("text") or None
    html = ctx.inputs.get("html") or None
    if text is None and html is None:
        raise NodeError("At least one of 'html' or 'text' body must be provided.")
    if "\n" in subject or "\r" in subject:
        raise NodeError("Input 'subject' must be one line")
    email = OutgoingEmail(
        to=_addresses("to", to),
        cc=_addresses("cc", ctx.inputs.get("cc") or ""),
        reply_to=_reply_to(ctx.inputs.get("replyTo")),
        subject=subject,
        text=text,
        html=html,
    )
    if not email.to:
        raise NodeError("Input 'to' holds no e-mail address")
    recipients = len(email.to) + len(email.cc)
    if recipients > MAX_RECIPIENTS:
        raise NodeError(
            f"{recipients} recipients: a message may have at most {MAX_RECIPIENTS} (to and cc)"
        )
    return {"messageId": ctx.send_email(email)}


def _addresses(name: str, value: str) -> tuple[str, ...]:
    """The addresses in `value`, display names kept, an international domain in its ASCII
    form; a node error naming the input when any part is not an address SES can send to."""
    if "\n" in value or "\r" in value:
        raise NodeError(f"Input '{name}' must be one line")
    found = []
    for part in SEPARATORS.split(value):
        if not part.strip():
            continue  # an empty part: "a@example.com, "
        parsed = getaddresses([part])
        address = parsed[0][1] if len(parsed) == 1 else ""
        if not ADDRESS.fullmatch(address):
            shown = value if len(value) <= 200 else value[:199] + "…"
            raise NodeError(f"Input '{name}' is not a list of e-mail addresses: {shown!r}")
        local, _, domain = address.rpartition("@")
        if not local.isascii():
            raise NodeError(
                f"Input '{name}' holds {address!r}: e-mail is sent only to addresses whose part "
                "before the @ is ASCII"
            )
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise NodeError(f"Input '{name}' holds {address!r}, whose domain is invalid") from error
        found.append(formataddr((parsed[0][0], f"{local}@{domain}")))
    return tuple(found)


def _reply_to(value: str | None) -> str | None:
    if not value:
        return None
    addresses = _addresses("replyTo", value)
    if len(addresses) != 1:
        raise NodeError("Input 'replyTo' must be one address")
    return addresses[0]
