"""HTTP nodes: `fetch` sends one real HTTP request and reports the response.

Decisions where SPEC is silent:
- Methods are GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS, in any case.
- `{{secrets.NAME}}` is replaced in the URL, header values, query values and the body (text,
  or every string value of a JSON body), inside the node only: the record shows the
  reference. Any secret used is also masked as `***` (as is, and percent-encoded) wherever
  the response repeats it (status text, header names and values, text or JSON body) and in
  error messages, so an echoing server cannot leak it into the record, binary bodies included.
- Redirects are followed (at most MAX_REDIRECTS), but a secret never leaves the origin (scheme,
  host and port) the workflow named: on a redirect to another origin, every header carrying a
  secret (cookies included) is dropped, and a request whose URL, query or body carries one is
  not followed at all (the node fails naming the origin it was sent to).
- Query values are appended to the URL's own query (duplicates are kept, as in a browser).
- Body: non-string JSON values are sent as JSON (`application/json`), strings as UTF-8 text
  (`text/plain; charset=utf-8`), a blob reference as the blob's bytes with its MIME type;
  a Content-Type the user set always wins. GET and HEAD never send a body.
- Destinations: where the deployment allows (lambdas.runtime.network), checked on the address
  each connection opens to, redirects included; a refused one is a node error naming the
  address and the rule, and nothing is sent there.
- `timeout` bounds each wait (connect, send, first byte) and the whole download, and may be
  at most MAX_TIMEOUT_MS: the node's task stops after INDIVIDUAL_TIMEOUT_SECONDS (a literal
  above is refused by validation, a value from an edge fails the node). An empty response
  body is `""`; bodies above MAX_RESPONSE_BYTES fail the node.
- A 4xx or 5xx response completes with its status (SPEC §10), unless the hidden boolean
  input `failOnHttpError` (ours: Dafthunk's fetch has no such port) is true: the node then
  fails with `Request to URL answered 503 Service Unavailable`, so that a retry policy on
  the node can ride out a temporary error.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lambdas.nodes.math import number
from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError
from lambdas.runtime.network import EVERYWHERE_ALLOWED, NetworkPolicy
from lambdas.runtime.node_type import NodeContext, NodeFamily, port

if TYPE_CHECKING:
    import httpx  # imported by the functions that send (0.16 s): a catalog loads without it
from lambdas.runtime.secret_references import mask, mask_bytes, substitute_secrets
from statemachine.catalog import Duration
from statemachine.limits import INDIVIDUAL_TIMEOUT_SECONDS, MAX_NODE_WAIT_MS
from statemachine.model import ParameterType
from statemachine.port_types import is_blob_reference, loads_strict

family = NodeFamily("HTTP")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
BODYLESS_METHODS = frozenset({"GET", "HEAD"})
DEFAULT_TIMEOUT_MS = 30_000
MAX_TIMEOUT_MS = MAX_NODE_WAIT_MS
TIMEOUT = Duration(
    input="timeout",
    seconds_per_unit=0.001,
    unit="ms",
    maximum=MAX_TIMEOUT_MS,
    reason=f"a fetch runs in a task that stops after {INDIVIDUAL_TIMEOUT_SECONDS} s",
)
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 20
DEFAULT_PORTS = {"http": 80, "https": 443}
TEXT_SUBTYPES = frozenset(
    {"xml", "javascript", "x-javascript", "ecmascript", "x-www-form-urlencoded"}
)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request ready to send, with the secret plaintexts it carries (to mask them later)."""

    method: str
    url: httpx.URL
    headers: dict[str, str]
    content: bytes | None
    secrets: tuple[str, ...]
    secret_in_target: bool  # in the URL, query or body: such a request stays at its origin

    @property
    def where(self) -> str:
        """The URL without credentials, query or fragment: safe to show in a message."""
        return str(self.url.copy_with(userinfo=b"", query=None, fragment=None))


# The first status `failOnHttpError` fails the node on: 4xx and 5xx.
HTTP_ERROR_STATUS = 400


@dataclass(frozen=True, slots=True)
class Received:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # as sent: names in their case, repeated names apart
    content_type: str | None
    data: bytes


