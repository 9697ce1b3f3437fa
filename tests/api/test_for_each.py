"""For-each through the HTTP API: while the items run, the node is `executing` with their
children's ids; a cancel of the caller cancels every item's child, those running and those
not yet started, and each is an execution of its workflow, listed and readable."""

from __future__ import annotations

from tests.api.test_cancel_wait import until_announced
from tests.api.test_executions_api import node_of, waiter
from tests.support.serving import Organization, Server
from tests.support.workflows import node, workflow


def test_a_cancel_of_the_caller_cancels_every_items_child(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(waiter("slow-item"))
    looping = workflow(
        node(
            "loop",
            "for-each",
            items=[1, 2, 3],
            workflowId="slow-item",
            itemInput="first.value",
            maxConcurrency=2,
        ),
        workflow_id="looping",
    )
    org_a.deploy(looping)
    with server.session(org_a, "session-loop") as socket:
        parent = org_a.start("looping", sessionId="session-loop")
        loop = until_announced(socket, "loop")
    assert (loop["status"], loop["waitingFor"]) == ("executing", "workflow")
    children = loop["outputs"]["executionIds"]
    assert len(children) == 3
    listed = org_a.http.get("/workflows/slow-item/executions").json()["items"]
    assert sorted(item["id"] for item in listed) == sorted(children)

    # two at a time: the first two items wait (1000 s), the third waits its turn
    for child in children[:2]:
        org_a.wait_for(child, frozenset({"executing"}))
    assert org_a.record(children[2])["status"] == "submitted"

    cancel = org_a.http.post(f"/executions/{parent}/cancel")

    assert cancel.status_code == 200, cancel.text
    assert node_of(cancel.json(), "loop")["status"] == "idle"
    for index, child in enumerate(children):
        cancelled = org_a.wait_for(child)
        assert cancelled["status"] == "cancelled", (index, cancelled)
        assert cancelled["parentExecutionId"] == parent
        assert node_of(cancelled, "after")["status"] == "idle"
    # the children run nothing more: each started was stopped, the last never started
    cloud = server.engine.cloud
    stopped = []
    for child in children:
        handle = server.engine.executions.handle(child)
        assert handle is not None
        assert handle.execution_arn is not None
        try:
            stopped.append(cloud.wait_for_execution(handle.execution_arn, timeout=10))
        except LookupError:
            stopped.append("never started")
    assert stopped == ["ABORTED", "ABORTED", "never started"]


def test_a_retry_reuses_a_completed_for_each_and_runs_a_failed_one_anew(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(workflow(node("one", "number-input", value=1), workflow_id="quick-item"))
    org_a.deploy(
        workflow(
            node("done", "for-each", items=[1, 2], workflowId="quick-item", itemInput="one.value"),
            node("failed", "for-each", items=["x"], workflowId="quick-item", itemInput="one.value"),
            workflow_id="two-loops",
        )
    )
    first = org_a.wait_for(org_a.start("two-loops"))
    assert first["status"] == "error"
    assert node_of(first, "failed")["error"].startswith("1 of 1 items failed")
    kept = node_of(first, "done")["outputs"]["executionIds"]

    retry = org_a.http.post(f"/executions/{first['id']}/retry", json={})
    assert retry.status_code == 202, retry.text
    retried = org_a.wait_for(retry.json()["executionId"])

    assert node_of(retried, "done")["outputs"]["executionIds"] == kept
    assert node_of(retried, "failed")["status"] == "error"  # ran again: a new child
    listed = org_a.http.get("/workflows/quick-item/executions").json()["items"]
    assert len(listed) == 4
