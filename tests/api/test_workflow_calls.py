"""Sub-workflows through the HTTP API: the child is an execution of its workflow like any
other (listed, readable, naming its caller), a cancel of the caller cancels it, a retry of
the caller reuses a call that completed, and a deploy refuses a cycle of calls it can see."""

from __future__ import annotations

from typing import Any

from tests.api.test_cancel_wait import until_announced
from tests.api.test_executions_api import node_of, waiter
from tests.support.serving import Organization, Server
from tests.support.workflows import edge, node, workflow


def calling(workflow_id: str, called: str, **more: Any) -> dict[str, Any]:
    """`call` runs workflow `called`; `more` adds a node `after` of that type (with its
    literals), fed nothing by the call: it runs whatever the call does."""
    nodes = [node("call", "run-workflow", workflowId=called)]
    if more:
        node_type = more.pop("type")
        nodes.append(node("after", node_type, **more))
    return workflow(*nodes, workflow_id=workflow_id)


def test_a_child_is_listed_readable_and_cancelled_with_its_caller(
    server: Server, org_a: Organization, org_b: Organization
) -> None:
    org_a.deploy(waiter("slow-child"))
    org_a.deploy(calling("parent", "slow-child"))
    with server.session(org_a, "session-call") as socket:
        parent = org_a.start("parent", sessionId="session-call")
        call = until_announced(socket, "call")
    assert (call["status"], call["waitingFor"]) == ("executing", "workflow")
    child = call["outputs"]["executionId"]

    listed = org_a.http.get("/workflows/slow-child/executions").json()["items"]
    assert [item["id"] for item in listed] == [child]
    assert org_a.record(child)["parentExecutionId"] == parent
    assert org_b.http.get(f"/executions/{child}").status_code == 404  # per organization

    cancel = org_a.http.post(f"/executions/{parent}/cancel")
    assert cancel.status_code == 200, cancel.text
    assert node_of(cancel.json(), "call")["status"] == "idle"
    cancelled = org_a.wait_for(child)
    assert cancelled["status"] == "cancelled"
    assert cancelled["parentNodeId"] == "call"
    assert node_of(cancelled, "pause")["status"] == "idle"


def test_a_retry_of_the_caller_reuses_a_call_that_completed(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(workflow(node("one", "number-input", value=1), workflow_id="quick-child"))
    org_a.deploy(calling("flaky-parent", "quick-child", type="division", a=1))
    failed = org_a.wait_for(org_a.start("flaky-parent", inputs={"after": {"b": 0}}))
    assert failed["status"] == "error"
    first_child = node_of(failed, "call")["outputs"]["executionId"]

    retry = org_a.http.post(f"/executions/{failed['id']}/retry", json={})
    assert retry.status_code == 202, retry.text
    retried = org_a.wait_for(retry.json()["executionId"])

    assert node_of(retried, "call")["outputs"]["executionId"] == first_child
    assert node_of(retried, "after")["status"] == "error"  # ran again, with the same inputs
    children = org_a.http.get("/workflows/quick-child/executions").json()["items"]
    assert [item["id"] for item in children] == [first_child]


def test_a_deploy_refuses_a_cycle_of_calls_it_can_see(server: Server, org_a: Organization) -> None:
    org_a.deploy(calling("ping", "pong"))  # pong is not deployed yet: no cycle to see
    response = org_a.http.put("/workflows/pong", json=calling("pong", "ping"))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_WORKFLOW"
    [problem] = error["details"]
    assert problem["code"] == "CALL_CYCLE"
    assert problem["message"] == (
        "The workflows call each other in a cycle ('pong' → 'ping' → 'pong'): "
        "its calls would never end"
    )
    assert org_a.http.get("/workflows/pong").status_code == 404


def test_a_short_lived_workflow_may_not_call_one(server: Server, org_a: Organization) -> None:
    short = calling("short", "anything")
    short["shortLived"] = True

    response = org_a.http.put("/workflows/short", json=short)

    assert response.status_code == 400, response.text
    [problem] = response.json()["error"]["details"]
    assert problem["code"] == "EXPRESS_UNSUPPORTED"
    assert problem["nodeId"] == "call"


def test_the_edge_feeding_a_call_may_name_the_workflow(server: Server, org_a: Organization) -> None:
    org_a.deploy(workflow(node("one", "number-input", value=1), workflow_id="named-child"))
    caller = workflow(
        node("which", "text-input", value="named-child"),
        node("call", "run-workflow"),
        edges=[edge("which.value", "call.workflowId")],
        workflow_id="edge-caller",
    )
    org_a.deploy(caller)

    record = org_a.wait_for(org_a.start("edge-caller"))

    assert record["status"] == "completed", record