@family.node(
    "fetch",
    "Fetch",
    "Sends an HTTP request; 4xx and 5xx responses complete with their status",
    inputs=(
        port(
            "url",
            ParameterType.STRING,
            "http or https URL; {{secrets.NAME}} allowed",
            required=True,
        ),
        port("method", ParameterType.STRING, "GET, POST, PUT, ...", default="GET"),
        port("headers", ParameterType.JSON, "Header name -> value; {{secrets.NAME}} allowed"),
        port(
            "body",
            ParameterType.ANY,
            "JSON value, text or blob (not sent for GET/HEAD); {{secrets.NAME}} allowed in text",
        ),
        port(
            "query",
            ParameterType.JSON,
            "Name -> value (or list) added to the URL's query; {{secrets.NAME}} allowed",
        ),
        port(
            "timeout",
            ParameterType.NUMBER,
            f"Milliseconds, at most {MAX_TIMEOUT_MS}",
            default=DEFAULT_TIMEOUT_MS,
        ),
        port(
            "failOnHttpError",
            ParameterType.BOOLEAN,
            "true: a 4xx or 5xx response fails the node (so that a retry policy can ride it "
            "out); false when not given",
            hidden=True,
        ),
    ),
    outputs=(
        port("status", ParameterType.NUMBER, "The response's HTTP status"),
        port("statusText", ParameterType.STRING, "Its reason phrase"),
        port("headers", ParameterType.JSON, "Its headers: name -> value"),
        port("body", ParameterType.ANY, "Parsed JSON, text, or a blob reference"),
        port(
            "error",
            ParameterType.STRING,
            "Declared for Dafthunk's edges; never produced: a failed request fails the node",
            hidden=True,
        ),
    ),
    inlinable=False,
    usage=10,
    uses_secrets=True,
    secret_templates=("url", "headers", "query", "body"),
    remote=True,
    duration=TIMEOUT,
)
def fetch(ctx: NodeContext) -> Mapping[str, Any]:
    request = build_request(ctx)
    received = send(request, _timeout_seconds(ctx), ctx.environment.network)
    # Bytes first, so that a secret echoed in a binary body never reaches the blob store.
    received = dataclasses.replace(received, data=mask_bytes(received.data, request.secrets))
    if received.status >= HTTP_ERROR_STATUS and ctx.inputs.get("failOnHttpError") is True:
        where = mask(request.where, request.secrets)
        reason = mask(received.reason, request.secrets)
        raise NodeError(f"Request to {where} answered {received.status} {reason}".rstrip())
    return {
        "status": received.status,
        "statusText": mask(received.reason, request.secrets),
        "headers": _shown_headers(received.headers, request.secrets),
        "body": mask(decode_body(received, ctx), request.secrets),
    }


# Request building


def build_request(ctx: NodeContext) -> Outgoing:
    """The request the inputs describe, its `{{secrets.NAME}}` references replaced."""
    # Apart: secrets in headers may be dropped on a redirect, those in the target may not.
    in_target, in_headers = _Substitution(ctx.get_secret), _Substitution(ctx.get_secret)
    try:
        method = _method(ctx.inputs.get("method", "GET"))
        url = _url(ctx.inputs["url"], ctx.inputs.get("query"), in_target)
        headers = _headers(ctx.inputs.get("headers", {}), in_headers)
        content = None
        if method not in BODYLESS_METHODS and "body" in ctx.inputs:
            content, content_type = _encode_body(ctx.inputs["body"], ctx, in_target)
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = content_type
    except NodeError as error:  # no message may quote a plaintext it was built from
        raise NodeError(mask(str(error), _masked(in_target, in_headers))) from None
    secrets = _masked(in_target, in_headers)
    return Outgoing(method, url, headers, content, secrets, secret_in_target=bool(in_target.used))


class _Substitution:
    """Replaces `{{secrets.NAME}}` references in the request's texts, keeping the plaintexts."""

    def __init__(self, get_secret: Callable[[str], str]) -> None:
        self.get_secret = get_secret
        self.used: list[str] = []

    def __call__(self, text: str) -> str:
        text, used = substitute_secrets(text, self.get_secret)
        self.used += used
        return text


def _masked(*substitutions: _Substitution) -> tuple[str, ...]:
    """What to mask: each plaintext used, also as a URL carries it (percent-encoded)."""
    used = [secret for substitution in substitutions for secret in substitution.used]
    forms = dict.fromkeys(used)
    for secret in used:
        forms.update(dict.fromkeys(_url_forms(secret)))
    return tuple(forms)


