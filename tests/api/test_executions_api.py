"""Starting, following, reading, listing and cancelling executions over HTTP and WebSocket."""

from __future__ import annotations

import time
from typing import Any

from tests.support.serving import (
    PATIENCE,
    Organization,
    Server,
    receive,
    returns_held,
    updates_until_final,
)
from tests.support.workflows import edge, node, workflow


def divider(workflow_id: str = "divider") -> dict[str, Any]:
    """x / y: fails when an override sets y to 0."""
    return workflow(
        node("x", "number-input", value=6),
        node("y", "number-input", value=3),
        node("quotient", "division"),
        edges=[edge("x.value", "quotient.a"), edge("y.value", "quotient.b")],
        workflow_id=workflow_id,
    )


def waiter(workflow_id: str = "waiter") -> dict[str, Any]:
    """first -> a long wait -> after (1000 s, i.e. 10 s at the tests' time scale)."""
    return workflow(
        node("first", "number-input", value=1),
        node("pause", "wait", seconds=1000),
        node("after", "addition", b=1),
        edges=[edge("first.value", "pause.value"), edge("pause.value", "after.a")],
        workflow_id=workflow_id,
    )


def node_of(record: dict[str, Any], node_id: str) -> dict[str, Any]:
    return dict(next(e for e in record["nodeExecutions"] if e["nodeId"] == node_id))


def completed(update: dict[str, Any], node_id: str) -> bool:
    return any(
        e["nodeId"] == node_id and e["status"] == "completed" for e in update["nodeExecutions"]
    )


