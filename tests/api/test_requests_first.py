"""serve answers API requests before it runs execution steps (local.requests_first): a task
about to run waits while a request is being answered, never longer than MAX_WAIT_S."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest

from lambdas.handlers import http_api
from local import requests_first
from local.requests_first import RequestsFirst
from tests.support.serving import Organization, Server
from tests.support.workflows import edge, node, workflow

PATIENCE = 30.0


def _task(requests: RequestsFirst, ran: threading.Event) -> threading.Thread:
    def run() -> None:
        requests.yield_to_requests()
        ran.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_task_waits_for_the_request_being_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests_first, "MAX_WAIT_S", PATIENCE)
    requests = RequestsFirst()
    ran = threading.Event()
    with requests.answering(), requests.answering():
        assert not requests.idle()
        task = _task(requests, ran)
        assert not ran.wait(0.2)  # held while two requests are answered
    assert ran.wait(PATIENCE)  # and runs once they are
    task.join()
    assert requests.idle()


def test_a_task_waits_no_longer_than_the_longest_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests_first, "MAX_WAIT_S", 0.05)
    requests = RequestsFirst()
    ran = threading.Event()
    with requests.answering():
        task = _task(requests, ran)
        assert ran.wait(PATIENCE)  # ran while the request was still being answered
    task.join()


def test_serve_counts_its_requests_while_it_answers_them(
    server: Server, org_a: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_a.deploy(
        workflow(
            node("x", "number-input", value=2),
            node("show", "output-number"),
            edges=[edge("x.value", "show.value")],
            workflow_id="counted",
        )
    )
    requests = server.engine.cloud.requests
    seen: list[bool] = []
    process = http_api.process

    def answering(*args: Any) -> Any:
        seen.append(requests.idle())
        return process(*args)

    monkeypatch.setattr(http_api, "process", answering)
    started = org_a.http.post("/workflows/counted/executions", json={})
    assert started.status_code == 202
    assert org_a.http.get(f"/executions/{started.json()['executionId']}").status_code == 200
    assert seen == [False, False]
    assert requests.idle()


def test_an_execution_takes_no_step_while_a_request_is_answered(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests_first, "MAX_WAIT_S", PATIENCE)
    cloud = server.engine.cloud
    client = cloud.client("stepfunctions")
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": 1, "Next": "Second"},
            "Second": {"Type": "Pass", "End": True},
        },
    }
    machine = client.create_state_machine(
        name=f"steps-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=cloud.role_arn,
    )["stateMachineArn"]
    with cloud.requests.answering():
        arn = client.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex)["executionArn"]
        time.sleep(0.3)
        described = client.describe_execution(executionArn=arn)
        steps = [
            (event["type"], event.get("stateEnteredEventDetails", {}).get("name"))
            for event in client.get_execution_history(executionArn=arn)["events"]
            if event["type"].startswith("PassState")
        ]
        # entered, and waiting before it reads its input
        assert (described["status"], steps) == ("RUNNING", [("PassStateEntered", "First")])
    deadline = time.monotonic() + PATIENCE
    while client.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert client.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
