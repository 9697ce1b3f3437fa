"""Tools of the security and reliability tests: a search of a whole deployment for plaintexts,
the handlers' log lines (the `handler_logs` fixture: import `handler_logs_fixture`), local
servers answering by a route function (`serve`: import `serve_fixture`).

A `Scan` looks for each plaintext as UTF-8 and as base64 (standard and URL-safe, at any
alignment inside a longer value), and inside every base64-looking run of a value once decoded,
so a secret that was only encoded on its way into a store is still found.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import secrets
import socket
import string
import sys
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdas.handlers.observability import logger
from lambdas.runtime import ports
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from statemachine.validation import validate_workflow
from tests.support import http_server as local
from tests.support.http_server import RecordedRequest

LOG_PROBE = "security tests: log capture probe"
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")
PLACES = ("executions", "events", "items", "objects", "log lines", "messages", "records")


def plaintext(length: int = 32) -> str:
    """A random secret, unlike anything else a deployment holds."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def organization() -> str:
    """An organization of its own for one test."""
    return f"org-{uuid.uuid4().hex[:12]}"


def encodings(text: str) -> list[tuple[str, bytes]]:
    """`text` as UTF-8, and the base64 characters that encode it wherever it sits in a value.

    Base64 encodes 3 bytes as 4 characters, so each of the 3 alignments has its own encoding;
    the first and last groups may mix in the neighbouring bytes and are left out.
    """
    raw = text.encode("utf-8")
    forms = [("plaintext", raw)]
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        for shift in range(3):
            encoded = encode(bytes(shift) + raw)
            forms.append((name, encoded[4 if shift else 0 : -4]))
    return forms


def _leaves(value: Any) -> Iterator[bytes]:
    """Every string, byte string, key and scalar inside `value`, as bytes."""
    if isinstance(value, bytes | bytearray):
        yield bytes(value)
    elif isinstance(value, str):
        yield value.encode("utf-8", errors="surrogatepass")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key)
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    elif hasattr(value, "read"):
        yield from _leaves(value.read())
    else:
        yield str(value).encode("utf-8")


def _decoded_runs(data: bytes) -> Iterator[bytes]:
    for run in BASE64_RUN.findall(data):
        padded = run.rstrip(b"=") + b"=" * (-len(run.rstrip(b"=")) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                yield decode(padded)
            except (binascii.Error, ValueError):
                continue


@dataclass
class Scan:
    """Where a search for plaintexts looked (counted by kind of place) and what it found."""

    plaintexts: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLACES, 0))
    found: list[str] = field(default_factory=list)

    def finds(self, value: Any) -> list[str]:
        """How each plaintext shows in `value` ("#0 plaintext", "#1 base64 decoded", ...)."""
        hits = []
        for data in _leaves(value):
            views = [("", data)] + [(" in decoded base64", run) for run in _decoded_runs(data)]
            for index, text in enumerate(self.plaintexts):
                for form, needle in encodings(text):
                    hits += [f"#{index} {form}{where}" for where, view in views if needle in view]
        return hits

    def look(self, kind: str, where: str, value: Any) -> None:
        """Search `value`, one place of `kind` (events, items, objects, ...)."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.found += [f"{where}: {hit}" for hit in self.finds(value)]

    def summary(self) -> str:
        places = ", ".join(f"{count} {kind}" for kind, count in self.counts.items())
        return f"scanned {sum(self.counts.values())} places ({places}); {len(self.found)} hits"


def executions_of(engine: EmbeddedEngine) -> list[str]:
    """The ARNs of every execution of every state machine of the engine's deployment."""
    sfn = engine.cloud.client("stepfunctions")
    arns = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"].startswith(f"{engine.deployment.prefix}-"):
                listed = sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=machine["stateMachineArn"]
                )
                arns += [e["executionArn"] for p in listed for e in p["executions"]]
    return arns


def execution_arn(engine: EmbeddedEngine, workflow: Any, execution_id: str) -> str:
    """The ARN of the engine's execution `execution_id` of `workflow` (machines are cached)."""
    machine = engine.deploy(validate_workflow(workflow, engine.registry.catalog))
    return ports.execution_arn(machine, execution_id)


