"""Retrying a failed or cancelled execution: what completed is reused, the rest runs again."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.test_executions_api import divider
from tests.support.http_server import serve_on, servers_fixture, unused_port
from tests.support.serving import PATIENCE, Organization, Server

__all__ = ["servers_fixture"]  # fixtures
from tests.support.workflows import edge, node, workflow


def two_calls(steady: int, flaky: int) -> dict[str, Any]:
    """`steady` and `flaky` are fetched in parallel; `total` adds their statuses; `side`
    depends on `steady` alone."""
    return workflow(
        node("steady", "fetch", url=f"http://127.0.0.1:{steady}/a", timeout=2000),
        node("flaky", "fetch", url=f"http://127.0.0.1:{flaky}/b", timeout=2000),
        node("total", "sum"),
        node("side", "addition", b=1),
        edges=[
            edge("steady.status", "total.numbers"),
            edge("flaky.status", "total.numbers"),
            edge("steady.status", "side.a"),
        ],
        workflow_id="two-calls",
    )


def test_a_retry_reuses_what_completed_and_runs_what_failed_and_what_depends_on_it(
    server: Server, org_a: Organization, servers: contextlib.ExitStack
) -> None:
    steady = serve_on(unused_port(), servers)
    flaky_port = unused_port()  # nothing listens there yet: the first run's call fails
    org_a.deploy(two_calls(steady.port, flaky_port))
    first = org_a.wait_for(org_a.start("two-calls"))
    assert first["status"] == "error"
    statuses = {e["nodeId"]: e["status"] for e in first["nodeExecutions"]}
    # `total` ran on its one live input, so it must run again once `flaky` works
    assert statuses == {
        "steady": "completed",
        "flaky": "error",
        "total": "completed",
        "side": "completed",
    }

    flaky = serve_on(flaky_port, servers)
    before = server.engine.organizations.get(org_a.id)
    response = org_a.http.post(f"/executions/{first['id']}/retry")
    assert response.status_code == 202, response.text
    assert response.json()["retryOf"] == first["id"]
    retried = org_a.wait_for(response.json()["executionId"])

    assert retried["status"] == "completed", json.dumps(retried)[:3000]
    assert (len(steady.requests), len(flaky.requests)) == (1, 1), (
        "steady ran again, or flaky did not run"
    )
    nodes = {e["nodeId"]: e for e in retried["nodeExecutions"]}
    assert nodes["total"]["outputs"] == {"result": 400}
    assert (
        nodes["steady"]["outputs"]
        == {e["nodeId"]: e for e in first["nodeExecutions"]}["steady"]["outputs"]
    )
    assert (nodes["steady"]["usage"], nodes["side"]["usage"]) == (0, 0), "reused: not charged"
    after = server.engine.organizations.get(org_a.id)
    assert before is not None
    assert after is not None
    assert after.usage - before.usage == retried["usage"] == 10 + 1  # flaky's fetch and total


def test_only_a_failed_or_cancelled_execution_can_be_retried(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(workflow(node("n", "number-input", value=1), workflow_id="fine"))
    done = org_a.wait_for(org_a.start("fine"))
    assert done["status"] == "completed"
    response = org_a.http.post(f"/executions/{done['id']}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NOT_RETRYABLE"
    assert org_a.http.post("/executions/no-such-execution/retry").status_code == 404


def test_a_cancelled_execution_retried_runs_to_the_end(server: Server, org_a: Organization) -> None:
    org_a.deploy(
        workflow(
            node("first", "number-input", value=1),
            node("pause", "wait", seconds=1000),
            node("after", "addition", b=1),
            edges=[edge("first.value", "pause.value"), edge("pause.value", "after.a")],
            workflow_id="pausing",
        )
    )
    running = org_a.start("pausing")
    org_a.wait_for(running, frozenset({"executing"}))
    assert org_a.http.post(f"/executions/{running}/cancel").status_code == 200
    response = org_a.http.post(f"/executions/{running}/retry", json={})
    assert response.status_code == 202, response.text
    retried = org_a.wait_for(response.json()["executionId"])
    assert retried["status"] == "completed"
    assert {e["nodeId"]: e.get("outputs") for e in retried["nodeExecutions"]}["after"] == {
        "result": 2
    }


def test_retries_with_one_idempotency_key_start_one_execution_and_without_one_each_starts_one(
    org_a: Organization,
) -> None:
    org_a.deploy(divider("retried"))
    failed = org_a.wait_for(org_a.start("retried", inputs={"y": {"value": 0}}))
    assert failed["status"] == "error"
    retry = f"/executions/{failed['id']}/retry"
    key = {"Idempotency-Key": "retry-1"}
    with ThreadPoolExecutor(10) as pool:
        keyed = list(pool.map(lambda _: org_a.http.post(retry, json={}, headers=key), range(10)))
    assert [response.status_code for response in keyed] == [202] * 10
    assert len({response.json()["executionId"] for response in keyed}) == 1
    other_body = org_a.http.post(retry, json={"sessionId": "another"}, headers=key)
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    unkeyed = [org_a.http.post(retry, json={}) for _ in range(2)]
    ids = {response.json()["executionId"] for response in [keyed[0], *unkeyed]}
    assert len(ids) == 3, "each retry without a key starts an execution of its own"
    for execution_id in ids:
        org_a.wait_for(execution_id)
    listed = org_a.http.get("/workflows/retried/executions").json()["items"]
    assert len(listed) == 4


def versioned(a: int, b: int, *, name: str, note: bool = False) -> dict[str, Any]:
    """a / b, and c * 2 beside it; with `note`, one more node."""
    nodes = [
        node("a", "number-input", value=a),
        node("b", "number-input", value=b),
        node("quotient", "division"),
        node("c", "number-input", value=7),
        node("double", "multiplication", b=2),
    ]
    if note:
        nodes.append(node("note", "text-input", value="added in version 2"))
    return workflow(
        *nodes,
        edges=[
            edge("a.value", "quotient.a"),
            edge("b.value", "quotient.b"),
            edge("c.value", "double.a"),
        ],
        workflow_id="versioned",
        name=name,
    )


def retried(org: Organization, execution_id: str, **body: Any) -> dict[str, Any]:
    response = org.http.post(f"/executions/{execution_id}/retry", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["retryOf"] == execution_id
    return org.wait_for(response.json()["executionId"])


def by_node(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["nodeId"]: e for e in record["nodeExecutions"]}


def test_a_retry_runs_the_version_it_ran_unless_asked_for_the_current_one(
    org_a: Organization,
) -> None:
    org_a.deploy(versioned(5, 0, name="Divider v1"))
    first = org_a.wait_for(org_a.start("versioned"))
    assert first["status"] == "error"
    assert org_a.deploy(versioned(100, 2, name="Divider v2", note=True))["version"] == 2

    again = retried(org_a, first["id"])
    assert again["workflowName"] == "Divider v1"
    assert list(by_node(again)) == ["a", "b", "quotient", "c", "double"], "version 1's nodes"
    assert again["status"] == "error"
    assert "Division by zero" in by_node(again)["quotient"]["error"]

    current = retried(org_a, first["id"], workflow="current")
    assert current["status"] == "completed", current
    assert current["workflowName"] == "Divider v2"
    nodes = by_node(current)
    assert nodes["quotient"]["outputs"] == {"result": 50}
    assert nodes["note"]["status"] == "completed"
    # a and b changed and quotient depends on them: they ran; c and double still hold
    usage = {node_id: execution["usage"] for node_id, execution in nodes.items()}
    assert usage == {"a": 1, "b": 1, "quotient": 1, "c": 0, "double": 0, "note": 1}
    assert nodes["double"]["outputs"] == by_node(first)["double"]["outputs"] == {"result": 14}


def test_a_retry_runs_the_version_it_ran_after_its_state_machine_was_replaced(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(versioned(5, 0, name="Divider v1"))
    first = org_a.wait_for(org_a.start("versioned"))
    # A machine's type cannot change: each of these replaces it, numbering its versions anew
    # (as a restarted local server does), so the version number 1 ran on now runs version 3.
    org_a.deploy({**versioned(100, 2, name="Divider v2", note=True), "shortLived": True})
    org_a.deploy(versioned(100, 2, name="Divider v3", note=True))

    again = retried(org_a, first["id"])
    assert again["workflowName"] == "Divider v1"
    assert list(by_node(again)) == ["a", "b", "quotient", "c", "double"]
    assert "Division by zero" in by_node(again)["quotient"]["error"]
    # The machine itself still shows the current version.
    client = server.engine.cloud.client("stepfunctions")
    arn = org_a.http.get("/workflows/versioned").json()["stateMachineArn"]
    assert "Divider v3" in client.describe_state_machine(stateMachineArn=arn)["definition"]
    assert retried(org_a, first["id"], workflow="current")["status"] == "completed"


def test_a_retry_runs_what_the_execution_ran_after_its_workflow_was_deployed_anew(
    org_a: Organization,
) -> None:
    org_a.deploy(versioned(5, 0, name="Divider v1"))
    first = org_a.wait_for(org_a.start("versioned"))
    assert org_a.http.delete("/workflows/versioned").status_code == 204
    # Version 1 again, but another workflow.
    assert org_a.deploy(versioned(100, 2, name="Divider anew", note=True))["version"] == 1

    again = retried(org_a, first["id"])
    assert again["workflowName"] == "Divider v1"
    assert list(by_node(again)) == ["a", "b", "quotient", "c", "double"]
    current = retried(org_a, first["id"], workflow="current")
    assert current["workflowName"] == "Divider anew"
    assert by_node(current)["quotient"]["outputs"] == {"result": 50}


def test_a_retry_body_names_a_version_the_api_knows(org_a: Organization) -> None:
    org_a.deploy(divider("plain-retry"))
    failed = org_a.wait_for(org_a.start("plain-retry", inputs={"y": {"value": 0}}))
    response = org_a.http.post(f"/executions/{failed['id']}/retry", json={"workflow": "v1"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_REQUEST"


def test_a_start_never_gets_the_execution_a_retry_started_whatever_the_workflow_is_called(
    org_a: Organization,
) -> None:
    org_a.deploy(divider("flaky"))
    failed = org_a.wait_for(org_a.start("flaky", inputs={"y": {"value": 0}}))
    retry = org_a.http.post(
        f"/executions/{failed['id']}/retry", json={}, headers={"Idempotency-Key": "k"}
    )
    assert retry.status_code == 202, retry.text
    org_a.deploy(divider("retry"))
    # A workflow called `retry`, and a key naming the retried execution and the retry's key.
    start = org_a.http.post(
        "/workflows/retry/executions", json={}, headers={"Idempotency-Key": f"{failed['id']}/k"}
    )
    assert start.status_code == 202, start.text
    assert "Idempotent-Replayed" not in start.headers
    assert start.json()["executionId"] != retry.json()["executionId"]
    assert org_a.wait_for(start.json()["executionId"])["workflowId"] == "retry"


def test_organizations_whose_ids_join_alike_never_share_an_execution(server: Server) -> None:
    # Ids the CLI refuses now, as one made before the rule (or by other means) may be.
    base = f"org-{uuid.uuid4().hex[:8]}"
    slashed, plain = server.organization(f"{base}/flow"), server.organization(base)
    slashed.deploy(divider("job"))
    plain.deploy(divider("flow"))
    theirs = slashed.http.post(
        "/workflows/job/executions", json={}, headers={"Idempotency-Key": "k1"}
    )
    ours = plain.http.post(
        "/workflows/flow/executions", json={}, headers={"Idempotency-Key": "job/k1"}
    )
    assert (theirs.status_code, ours.status_code) == (202, 202), ours.text
    assert "Idempotent-Replayed" not in ours.headers
    assert ours.json()["executionId"] != theirs.json()["executionId"]
    record = plain.wait_for(ours.json()["executionId"])
    assert (record["organizationId"], record["workflowId"]) == (base, "flow")
    assert slashed.wait_for(theirs.json()["executionId"])["organizationId"] == f"{base}/flow"


def test_a_retry_refused_for_credits_keeps_what_it_reused_and_charges_nothing(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(divider("short-of-credits"))
    failed = org_a.wait_for(org_a.start("short-of-credits", inputs={"y": {"value": 0}}))
    assert failed["status"] == "error"
    before = server.engine.organizations.get(org_a.id)
    assert before is not None
    server.engine.set_credits(org_a.id, 0, usage=before.usage)

    response = org_a.http.post(f"/executions/{failed['id']}/retry")
    assert response.status_code == 202, response.text
    retried = org_a.wait_for(response.json()["executionId"])

    assert retried["status"] == "exhausted"
    nodes = {e["nodeId"]: e for e in retried["nodeExecutions"]}
    assert {node_id: e["status"] for node_id, e in nodes.items()} == {
        "x": "completed",
        "y": "completed",
        "quotient": "idle",
    }
    assert nodes["x"]["outputs"] == {"value": 6}
    assert (nodes["x"]["usage"], nodes["y"]["usage"], retried["usage"]) == (0, 0, 0)
    after = server.engine.organizations.get(org_a.id)
    assert after is not None
    assert after.usage == before.usage


def test_a_retry_cancelled_before_it_began_running_keeps_what_it_reused(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(divider("cancelled-early"))
    failed = org_a.wait_for(org_a.start("cancelled-early", inputs={"y": {"value": 0}}))
    # Hold the retry in `Initialize workflow`, before it hands out what it reuses.
    name = server.engine.deployment.functions.initialize.rsplit(":", 1)[-1]
    real, timeout = server.engine.cloud.functions[name]
    entered, release = threading.Event(), threading.Event()

    def held(event: dict[str, Any], deadline: float) -> dict[str, Any]:
        entered.set()
        release.wait(PATIENCE)
        return real(event, deadline)

    server.engine.cloud.functions[name] = (held, timeout)
    try:
        response = org_a.http.post(f"/executions/{failed['id']}/retry")
        assert response.status_code == 202, response.text
        retry_id = response.json()["executionId"]
        assert entered.wait(PATIENCE), "the retry never reached Initialize workflow"
        cancel = org_a.http.post(f"/executions/{retry_id}/cancel")
    finally:
        server.engine.cloud.functions[name] = (real, timeout)
        release.set()

    assert cancel.status_code == 200, cancel.text
    cancelled = cancel.json()
    assert cancelled["status"] == "cancelled"
    assert {e["nodeId"]: e["status"] for e in cancelled["nodeExecutions"]} == {
        "x": "completed",
        "y": "completed",
        "quotient": "idle",
    }
    assert cancelled["usage"] == 0
    assert org_a.record(retry_id)["nodeExecutions"] == cancelled["nodeExecutions"]
