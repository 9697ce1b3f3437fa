"""The plaintext scan of tests/security, counting hits by kind of place, over serve's answers."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.sync.client import ClientConnection

from local.embedded import EmbeddedEngine
from tests.support.secret_scan import Scan, history


@dataclass
class KindScan(Scan):
    """A Scan that also counts its hits per kind of place (to prove each kind is searched)."""

    hits: Counter[str] = field(default_factory=Counter)

    def look(self, kind: str, where: str, value: Any) -> None:
        before = len(self.found)
        super().look(kind, where, value)
        self.hits[kind] += len(self.found) - before


@dataclass
class Recorder:
    """Every response an httpx client received, as text: status line, headers and body."""

    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        self.responses.append((where, {"headers": dict(response.headers), "body": response.text}))

    def attach(self, client: httpx.Client) -> None:
        client.event_hooks = {"response": [*client.event_hooks["response"], self]}


def drain(socket: ClientConnection, seconds: float = 0.3) -> list[dict[str, Any]]:
    """The messages waiting on `socket`, until none comes for `seconds`."""
    messages = []
    while True:
        try:
            messages.append(json.loads(socket.recv(timeout=seconds)))
        except TimeoutError:
            return messages


def scan_machines(engine: EmbeddedEngine, machines: list[str], scan: Scan) -> None:
    """Search every execution (description and history) of these state machines: those the
    HTTP API deploys are named per organization, not after the engine's deployment."""
    sfn = engine.cloud.client("stepfunctions")
    for machine in machines:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        for arn in [e["executionArn"] for page in pages for e in page["executions"]]:
            scan.look("executions", arn, sfn.describe_execution(executionArn=arn))
            for event in history(engine, arn):
                scan.look("events", f"{arn} event {event['id']}", event)
