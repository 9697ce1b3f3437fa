"""Deploying, reading, listing and deleting workflows over HTTP."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.errors import WorkflowValidationError
from statemachine.validation import validate_workflow
from tests.api.test_executions_api import waiter
from tests.support.serving import Organization, Server, updates_until_final
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def adder(workflow_id: str = "adder", b: int = 2) -> dict[str, Any]:
    return workflow(
        node("x", "number-input", value=1),
        node("sum", "addition", b=b),
        edges=[edge("x.value", "sum.a")],
        workflow_id=workflow_id,
        name="Adder",
    )


def test_deploying_creates_then_updates_with_a_new_version(org_a: Organization) -> None:
    created = org_a.http.put("/workflows/adder", json=adder())
    assert created.status_code == 201
    assert created.json()["version"] == 1
    updated = org_a.http.put("/workflows/adder", json=adder(b=5))
    assert updated.status_code == 200
    body = updated.json()
    assert body["version"] == 2
    assert body["createdAt"] == created.json()["createdAt"]
    assert body["stateMachineArn"] == created.json()["stateMachineArn"]
    literal = next(n for n in body["definition"]["nodes"] if n["id"] == "sum")["inputs"]
    assert {"name": "b", "value": 5} in [
        {"name": p["name"], "value": p.get("value")} for p in literal
    ]


def test_executions_run_the_latest_deployed_version(org_a: Organization) -> None:
    org_a.deploy(adder(b=2))
    org_a.deploy(adder(b=40))
    record = org_a.wait_for(org_a.start("adder"))
    assert record["status"] == "completed"
    total = next(e for e in record["nodeExecutions"] if e["nodeId"] == "sum")
    assert total["outputs"] == {"result": 41}


def test_an_invalid_workflow_is_refused_with_every_problem_and_its_code(
    org_a: Organization,
) -> None:
    broken = workflow(
        node("a", "no-such-type"),
        node("b", "number-compare", a="not a number"),
        node("b", "addition"),
        edges=[edge("ghost.result", "b.a")],
        workflow_id="broken",
    )
    response = org_a.http.put("/workflows/broken", json=broken)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_WORKFLOW"
    codes = {problem["code"] for problem in error["details"]}
    assert codes == {
        "UNKNOWN_NODE_TYPE",
        "INVALID_VALUE",
        "DUPLICATE_NODE_ID",
        "INVALID_CONNECTION",
    }
    assert all(problem["message"] for problem in error["details"])
    assert org_a.http.get("/workflows/broken").status_code == 404


def test_an_empty_workflow_is_refused(org_a: Organization) -> None:
    response = org_a.http.put("/workflows/empty", json=workflow(workflow_id="empty"))
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["error"]["details"]] == ["EMPTY_WORKFLOW"]


def test_a_body_id_that_differs_from_the_path_is_refused(org_a: Organization) -> None:
    response = org_a.http.put("/workflows/one-id", json=adder("another-id"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_REQUEST"
    assert "another-id" in response.json()["error"]["message"]
    assert org_a.http.get("/workflows/one-id").status_code == 404
    assert org_a.http.get("/workflows/another-id").status_code == 404


def test_a_body_without_an_id_takes_the_id_of_the_path(org_a: Organization) -> None:
    body = adder()
    del body["id"]
    response = org_a.http.put("/workflows/from-path", json=body)
    assert response.status_code == 201
    assert response.json()["definition"]["id"] == "from-path"


def test_a_deployed_workflow_reads_back_as_deployed(org_a: Organization) -> None:
    deployed = org_a.deploy(adder())
    response = org_a.http.get("/workflows/adder")
    assert response.status_code == 200
    assert response.json() == deployed
    assert deployed["name"] == "Adder"
    assert [n["id"] for n in deployed["definition"]["nodes"]] == ["x", "sum"]


def test_listing_shows_the_organizations_workflows_by_id_page_by_page(
    org_a: Organization,
) -> None:
    for workflow_id in ("c", "a", "b"):
        org_a.deploy(adder(workflow_id))
    first = org_a.http.get("/workflows", params={"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == ["a", "b"]
    assert all(item["version"] == 1 and item["name"] == "Adder" for item in first["items"])
    rest = org_a.http.get("/workflows", params={"limit": 2, "nextToken": first["nextToken"]})
    assert [item["id"] for item in rest.json()["items"]] == ["c"]
    assert "nextToken" not in rest.json()


def test_deleting_removes_the_workflow_and_its_state_machine(
    server: Server, org_a: Organization
) -> None:
    arn = org_a.deploy(adder("doomed"))["stateMachineArn"]
    assert org_a.http.delete("/workflows/doomed").status_code == 204
    assert org_a.http.get("/workflows/doomed").status_code == 404
    assert "doomed" not in [item["id"] for item in org_a.http.get("/workflows").json()["items"]]
    started = org_a.http.post("/workflows/doomed/executions", json={})
    assert started.status_code == 404
    assert started.json()["error"]["code"] == "NOT_FOUND"
    machines = server.engine.cloud.client("stepfunctions").list_state_machines()
    assert arn not in [m["stateMachineArn"] for m in machines["stateMachines"]]
    assert org_a.http.delete("/workflows/doomed").status_code == 404


def test_deleting_a_workflow_cancels_its_running_executions(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(waiter("deleted-while-waiting"))
    with server.session(org_a, "session-delete") as socket:
        running = org_a.start("deleted-while-waiting", sessionId="session-delete")
        org_a.wait_for(running, frozenset({"executing"}))
        assert org_a.http.delete("/workflows/deleted-while-waiting").status_code == 204
        final = updates_until_final(socket, running)[-1]
    record = org_a.record(running)
    assert record["status"] == final["status"] == "cancelled"
    assert {e["nodeId"]: e["status"] for e in record["nodeExecutions"]}["after"] == "idle"
    again = org_a.http.post(f"/executions/{running}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "The execution is cancelled: nothing to cancel"
    retry = org_a.http.post(f"/executions/{running}/retry", json={})
    assert retry.status_code == 404  # its workflow is gone


def test_a_short_lived_workflow_is_not_deleted_while_its_executions_run(
    org_a: Organization,
) -> None:
    # An Express machine cannot stop its executions, and deleting it would end them at their
    # next state without a final record: the delete waits for them instead.
    brief = waiter("brief") | {"shortLived": True}
    brief["nodes"][1]["inputs"] = [{"name": "seconds", "value": 200}]  # 2 s here
    org_a.deploy(brief)
    running = org_a.start("brief")
    org_a.wait_for(running, frozenset({"executing"}))
    refused = org_a.http.delete("/workflows/brief")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "EXECUTIONS_RUNNING"
    assert "1 execution(s) of this short-lived workflow are running" in refused.text
    assert org_a.wait_for(running)["status"] == "completed"
    assert org_a.http.delete("/workflows/brief").status_code == 204


def test_a_deleted_workflow_can_be_deployed_again_and_runs(org_a: Organization) -> None:
    org_a.deploy(adder("phoenix"))
    org_a.http.delete("/workflows/phoenix")
    assert org_a.deploy(adder("phoenix"))["version"] == 1
    assert org_a.wait_for(org_a.start("phoenix"))["status"] == "completed"


@pytest.mark.parametrize("workflow_id", ["😀", "工作流 ✓ € 100%", "ünïcödé-ä"])
def test_a_workflow_id_valid_in_a_file_deploys_reads_runs_and_lists_through_the_api(
    org_a: Organization, workflow_id: str
) -> None:
    document = adder(workflow_id)
    validate_workflow(document, CATALOG)  # valid in a file
    path = f"/workflows/{urllib.parse.quote(workflow_id, safe='')}"
    deployed = org_a.http.put(path, json=document)
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["id"] == workflow_id
    assert org_a.http.get(path).json() == deployed.json()
    started = org_a.http.post(f"{path}/executions", json={})
    assert started.status_code == 202, started.text
    assert org_a.wait_for(started.json()["executionId"])["status"] == "completed"
    assert len(org_a.http.get(f"{path}/executions").json()["items"]) == 1
    assert org_a.http.delete(path).status_code == 204


@pytest.mark.parametrize("workflow_id", ["a?b", "a#b", "tab\there", "x" * 129])
def test_a_workflow_id_refused_in_a_file_is_refused_by_the_api_with_the_same_problem(
    org_a: Organization, workflow_id: str
) -> None:
    document = adder(workflow_id)
    with pytest.raises(WorkflowValidationError) as refused:
        validate_workflow(document, CATALOG)
    path = f"/workflows/{urllib.parse.quote(workflow_id, safe='')}"
    response = org_a.http.put(path, json=document)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_WORKFLOW"
    assert error["details"] == [problem.to_json() for problem in refused.value.problems]
    assert org_a.http.get(path).status_code == 404


def test_a_workflow_the_compiler_refuses_is_a_bad_request_naming_the_problem(
    org_a: Organization,
) -> None:
    # More units than one Express machine runs, and an Express machine cannot start parts
    # (a chain: independent ones would share tasks).
    nodes = [node(f"r{i}", "random-number") for i in range(3_500)]
    edges = [edge(f"r{i - 1}.value", f"r{i}.min") for i in range(1, 3_500)]
    many = workflow(*nodes, edges=edges, workflow_id="many")
    response = org_a.http.put("/workflows/many", json={**many, "shortLived": True})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "WORKFLOW_TOO_LARGE"
    assert "Express" in error["message"]
    # the problem as `stepthunk validate` reports it
    assert error["details"] == [{"code": "WORKFLOW_TOO_LARGE", "message": error["message"]}]
    assert org_a.http.get("/workflows/many").status_code == 404


def test_a_literal_key_ending_in_dollar_deploys_and_reaches_its_node(org_a: Organization) -> None:
    value = {"a.$": 1, "b": {"c.$": "$.execution"}}
    org_a.deploy(
        workflow(
            node("j", "json-input", json=value),
            node("out", "output-json"),
            edges=[edge("j.json", "out.value")],
            workflow_id="path-key",
        )
    )
    record = org_a.wait_for(org_a.start("path-key"))
    assert record["status"] == "completed", record
    shown = next(e for e in record["nodeExecutions"] if e["nodeId"] == "out")
    assert shown["outputs"] == {"displayValue": value}


def test_node_ids_that_read_alike_when_listed_deploy_and_run(org_a: Organization) -> None:
    # Two inline groups, [x, "y, z"] and ["x, y", z], around a random-number unit.
    org_a.deploy(
        workflow(
            node("x", "number-input", value=5),
            node("y, z", "number-input", value=10),
            node("r", "random-number", max=6, integer=True),
            node("x, y", "addition"),
            node("z", "multiplication", b=2),
            edges=[
                edge("x.value", "r.min"),
                edge("r.value", "x, y.a"),
                edge("y, z.value", "x, y.b"),
                edge("r.value", "z.a"),
            ],
            workflow_id="commas",
        )
    )
    record = org_a.wait_for(org_a.start("commas"))
    assert record["status"] == "completed", record
    results = {e["nodeId"]: e["outputs"] for e in record["nodeExecutions"]}
    assert results["x, y"] == {"result": 15}
    assert results["z"] == {"result": 10}
