"""Load: `serve` takes hundreds of concurrent executions, each followed by its own session.

Every execution of a 10-node workflow (two inline groups, a Wait state and an individual task)
reaches a final status, is persisted and listed, its session receives its updates and no
other's, and the organization is charged exactly once per execution. 200 executions run by
default; STEPTHUNK_LOAD_EXECUTIONS sets another number.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import connect

from tests.conftest import Figure
from tests.support.serving import FINAL, Organization, Server, server_fixture
from tests.support.sessions import after_the_end, follow
from tests.support.workflows import edge, node, workflow

T = TypeVar("T")
EXECUTIONS = int(os.environ.get("STEPTHUNK_LOAD_EXECUTIONS", "200"))
IN_FLIGHT = 50  # HTTP requests at once; every session stays connected throughout
PATIENCE = 120.0  # for one execution's final update, with all the others running
CHECK_CREDITS = True  # read by the server fixture: the engine checks and charges credits
NODES = 10

server = server_fixture  # serve's application per module (tests.support.serving)


def load_workflow() -> dict[str, Any]:
    """x -> double -> (Wait) -> plus -> total <- five (random in [5, 6)); total -> text, shown."""
    return workflow(
        node("x", "number-input"),
        node("double", "multiplication", b=2),
        node("pause", "wait", seconds=0),
        node("plus", "addition", b=1),
        node("five", "random-number", min=5, max=6, integer=True),
        node("total", "sum"),
        node("text", "to-string"),
        node("label", "string-concat", input_1="n="),
        node("shown", "output-text"),
        node("number", "output-number"),
        edges=[
            edge("x.value", "double.a"),
            edge("double.result", "pause.value"),
            edge("pause.value", "plus.a"),
            edge("plus.result", "total.numbers"),
            edge("five.value", "total.numbers"),
            edge("total.result", "text.value"),
            edge("text.result", "label.input_2"),
            edge("label.result", "shown.value"),
            edge("total.result", "number.value"),
        ],
        workflow_id="load",
    )


@dataclass
class Outcome:
    ids: list[str]
    received: list[list[dict[str, Any]]]
    records: list[dict[str, Any]]
    listed: list[str]
    late: list[Any]
    elapsed: float


async def listed(http: httpx.AsyncClient) -> list[str]:
    """Every execution id GET /workflows/load/executions lists, all pages."""
    ids: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"nextToken": token} if token else {})
        page = (await http.get("/workflows/load/executions", params=params)).json()
        ids += [item["id"] for item in page["items"]]
        token = page.get("nextToken")
        if not token:
            return ids


async def run_load(server: Server, organization: Organization) -> Outcome:
    auth = {"Authorization": f"Bearer {organization.key}"}
    sessions = [f"load-{i}" for i in range(EXECUTIONS)]
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def bounded(request: Awaitable[T]) -> T:
        async with gate:
            return await request

    sockets = await asyncio.gather(
        *(bounded(connect(server.ws_url(sessionId=s), additional_headers=auth)) for s in sessions)
    )
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=auth, timeout=PATIENCE, limits=limits
    ) as http:
        began = time.monotonic()
        started = await asyncio.gather(
            *(
                bounded(
                    http.post(
                        "/workflows/load/executions",
                        json={"sessionId": session, "inputs": {"x": {"value": i}}},
                    )
                )
                for i, session in enumerate(sessions)
            )
        )
        assert [r.status_code for r in started] == [202] * EXECUTIONS, started
        ids = [r.json()["executionId"] for r in started]
        received = await asyncio.gather(*(follow(s, e) for s, e in zip(sockets, ids, strict=True)))
        elapsed = time.monotonic() - began
        records = await asyncio.gather(*(bounded(http.get(f"/executions/{e}")) for e in ids))
        assert [r.status_code for r in records] == [200] * EXECUTIONS
        all_listed = await listed(http)
    late = await asyncio.gather(*(after_the_end(socket) for socket in sockets))
    return Outcome(ids, received, [r.json() for r in records], all_listed, late, elapsed)


def test_hundreds_of_concurrent_executions_all_finish_persist_and_reach_only_their_session(
    server: Server, figure: Figure
) -> None:
    organization = server.organization()
    organization.deploy(load_workflow())
    before = server.engine.organizations.get(organization.id)
    assert before is not None

    outcome = asyncio.run(run_load(server, organization))

    assert len(set(outcome.ids)) == EXECUTIONS
    assert sorted(outcome.listed) == sorted(outcome.ids), "an execution is missing from the list"
    assert outcome.late == [None] * EXECUTIONS, "a message arrived after a final update"
    for i, (execution_id, messages, record) in enumerate(
        zip(outcome.ids, outcome.received, outcome.records, strict=True)
    ):
        assert {m.get("executionId") for m in messages} == {execution_id}, "a foreign update"
        assert all(m["type"] == "execution_update" for m in messages)
        assert [m["status"] for m in messages if m["status"] in FINAL] == ["completed"]
        assert record["id"] == execution_id
        assert record["status"] == "completed", record
        assert record["nodeExecutions"] == messages[-1]["nodeExecutions"]
        outputs = {n["nodeId"]: n.get("outputs") for n in record["nodeExecutions"]}
        assert outputs["number"] == {"displayValue": 2 * i + 6}
        assert outputs["shown"] == {"displayValue": f"n={2 * i + 6}"}
    account = server.engine.organizations.get(organization.id)
    assert account is not None
    assert account.usage - before.usage == EXECUTIONS * NODES, "a charge was lost or doubled"
    figure(
        f"{EXECUTIONS} concurrent executions of a {NODES}-node workflow through serve "
        f"in {outcome.elapsed:.1f} s: {EXECUTIONS / outcome.elapsed:.1f} executions/s"
    )