def history(engine: EmbeddedEngine, arn: str) -> list[dict[str, Any]]:
    """Every event of an execution's history, all pages."""
    pages = engine.cloud.client("stepfunctions").get_paginator("get_execution_history")
    return [event for page in pages.paginate(executionArn=arn) for event in page["events"]]


def scan_deployment(engine: EmbeddedEngine, scan: Scan, *, histories: bool = True) -> None:
    """Search every execution (description and, with `histories`, history), every item of
    every table and every object of the bucket of the engine's deployment."""
    sfn = engine.cloud.client("stepfunctions")
    for arn in executions_of(engine):
        scan.look("executions", arn, sfn.describe_execution(executionArn=arn))
        for event in history(engine, arn) if histories else []:
            scan.look("events", f"{arn} event {event['id']}", event)
    dynamodb, s3 = engine.clients.dynamodb, engine.clients.s3
    for setting, table in sorted(engine.deployment.settings.items()):
        if setting.endswith("_table"):
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    scan.look("items", f"{table} item", item)
    bucket = engine.deployment.settings["blob_bucket"]
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for summary in listing.get("Contents", []):
            stored = s3.get_object(Bucket=bucket, Key=summary["Key"])
            scan.look("objects", f"s3://{bucket}/{summary['Key']}", stored)


class _CurrentStderr:
    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture(name="handler_logs")
def handler_logs_fixture(
    cloud: LocalCloud, capfd: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], list[str]]]:
    """The lines the handlers' Powertools logger writes during the test, at DEBUG level.

    The logger writes to whatever `sys.stderr` is when it logs (pytest swaps the captured
    stream between setup and call); a probe line proves the capture works.
    """
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream, level = handler.stream, logger.log_level
    handler.stream = _CurrentStderr()
    logger.setLevel("DEBUG")
    logger.debug(LOG_PROBE)
    lines: list[str] = []

    def read() -> list[str]:
        captured = capfd.readouterr()
        lines.extend((captured.out + captured.err).splitlines())
        return lines

    try:
        yield read
    finally:
        logger.setLevel(level)
        handler.stream = stream


@dataclass(frozen=True)
class Request:
    """A request a local server received (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # sent as JSON; bytes are sent as they are (application/octet-stream)
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None


Route = Callable[[Request], Reply]


@dataclass
class Server:
    port: int
    requests: list[Request] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(name="serve")
def serve_fixture() -> Iterator[Callable[[Route], Server]]:
    """Start local servers on 127.0.0.1 answering by a route function; stopped after the test."""
    with contextlib.ExitStack() as running:

        def start(route: Route) -> Server:
            state = Server(port=0)

            def answer(received: RecordedRequest) -> local.Reply:
                request = Request(received.method, received.path, received.headers, received.body)
                state.requests.append(request)
                reply = route(request)
                binary = isinstance(reply.body, bytes)
                return local.Reply(
                    reply.status,
                    reply.body if binary else json.dumps(reply.body).encode("utf-8"),
                    "application/octet-stream" if binary else "application/json",
                    reply.headers,
                    reply.reason,
                )

            state.port = running.enter_context(local.serving(answer)).port
            return state

        yield start


def scan_everything(
    engine: EmbeddedEngine,
    secret: str,
    record: dict[str, Any],
    messages: list[dict[str, Any]],
    logs: list[str],
) -> Scan:
    """Search the whole deployment, the handlers' log lines, the live updates and the
    execution's record (as returned and as persisted) for `secret`."""
    scan = Scan((secret,))
    scan_deployment(engine, scan)
    for line in logs:
        scan.look("log lines", "handler logs", line)
    for index, message in enumerate(messages):
        scan.look("messages", f"live update {index}", message)
    scan.look("records", "final record", record)
    scan.look("records", "persisted record", engine.record(record["id"]).to_json())
    print(scan.summary())
    return scan


def closed_port() -> int:
    """A port nothing listens on (bound once by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
