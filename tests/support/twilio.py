"""A local fake of Twilio's Messages API on 127.0.0.1:
`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.

It checks what Twilio checks and answers as Twilio documents, errors included (a JSON body
`{"code", "message", "more_info", "status"}`): HTTP Basic auth with the account's SID and Auth
Token (401, 20003), the path's account being the authenticated one (404, 20404), a
form-encoded body with `To` (400, 21604), `From` (21603) and `Body` (21602), `To` an E.164
number or a channel address (21211), `From` one of the account's numbers (21606). A valid
request is answered 201 with the Message resource, status `queued`.

`rate_limited(n, retry_after)` makes the next n valid requests answer 429 (20429) with
`Retry-After`. The fake keeps each request with the `time.monotonic()` instant it arrived
(`calls`, from tests.support.model_apis), so a test shows a wait from the server's side.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from lambdas.runtime.model_apis import ModelApis
from tests.support.http_server import LocalServer, RecordedRequest, Reply, serving
from tests.support.model_apis import Call

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-token-0123456789abcdef"
NUMBER = "+15005550006"  # the account's phone number
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
CHANNEL = re.compile(r"(whatsapp|messenger|rcs):.+")
MESSAGES = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")


@dataclass(frozen=True)
class Sent:
    """What a request asked to send: its form's fields."""

    to: str
    sender: str
    body: str


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    numbers: tuple[str, ...] = (NUMBER,)
    calls: list[Call] = field(default_factory=list)
    queued: list[Reply] = field(default_factory=list)
    server: LocalServer | None = None

    def reset(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid, self.auth_token, self.numbers = account_sid, auth_token, (NUMBER,)
        self.calls.clear()
        self.queued.clear()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.url("")

    @property
    def apis(self) -> ModelApis:
        """Where a deployment using this fake sends twilio-sms' requests."""
        return ModelApis(twilio=self.base_url)

    @property
    def last(self) -> Call:
        assert self.calls, "the fake received no request"
        return self.calls[-1]

    def sent(self, call: Call | None = None) -> Sent:
        """The fields of a request's form (the last request's by default)."""
        form = form_of((call or self.last).request)
        return Sent(form.get("To", ""), form.get("From", ""), form.get("Body", ""))

    def rate_limited(self, times: int, retry_after: str) -> None:
        too_many = error(429, 20429, "Too Many Requests", ("Retry-After", retry_after))
        self.queued += [too_many] * times

    def __call__(self, request: RecordedRequest) -> Reply:
        self.calls.append(Call(time.monotonic(), request))
        refused = self.refusal(request)
        if refused is not None:
            return refused
        if self.queued:
            return self.queued.pop(0)
        return self.created(form_of(request))

    def refusal(self, request: RecordedRequest) -> Reply | None:
        path = MESSAGES.fullmatch(request.path)
        if path is None or request.method != "POST":
            message = f"The requested resource {request.path} was not found"
            return error(404, 20404, message)
        if authenticated(request) != (self.account_sid, self.auth_token):
            return error(
                401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
            )
        if urllib.parse.unquote(path.group(1)) != self.account_sid:
            message = f"The requested resource {request.path} was not found"
            return error(404, 20404, message)
        form = form_of(request)
        to, sender, body = form.get("To"), form.get("From"), form.get("Body")
        if not to:
            return error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            message = "A 'From' or 'MessagingServiceSid' parameter is required to send a message."
            return error(400, 21603, message)
        if not body:
            return error(400, 21602, "Message body is required.")
        if not (E164.fullmatch(to) or CHANNEL.fullmatch(to)):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender not in self.numbers:
            return error(
                400,
                21606,
                f"The 'From' phone number provided ({sender}) is not a valid message-capable "
                "Twilio phone number for this destination/account",
            )
        return None

    def created(self, form: dict[str, str]) -> Reply:
        sid = f"SM{uuid.uuid4().hex}"
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form["From"],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }
        return Reply(201, json.dumps(message).encode(), "application/json")


def error(
    status: int,
    code: int,
    message: str,
    *extra: tuple[str, str],
    detail: str | None = None,
) -> Reply:
    """Twilio's documented error body."""
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    return Reply(status, json.dumps(body).encode(), "application/json", extra)


def authenticated(request: RecordedRequest) -> tuple[str, str] | None:
    """The user and password of the request's Basic auth, or None."""
    given = request.headers.get("authorization", "")
    if not given.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(given[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    return user, password


def form_of(request: RecordedRequest) -> dict[str, str]:
    """The request's form fields; none unless it is form-encoded, as Twilio reads it."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        return {}
    fields = urllib.parse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


@contextlib.contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """The fake on a server of its own."""
    twilio = FakeTwilio()
    with serving(twilio) as server:
        twilio.server = server
        yield twilio
