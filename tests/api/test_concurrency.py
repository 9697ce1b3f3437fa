"""Many executions at once through serve: each ends, is persisted and reaches its own session."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.support.serving import Organization, Server
from tests.support.sessions import after_the_end, follow
from tests.support.workflows import edge, node, workflow

EXECUTIONS = 50
# A guard against a hang, not a speed target (bench/ measures speed): serve answers one HTTP
# request at a time, so the last of fifty starts waits for the others, and every start shares
# one interpreter with the executions already running, on a machine that may be busy.
PATIENCE = 120.0
# Credits checked and charged: fifty charges racing on one organization must all count.
CHECK_CREDITS = True


async def run_concurrently(server: Server, organization: Organization) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {organization.key}"}
    sessions = [f"crowd-{i}" for i in range(EXECUTIONS)]
    sockets = await asyncio.gather(
        *(
            connect(
                server.ws_url(sessionId=session), additional_headers=auth, open_timeout=PATIENCE
            )
            for session in sessions
        )
    )
    async with httpx.AsyncClient(base_url=server.base_url, headers=auth, timeout=PATIENCE) as http:
        began = time.monotonic()
        started = await asyncio.gather(
            *(
                http.post(
                    "/workflows/crowd/executions",
                    json={"sessionId": session, "inputs": {"x": {"value": i}}},
                )
                for i, session in enumerate(sessions)
            )
        )
        assert [response.status_code for response in started] == [202] * EXECUTIONS
        ids = [response.json()["executionId"] for response in started]
        received = await asyncio.gather(
            *(follow(s, e, PATIENCE) for s, e in zip(sockets, ids, strict=True))
        )
        elapsed = time.monotonic() - began
        records = await asyncio.gather(*(http.get(f"/executions/{e}") for e in ids))
    late = await asyncio.gather(*(after_the_end(socket) for socket in sockets))
    assert late == [None] * EXECUTIONS, "a message arrived after an execution's final update"
    return {"ids": ids, "received": received, "records": records, "elapsed": elapsed}


def test_fifty_concurrent_executions_each_finish_persist_and_reach_their_own_session(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(
        workflow(
            node("x", "number-input"),
            node("double", "multiplication", b=2),
            node("show", "output-number"),
            edges=[edge("x.value", "double.a"), edge("double.result", "show.value")],
            workflow_id="crowd",
        )
    )
    before = server.engine.organizations.get(org_a.id)
    assert before is not None
    outcome = asyncio.run(run_concurrently(server, org_a))
    ids = outcome["ids"]
    assert len(set(ids)) == EXECUTIONS
    for i, (execution_id, messages, response) in enumerate(
        zip(ids, outcome["received"], outcome["records"], strict=True)
    ):
        assert {m["executionId"] for m in messages} == {execution_id}, "another execution's update"
        assert response.status_code == 200
        record = response.json()
        assert record["status"] == messages[-1]["status"] == "completed"
        assert record["nodeExecutions"] == messages[-1]["nodeExecutions"]
        assert record["nodeExecutions"][2]["outputs"] == {"displayValue": 2 * i}
    account = server.engine.organizations.get(org_a.id)
    assert account is not None
    assert account.usage - before.usage == EXECUTIONS * 3, "a charge was lost or doubled"
    rate = EXECUTIONS / outcome["elapsed"]
    print(
        f"\n{EXECUTIONS} concurrent executions through serve in {outcome['elapsed']:.2f} s: "
        f"{rate:.1f} executions/s"
    )