def _url_forms(secret: str) -> tuple[str, ...]:
    """`secret` percent-encoded as a path (httpx) and as a query value (urlencode) have it."""
    return (
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret, safe="/:@!$&'()*+,;=~"),
        urllib.parse.quote_plus(secret, safe=""),
    )


def _method(value: str) -> str:
    method = value.strip().upper()
    if method not in METHODS:
        raise NodeError(f"Unsupported HTTP method '{value}'; use one of {', '.join(METHODS)}")
    return method


def _url(text: str, query: Any, substitute: Callable[[str], str]) -> httpx.URL:
    """The URL with its query; messages quote `text` as given, its references unreplaced."""
    import httpx

    try:
        url = httpx.URL(substitute(text.strip()))
    except httpx.InvalidURL as error:
        raise NodeError(f"Invalid URL '{text}': {error}") from None
    if url.scheme not in ("http", "https"):
        raise NodeError(f"Only http and https URLs are supported, got '{text}'")
    if not url.host:
        raise NodeError(f"URL '{text}' has no host")
    if query is None:
        return url
    extra = urllib.parse.urlencode(_query_pairs(query, substitute))
    if not extra:
        return url
    own = url.query.decode("ascii")
    return url.copy_with(query=(f"{own}&{extra}" if own else extra).encode("ascii"))


def _query_pairs(query: Any, substitute: Callable[[str], str]) -> list[tuple[str, str]]:
    if not isinstance(query, dict):
        raise NodeError("Input 'query' must be an object of parameter names to values")
    pairs = []
    for name, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            text = _scalar_text(item)
            if text is None:
                raise NodeError(
                    f"Query parameter '{name}' must be a string, number, boolean or a list of those"
                )
            pairs.append((name, substitute(text)))
    return pairs


def _scalar_text(value: Any) -> str | None:
    """Strings as they are, numbers and booleans as JSON text; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(number(value))
    return None


def _headers(value: Any, substitute: Callable[[str], str]) -> dict[str, str]:
    if not isinstance(value, dict):
        raise NodeError("Input 'headers' must be an object of header names to values")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        text = _scalar_text(raw)
        if text is None:
            raise NodeError(f"Header '{name}' must be a string")
        text = substitute(text)
        # Checked here so that no lower layer quotes a value holding a secret in its error.
        if not text.isascii() or any(c in text for c in "\r\n\0"):
            raise NodeError(f"Header '{name}' must be ASCII text on one line")
        headers[name] = text
    return headers


def _encode_body(
    body: Any, ctx: NodeContext, substitute: Callable[[str], str]
) -> tuple[bytes, str]:
    if isinstance(body, str):
        return substitute(body).encode("utf-8"), "text/plain; charset=utf-8"
    if is_blob_reference(body):
        blob = ctx.blobs.get(body)
        return blob.data, blob.mime_type
    text = json.dumps(_substituted(body, substitute), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8"), "application/json"


def _substituted(value: Any, substitute: Callable[[str], str]) -> Any:
    """A JSON value with the references in its string values replaced (keys are names)."""
    if isinstance(value, str):
        return substitute(value)
    if isinstance(value, list):
        return [_substituted(item, substitute) for item in value]
    if isinstance(value, dict):
        return {key: _substituted(item, substitute) for key, item in value.items()}
    return value


def _timeout_seconds(ctx: NodeContext) -> float:
    return ctx.timeout_seconds(TIMEOUT, DEFAULT_TIMEOUT_MS)


# Sending


def send(
    request: Outgoing, seconds: float, network: NetworkPolicy = EVERYWHERE_ALLOWED
) -> Received:
    """Send `request` where `network` allows (lambdas.runtime.network); network failures,
    refused destinations and timeouts become node errors naming the URL."""
    import httpx

    from lambdas.nodes.guard import GuardedBackend, GuardedTransport, refusal_of

    where = mask(request.where, request.secrets)  # a secret may be part of the path
    timed_out = f"Request to {where} timed out after {round(seconds * 1000)} ms"
    if seconds <= 0:
        raise NodeError(timed_out)
    deadline = time.monotonic() + seconds
    try:
        with (
            httpx.Client(
                trust_env=False,
                transport=None if network.everywhere else GuardedTransport(GuardedBackend(network)),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=seconds,
                event_hooks={"request": [_SecretsStayHome(request)]},
            ) as client,
            client.stream(
                request.method, request.url, headers=request.headers, content=request.content
            ) as response,
        ):
            data = _read(response.iter_bytes(), deadline)
            return Received(
                status=response.status_code,
                reason=response.reason_phrase
                or httpx.codes.get_reason_phrase(response.status_code),
                headers=[
                    (
                        name.decode(response.headers.encoding),
                        value.decode(response.headers.encoding),
                    )
                    for name, value in response.headers.raw
                ],
                content_type=response.headers.get("content-type"),
                data=data,
            )
    except httpx.TimeoutException:
        raise NodeError(timed_out) from None
    except httpx.HTTPError as error:
        refused = refusal_of(error)
        if refused is not None:  # nothing was sent: the connection was never opened
            failed = f"Request to {where} refused: {refused.reason}"
        else:
            failed = f"Request to {where} failed: {_reason(error)}"
        raise NodeError(mask(failed, request.secrets)) from None


class _SecretsStayHome:
    """A hook on every request a fetch sends, redirects included: a redirect to another origin
    loses the headers that carry a secret (a cookie the server set with it too), and is not
    followed when the URL, query or body carries one (it may be repeated in the new URL or,
    for a 307 or 308, sent again as the body)."""

    def __init__(self, request: Outgoing) -> None:
        self.request = request
        self.origin = _origin(request.url)

    def __call__(self, sent: httpx.Request) -> None:
        if _origin(sent.url) == self.origin:
            return
        secrets = self.request.secrets
        if self.request.secret_in_target:
            refused = (
                f"Request to {self.request.where} was redirected to {_shown_origin(sent.url)}, "
                "another origin: not followed, as its URL, query or body carries a secret"
            )
            raise NodeError(mask(refused, secrets))
        carrying = [name for name, value in sent.headers.multi_items() if _carries(value, secrets)]
        for name in carrying:
            sent.headers.pop(name, None)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port: what browsers compare (httpx leaves out a default port)."""
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)