def test_a_session_receives_every_update_up_to_the_final_record(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(divider())
    with server.session(org_a, "session-1") as socket:
        execution_id = org_a.start("divider", sessionId="session-1")
        messages = updates_until_final(socket, execution_id)
    assert messages[0]["status"] == "executing"
    assert all(m["workflowId"] == "divider" for m in messages)
    last = messages[-1]
    record = org_a.record(execution_id)
    assert record["status"] == last["status"] == "completed"
    assert record["nodeExecutions"] == last["nodeExecutions"]
    assert "error" not in last
    assert "error" not in record
    assert node_of(record, "quotient")["outputs"] == {"result": 2}
    assert record["id"] == execution_id
    assert record["organizationId"] == org_a.id


def test_a_failed_execution_ends_its_updates_with_the_error(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(divider())
    with server.session(org_a, "session-2") as socket:
        execution_id = org_a.start("divider", sessionId="session-2", inputs={"y": {"value": 0}})
        last = updates_until_final(socket, execution_id)[-1]
    record = org_a.record(execution_id)
    assert last["status"] == record["status"] == "error"
    assert last["error"] == record["error"]
    assert "Division by zero" in node_of(record, "quotient")["error"]


def test_start_answers_202_with_the_execution_to_read(org_a: Organization) -> None:
    org_a.deploy(divider())
    response = org_a.http.post("/workflows/divider/executions")
    assert response.status_code == 202
    body = response.json()
    assert body["workflowId"] == "divider"
    assert body["status"] == "submitted"
    assert response.headers["location"] == f"/executions/{body['executionId']}"
    assert org_a.wait_for(body["executionId"])["status"] == "completed"


def test_the_same_idempotency_key_returns_the_same_execution(org_a: Organization) -> None:
    org_a.deploy(divider())
    key = {"Idempotency-Key": "order-42"}
    first = org_a.http.post("/workflows/divider/executions", json={}, headers=key)
    org_a.wait_for(first.json()["executionId"])
    again = org_a.http.post("/workflows/divider/executions", json={}, headers=key)
    other = org_a.http.post(
        "/workflows/divider/executions", json={}, headers={"Idempotency-Key": "x"}
    )
    assert first.status_code == again.status_code == other.status_code == 202
    assert again.json()["executionId"] == first.json()["executionId"]
    assert other.json()["executionId"] != first.json()["executionId"]
    org_a.wait_for(other.json()["executionId"])
    listed = org_a.http.get("/workflows/divider/executions").json()["items"]
    assert len(listed) == 2


def test_a_replayed_start_answers_what_the_first_did_with_the_status_as_it_is(
    org_a: Organization,
) -> None:
    org_a.deploy(divider())
    key = {"Idempotency-Key": "order-43"}
    first = org_a.http.post(
        "/workflows/divider/executions", json={"inputs": {"y": {"value": 2}}}, headers=key
    )
    org_a.wait_for(first.json()["executionId"])
    # The same body written otherwise: other spacing and key order, a default spelled out.
    same = b'{"sessionId": null,  "inputs": {"y": {"value": 2}}}'
    again = org_a.http.post(
        "/workflows/divider/executions",
        content=same,
        headers={**key, "Content-Type": "application/json"},
    )
    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json() == {**first.json(), "status": "completed"}
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"


def test_an_idempotency_key_reused_with_another_body_is_a_conflict(org_a: Organization) -> None:
    org_a.deploy(divider())
    key = {"Idempotency-Key": "order-44"}
    first = org_a.http.post(
        "/workflows/divider/executions", json={"inputs": {"y": {"value": 2}}}, headers=key
    )
    assert first.status_code == 202
    for body in (
        {"inputs": {"y": {"value": 3}}},
        {},
        {"inputs": {"y": {"value": 2}}, "sessionId": "s"},
    ):
        reused = org_a.http.post("/workflows/divider/executions", json=body, headers=key)
        assert reused.status_code == 409, (body, reused.text)
        assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    org_a.wait_for(first.json()["executionId"])
    listed = org_a.http.get("/workflows/divider/executions").json()["items"]
    assert [item["id"] for item in listed] == [first.json()["executionId"]]


def test_input_overrides_replace_literals(org_a: Organization) -> None:
    org_a.deploy(divider())
    execution_id = org_a.start("divider", inputs={"x": {"value": 12}, "y": {"value": 4}})
    record = org_a.wait_for(execution_id)
    assert node_of(record, "quotient")["outputs"] == {"result": 3}


def test_an_override_of_a_json_input_is_parsed_once(org_a: Organization) -> None:
    # The API checks the overrides, Initialize checks them again, the node's task reads them:
    # the JSON text '"1"' reaches the node as the string 1, as the same literal would.
    org_a.deploy(workflow(node("j", "json-input", json=0), workflow_id="json-in"))
    execution_id = org_a.start("json-in", inputs={"j": {"json": '"1"'}})
    record = org_a.wait_for(execution_id)
    assert node_of(record, "j")["outputs"] == {"json": "1"}


def test_invalid_overrides_are_refused_before_anything_runs(org_a: Organization) -> None:
    org_a.deploy(divider())
    # a number input reads the text "6" itself, as Dafthunk's does: its bounds are typed
    inputs = {"x": {"min": "six"}, "ghost": {"value": 1}, "y": {"nope": 1}}
    response = org_a.http.post("/workflows/divider/executions", json={"inputs": inputs})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_INPUTS"
    assert len(error["details"]) == 3
    assert {problem["code"] for problem in error["details"]} == {"INVALID_VALUE"}
    assert org_a.http.get("/workflows/divider/executions").json()["items"] == []


def test_a_list_given_to_an_input_of_one_number_is_refused_before_anything_runs(
    org_a: Organization,
) -> None:
    org_a.deploy(divider())
    inputs = {"x": {"max": [6, 12]}}
    response = org_a.http.post("/workflows/divider/executions", json={"inputs": inputs})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_INPUTS"
    [problem] = error["details"]
    assert problem["code"] == "INVALID_VALUE"
    assert "x.max" in problem["message"]
    assert org_a.http.get("/workflows/divider/executions").json()["items"] == []


def test_an_unknown_workflow_has_no_executions_to_start_or_list(org_a: Organization) -> None:
    for response in (
        org_a.http.post("/workflows/nothing-here/executions", json={}),
        org_a.http.get("/workflows/nothing-here/executions"),
        org_a.http.get("/workflows/" + "n" * 2000 + "/executions"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_listing_is_newest_first_filtered_by_status_and_paginated(org_a: Organization) -> None:
    org_a.deploy(divider())
    started = []
    for y in (1, 0, 2, 0, 3):
        execution_id = org_a.start("divider", inputs={"y": {"value": y}})
        org_a.wait_for(execution_id)
        started.append(execution_id)
    newest_first = list(reversed(started))

    listed = org_a.http.get("/workflows/divider/executions").json()
    assert [item["id"] for item in listed["items"]] == newest_first
    assert "nextToken" not in listed

    errors = org_a.http.get("/workflows/divider/executions", params={"status": "error"}).json()
    assert [item["id"] for item in errors["items"]] == [newest_first[1], newest_first[3]]
    assert all("Division by zero" in item["error"] for item in errors["items"])

    paged: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = org_a.http.get("/workflows/divider/executions", params=params).json()
        assert len(page["items"]) <= 2
        paged += [item["id"] for item in page["items"]]
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    assert paged == newest_first


def test_a_garbage_next_token_is_a_bad_request(org_a: Organization) -> None:
    org_a.deploy(divider())
    for token in ("garbage", "eyJ4IjoxfQ==", "%%%", "a" * 4000):
        response = org_a.http.get("/workflows/divider/executions", params={"nextToken": token})
        assert response.status_code == 400, token
        assert response.json()["error"]["code"] == "INVALID_REQUEST"


def test_a_cancelled_execution_runs_no_further_node_and_says_so(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(waiter())
    with server.session(org_a, "session-cancel") as socket:
        execution_id = org_a.start("waiter", sessionId="session-cancel")
        # Once the unit before the wait has reported, the wait has begun.
        while not completed(receive(socket), "first"):
            pass
        response = org_a.http.post(f"/executions/{execution_id}/cancel")
        assert response.status_code == 200
        final = receive(socket)
    cancelled = response.json()
    assert cancelled["status"] == final["status"] == "cancelled"
    assert cancelled["error"] == final["error"] == "Cancelled"
    assert node_of(cancelled, "first")["status"] == "completed"
    assert node_of(cancelled, "after")["status"] == "idle"
    assert final["nodeExecutions"] == cancelled["nodeExecutions"]
    charged = sum(e["usage"] for e in cancelled["nodeExecutions"] if e["status"] == "completed")
    assert cancelled["usage"] == charged
    account = server.engine.organizations.get(org_a.id)
    assert account is not None
    assert account.usage == charged

    time.sleep(0.3)  # long enough for `after` to run, had the wait not been stopped
    record = org_a.record(execution_id)
    assert record["status"] == "cancelled"
    assert node_of(record, "after")["status"] == "idle"
    again = org_a.http.post(f"/executions/{execution_id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "NOT_RUNNING"


def test_a_node_announced_before_its_task_returned_is_kept_by_a_cancel(
    server: Server, org_a: Organization
) -> None:
    """The race of the test above made certain: the task that ran `first` (and resolved the
    wait) has announced it but not returned, so the history lacks it, when the cancel lands."""
    with returns_held(server, "first"):
        org_a.deploy(waiter("late-return"))
        with server.session(org_a, "session-late-return") as socket:
            execution_id = org_a.start("late-return", sessionId="session-late-return")
            while not completed(receive(socket), "first"):
                pass
            response = org_a.http.post(f"/executions/{execution_id}/cancel")
            final = receive(socket)

    assert response.status_code == 200, response.text
    cancelled_record = response.json()
    assert final["status"] == cancelled_record["status"] == "cancelled"
    statuses = {e["nodeId"]: e["status"] for e in cancelled_record["nodeExecutions"]}
    assert statuses == {"first": "completed", "pause": "idle", "after": "idle"}
    assert cancelled_record["usage"] == 1
    assert final["nodeExecutions"] == cancelled_record["nodeExecutions"]
    assert org_a.record(execution_id)["nodeExecutions"] == cancelled_record["nodeExecutions"]


def cancel_during_the_wait(server: Server, org: Organization, execution_id: str) -> Any:
    """Cancel an execution once its Wait state has begun (the task before it has returned),
    watching its history, as nobody listens to its updates."""
    handle = server.engine.executions.handle(execution_id)
    assert handle is not None
    assert handle.execution_arn is not None
    stepfunctions = server.engine.cloud.client("stepfunctions")
    give_up = time.monotonic() + PATIENCE
    while not any(
        event["type"] == "WaitStateEntered"
        for event in stepfunctions.get_execution_history(
            executionArn=handle.execution_arn, maxResults=1000
        )["events"]
    ):
        assert time.monotonic() < give_up, "the Wait state never began"
        time.sleep(0.02)
    return org.http.post(f"/executions/{execution_id}/cancel")


def test_a_cancel_with_nobody_listening_keeps_the_nodes_its_history_holds(
    server: Server, org_a: Organization
) -> None:
    # Without a session nothing is announced (nor kept for a cancel): the history says
    # what ran.
    org_a.deploy(waiter("unwatched"))
    execution_id = org_a.start("unwatched")

    response = cancel_during_the_wait(server, org_a, execution_id)

    assert response.status_code == 200, response.text
    cancelled = response.json()
    statuses = {e["nodeId"]: e["status"] for e in cancelled["nodeExecutions"]}
    assert statuses == {"first": "completed", "pause": "idle", "after": "idle"}
    assert node_of(cancelled, "first")["outputs"] == {"value": 1}
    assert cancelled["usage"] == 1
    assert org_a.record(execution_id)["nodeExecutions"] == cancelled["nodeExecutions"]
    # What an operator sees of it in Step Functions: stopped, not left running.
    handle = server.engine.executions.handle(execution_id)
    assert handle is not None
    assert handle.execution_arn is not None
    stepfunctions = server.engine.cloud.client("stepfunctions")
    stopped = stepfunctions.describe_execution(executionArn=handle.execution_arn)
    assert stopped["status"] == "ABORTED"
    # The results its units kept apart are in the record now, and nowhere else.
    table = server.engine.deployment.settings["executions_table"]
    items = server.engine.cloud.client("dynamodb").scan(TableName=table)["Items"]
    assert [i["id"]["S"] for i in items if i["id"]["S"].startswith(f"{execution_id}/")] == []


def test_a_cancel_reads_results_kept_apart_from_the_state(
    server: Server, org_a: Organization
) -> None:
    # Fifteen texts of 6,900 characters, each an input and an output: the results pass the
    # 96 KiB the state carries and are kept in the value store, which the cancel reads.
    texts = [f"t{i:02}" for i in range(15)]
    flow = workflow(
        *(node(text, "text-input") for text in texts),
        node("pause", "wait", seconds=1000),
        node("after", "to-string"),
        edges=[edge("t00.value", "pause.value"), edge("pause.value", "after.value")],
        workflow_id="bulky-wait",
    )
    org_a.deploy(flow)
    inputs = {text: {"value": text * 2300} for text in texts}
    execution_id = org_a.start("bulky-wait", inputs=inputs)

    response = cancel_during_the_wait(server, org_a, execution_id)

    assert response.status_code == 200, response.text
    record = org_a.record(execution_id)
    for text in texts:
        assert node_of(record, text)["status"] == "completed"
        assert node_of(record, text)["outputs"] == {"value": text * 2300}
    assert node_of(record, "after")["status"] == "idle"
    assert record["usage"] == len(texts)


def test_cancelling_a_finished_execution_is_a_conflict(org_a: Organization) -> None:
    org_a.deploy(divider())
    execution_id = org_a.start("divider")
    org_a.wait_for(execution_id)
    response = org_a.http.post(f"/executions/{execution_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "NOT_RUNNING",
        "message": "The execution is completed: nothing to cancel",
    }
    assert org_a.record(execution_id)["status"] == "completed"
