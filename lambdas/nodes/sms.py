"""`twilio-sms`: sends one SMS through Twilio's Messages API with the organization's Twilio
account (Dafthunk's node, filed under its text family: its id, ports and usage).

Decisions where SPEC is silent (README, "SMS"):
- The account is the organization's secrets TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, and
  `from` defaults to its secret TWILIO_PHONE_NUMBER: the names Dafthunk's node reads from its
  environment. They are read inside the node, masked out of every message and output.
- The request is Twilio's documented one: `POST {base}/2010-04-01/Accounts/{AccountSid}/
  Messages.json`, HTTP Basic auth (Account SID, Auth Token), a form of `To`, `From` and
  `Body`; `sid` and `status` are those of the Message resource Twilio answers (201).
- The numbers' format is Twilio's to check (E.164, or a channel address such as
  `whatsapp:+14155552671`): its refusal (21211, ...) fails the node with its code and message.
- Every failure fails the node, as Dafthunk's node does: the hidden `error` output is declared
  for Dafthunk's workflows and never produced.
- A 429 (or a 503: Twilio took nothing) is waited out as lambdas.nodes.api_calls says. Other
  5xx answers are not tried again: Twilio may have taken the message, and a second request
  would send it twice.
- Usage: 10 per message sent, Dafthunk's.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Mapping
from typing import Any

from lambdas.nodes import api_calls
from lambdas.nodes.api_calls import Service, credential
from lambdas.nodes.http import Outgoing, Received
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.secret_references import mask
from statemachine.model import ParameterType

family = NodeFamily("Text")

STRING = ParameterType.STRING
ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
PHONE_NUMBER = "TWILIO_PHONE_NUMBER"
API_VERSION = "2010-04-01"  # the version of Twilio's REST API the Messages resource is in
USAGE = 10


def _twilio_error(body: Any, received: Received) -> str | None:
    """`error 21211: <message> (<more_info>)` from Twilio's documented error body
    (`{"code", "message", "more_info", "status"}`, a 401's `detail` besides)."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    code = body.get("code")
    said = f"error {code}: " if isinstance(code, int) and not isinstance(code, bool) else ""
    said += str(body["message"])
    if isinstance(body.get("detail"), str) and body["detail"]:
        said += f": {body['detail']}"
    if isinstance(body.get("more_info"), str) and body["more_info"]:
        said += f" ({body['more_info']})"
    return said


TWILIO = Service(
    "Twilio",
    "credentials",
    (ACCOUNT_SID, AUTH_TOKEN),
    retried=frozenset({429, 503}),
    read_error=_twilio_error,
)


@family.node(
    "twilio-sms",
    "Twilio SMS",
    f"Sends an SMS through Twilio from the organization's account: secrets {ACCOUNT_SID} "
    f"and {AUTH_TOKEN}, and {PHONE_NUMBER} as the sender unless `from` gives one. Numbers in "
    "E.164 format (+14155552671). A message Twilio refuses fails the node with its code.",
    inputs=(
        port(
            "to",
            STRING,
            "Recipient phone number (E.164 format)",
            required=True,
            fallback=True,
        ),
        port("body", STRING, "Message body", required=True, fallback=True),
        port("from", STRING, f"Sender phone number (default: the secret {PHONE_NUMBER})"),
    ),
    outputs=(
        port("sid", STRING, "Twilio's id of the message (SM...)"),
        port("status", STRING, "The message's status at Twilio (queued, accepted, ...)"),
        port("error", STRING, "Not produced: a message not sent fails the node", hidden=True),
    ),
    inlinable=False,
    usage=USAGE,
    uses_secrets=True,
    remote=True,
)
def twilio_sms(ctx: NodeContext) -> Mapping[str, Any]:
    to = ctx.inputs.get("to")
    text = ctx.inputs.get("body")
    if not to:
        raise NodeError("Input 'to' is required: the recipient's phone number, like +14155552671")
    if not text:
        raise NodeError("Input 'body' is required: the message's text")
    account = credential(ctx, ACCOUNT_SID, "Twilio Account SID")
    token = credential(ctx, AUTH_TOKEN, "Twilio Auth Token")
    basic = base64.b64encode(f"{account}:{token}".encode("ascii")).decode("ascii")
    secrets = [account, token, basic]
    sender = ctx.inputs.get("from")
    if not sender:
        sender = ctx.environment.secrets.get(PHONE_NUMBER)
        if not sender:
            raise NodeError(
                f"Input 'from' is empty and secret '{PHONE_NUMBER}' not found: give the "
                f"sender's number in 'from', or store the account's number as secret "
                f"{PHONE_NUMBER}"
            )
        sender = sender.strip()
        secrets.append(sender)
    answer = api_calls.call(ctx, TWILIO, _request(ctx, account, basic, to, sender, text, secrets))
    sid, status = _read(answer)
    shown: dict[str, Any] = mask({"sid": sid, "status": status}, secrets)
    return shown


def _request(
    ctx: NodeContext,
    account: str,
    basic: str,
    to: str,
    sender: str,
    text: str,
    secrets: list[str],
) -> Outgoing:
    import httpx

    base = ctx.environment.model_apis.twilio.rstrip("/")
    path = f"/{API_VERSION}/Accounts/{urllib.parse.quote(account, safe='')}/Messages.json"
    form = urllib.parse.urlencode({"To": to, "From": sender, "Body": text})
    return Outgoing(
        method="POST",
        url=httpx.URL(base + path),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
        },
        content=form.encode("ascii"),
        secrets=tuple(secrets),
        # the Account SID is in the path (and the sender from a secret in the form): a
        # redirect to another origin is not followed
        secret_in_target=True,
    )


def _read(answer: Any) -> tuple[str, str]:
    """The `sid` and `status` of the Message resource Twilio answered."""
    if isinstance(answer, dict):
        sid, status = answer.get("sid"), answer.get("status")
        if isinstance(sid, str) and isinstance(status, str):
            return sid, status
    raise NodeError("Twilio answered with a body that is not a message")