def _shown_origin(url: httpx.URL) -> str:
    return str(url.copy_with(userinfo=b"", path="/", query=None, fragment=None)).removesuffix("/")


def _carries(value: str, secrets: Iterable[str]) -> bool:
    return any(secret in value for secret in secrets)


def _read(chunks: Iterable[bytes], deadline: float) -> bytes:
    """The whole body, within the deadline and the size limit."""
    import httpx

    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > MAX_RESPONSE_BYTES:
            raise NodeError(f"The response is larger than {MAX_RESPONSE_BYTES // 2**20} MiB")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the download took longer than the timeout")
    return bytes(data)


def _shown_headers(items: Iterable[tuple[str, str]], secrets: tuple[str, ...]) -> dict[str, str]:
    """Names in lower case, the values of a repeated name joined with ", ", every secret masked:
    in a name before it is lower-cased (no secret would match it after), in values once joined."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = mask(name, secrets).lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    shown: dict[str, str] = mask(headers, secrets)
    return shown


def _reason(error: BaseException) -> str:
    """A short cause, found by the type of the OS error underneath httpx's wrappers."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        cause = cause.__cause__ or cause.__context__
    return str(error) or type(error).__name__


# Response decoding


def decode_body(received: Received, ctx: NodeContext) -> Any:
    """Parsed JSON for JSON types, text for textual types, a blob reference otherwise."""
    if not received.data:
        return ""
    media_type, charset = _content_type(received.content_type)
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return loads_strict(_text(received.data, charset))
        except (ValueError, RecursionError):
            return _text(received.data, charset)
    main, _, subtype = media_type.partition("/")
    if main == "text" or subtype in TEXT_SUBTYPES or subtype.endswith("+xml") or charset:
        return _text(received.data, charset)
    return ctx.blobs.put(Blob(received.data, media_type or "application/octet-stream"))


def _content_type(header: str | None) -> tuple[str, str | None]:
    """The bare media type (lower case) and the charset parameter of a Content-Type."""
    if not header:
        return "", None
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.strip().lower(), charset


def _text(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset is most often mislabelled UTF-8
        return data.decode("utf-8", errors="replace")
