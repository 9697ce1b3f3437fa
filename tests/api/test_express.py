"""Short-lived workflows run on Express state machines, deployed and started through the API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.serving import Organization, Server, returns_held
from tests.support.workflows import edge, node, workflow


def short_lived(workflow_id: str = "quick", **extra: Any) -> dict[str, Any]:
    flow = workflow(
        node("a", "number-input", value=6),
        node("half", "division", b=2),
        edges=[edge("a.value", "half.a")],
        workflow_id=workflow_id,
    )
    return {**flow, "shortLived": True, **extra}


def machine_type(server: Server, deployed: dict[str, Any]) -> str:
    client = server.engine.cloud.client("stepfunctions")
    described = client.describe_state_machine(stateMachineArn=deployed["stateMachineArn"])
    kind: str = described["type"]
    return kind


def executions_of(server: Server, deployed: dict[str, Any]) -> list[Any]:
    """The executions moto ran (Step Functions lists none of an Express machine's)."""
    return server.engine.cloud.executions(deployed["stateMachineArn"].split(":")[6])


def test_a_short_lived_workflow_runs_on_an_express_state_machine(
    server: Server, org_a: Organization
) -> None:
    deployed = org_a.deploy(short_lived())

    record = org_a.wait_for(org_a.start("quick"))

    assert machine_type(server, deployed) == "EXPRESS"
    assert record["status"] == "completed"
    outputs = {e["nodeId"]: e.get("outputs") for e in record["nodeExecutions"]}
    assert outputs["half"] == {"result": 3}
    assert org_a.http.get("/workflows/quick").json()["definition"]["shortLived"] is True


def test_a_short_lived_workflow_that_could_outlast_express_is_refused_at_deploy(
    org_a: Organization,
) -> None:
    pausing = short_lived("pausing-long") | {
        "nodes": [node("first", "wait", seconds=200), node("second", "wait", seconds=200)],
        "edges": [],
    }

    response = org_a.http.put("/workflows/pausing-long", json=pausing)

    assert response.status_code == 400
    [problem] = response.json()["error"]["details"]
    assert problem["code"] == "EXPRESS_DURATION_EXCEEDED"
    assert problem["nodeIds"] == ["first", "second"]
    assert "add up to 400 s" in problem["message"]
    assert org_a.http.get("/workflows/pausing-long").status_code == 404


def test_a_repeated_start_starts_one_express_execution(server: Server, org_a: Organization) -> None:
    """Step Functions starts another Express execution for a repeated name (the engine does
    too): only the API's own conditional write keeps this at one."""
    deployed = org_a.deploy(short_lived("once"))
    key = {"Idempotency-Key": "order-7"}
    starts: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        starts.append(params["stateMachineArn"])

    events = server.engine.clients.stepfunctions.meta.events
    events.register("provide-client-params.states.StartExecution", count)
    try:
        first = org_a.http.post("/workflows/once/executions", json={}, headers=key)
        again = org_a.http.post("/workflows/once/executions", json={}, headers=key)
    finally:
        events.unregister("provide-client-params.states.StartExecution", count)

    assert first.status_code == again.status_code == 202
    assert again.json()["executionId"] == first.json()["executionId"]
    assert len(starts) == 1
    org_a.wait_for(first.json()["executionId"])
    assert len(executions_of(server, deployed)) == 1


def test_turning_a_workflow_short_lived_replaces_its_standard_machine(
    server: Server, org_a: Organization
) -> None:
    standard = org_a.deploy({**short_lived("switch"), "shortLived": False})
    assert machine_type(server, standard) == "STANDARD"

    express = org_a.deploy(short_lived("switch"))

    assert express["version"] == 2
    assert machine_type(server, express) == "EXPRESS"
    assert org_a.wait_for(org_a.start("switch"))["status"] == "completed"
    # a machine of its own, the old one deleted: a machine's name stays taken on AWS while
    # it is being deleted, so the replacement could not take it at once
    assert express["stateMachineArn"] != standard["stateMachineArn"]
    with pytest.raises(ClientError) as gone:
        server.engine.cloud.client("stepfunctions").describe_state_machine(
            stateMachineArn=standard["stateMachineArn"]
        )
    assert gone.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def test_the_type_of_a_workflow_with_running_executions_does_not_change(
    server: Server, org_a: Organization
) -> None:
    held = workflow(node("now", "date-now"), workflow_id="turning")
    org_a.deploy({**held, "shortLived": True})
    with returns_held(server, "now"):
        running = org_a.start("turning")
        org_a.wait_for(running, frozenset({"executing"}))

        turned = org_a.http.put("/workflows/turning", json={**held, "shortLived": False})
        # the same type deploys: the running execution keeps the version it started
        again = org_a.http.put("/workflows/turning", json={**held, "shortLived": True})
        # nor can the execution be cancelled: decided by what it runs on, not the workflow
        cancel = org_a.http.post(f"/executions/{running}/cancel")

    assert turned.status_code == 409
    assert turned.json()["error"]["code"] == "EXECUTIONS_RUNNING"
    assert "change of `shortLived`" in turned.json()["error"]["message"]
    assert again.status_code == 200
    assert cancel.json()["error"]["code"] == "NOT_CANCELLABLE"
    assert org_a.wait_for(running)["status"] == "completed"
    standard = org_a.http.put("/workflows/turning", json={**held, "shortLived": False})
    assert standard.status_code == 200
    assert machine_type(server, standard.json()) == "STANDARD"


def test_express_executions_cannot_be_cancelled_or_retried(
    server: Server, org_a: Organization
) -> None:
    held = workflow(node("now", "date-now"), workflow_id="holding")
    org_a.deploy({**held, "shortLived": True})
    with returns_held(server, "now"):  # running until the block ends, however slow the machine
        running = org_a.start("holding")
        org_a.wait_for(running, frozenset({"executing"}))

        cancel = org_a.http.post(f"/executions/{running}/cancel")

    assert cancel.status_code == 409
    assert cancel.json()["error"]["code"] == "NOT_CANCELLABLE"
    org_a.deploy(short_lived("failing") | {"nodes": [node("a", "division", a=1, b=0)], "edges": []})
    failed = org_a.wait_for(org_a.start("failing"))
    assert failed["status"] == "error"
    retry = org_a.http.post(f"/executions/{failed['id']}/retry")
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "NOT_RETRYABLE"
    assert "Express" in retry.json()["error"]["message"]
    assert org_a.wait_for(running)["status"] == "completed"


def test_a_deploy_while_step_functions_still_deletes_a_machine_of_its_name_is_a_409(
    server: Server, org_a: Organization
) -> None:
    """Step Functions deletes a machine in the background, and refuses its name meanwhile
    (StateMachineDeleting): turning a workflow back within that time is refused, not a 500,
    and the workflow stays as it was."""
    org_a.deploy({**short_lived("flip"), "shortLived": False})

    def deleting(**_: Any) -> Any:  # (response, parsed): the call answered without AWS
        refusal = {"Code": "StateMachineDeleting", "Message": "State machine is being deleted"}
        return SimpleNamespace(status_code=400, headers={}), {"Error": refusal}

    events = server.engine.clients.stepfunctions.meta.events
    events.register("before-call.states.CreateStateMachine", deleting)
    try:
        response = org_a.http.put("/workflows/flip", json=short_lived("flip"))
    finally:
        events.unregister("before-call.states.CreateStateMachine", deleting)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "STATE_MACHINE_DELETING"
    kept = org_a.http.get("/workflows/flip").json()
    assert (kept["version"], kept["definition"].get("shortLived")) == (1, False)
