"""The CLI against a deployed stack's API, with `serve` standing in for it: deploy a workflow,
start and follow an execution, read a record; what the API refuses is shown, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.remote import RemoteApi
from tests.support.http_server import unused_port
from tests.support.serving import Organization, Server
from tests.support.workflows import chain, edge, node, workflow


@pytest.fixture
def remote(server: Server, org_a: Organization, monkeypatch: pytest.MonkeyPatch) -> Organization:
    """The organization whose key and API the environment names, as a user exports them."""
    monkeypatch.setenv("STEPTHUNK_API", server.base_url)
    monkeypatch.setenv("STEPTHUNK_API_KEY", org_a.key)
    return org_a


def written(tmp_path: Path, document: dict[str, Any]) -> str:
    path = tmp_path / f"{document['id']}.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_deploy_start_and_read_an_execution_from_the_command_line(
    remote: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    flow = chain() | {"id": "cli-chain", "name": "CLI chain"}
    assert main(["deploy", written(tmp_path, flow)]) == 0
    assert "Deployed workflow 'cli-chain' (version 1): state machine " in capsys.readouterr().out

    assert main(["start", "cli-chain", "--input", "a.value=5", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "completed"
    outputs = {e["nodeId"]: e.get("outputs") for e in record["nodeExecutions"]}
    assert outputs["c"] == {"result": 32}  # (5 + 3) * 4

    assert main(["execution", record["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == record
    assert main(["execution", record["id"]]) == 0
    shown = capsys.readouterr().out
    assert f"Execution {record['id']} completed" in shown
    assert "result=32" in shown


def test_a_started_execution_that_fails_exits_1_and_no_wait_prints_its_id(
    remote: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    failing = workflow(node("ratio", "division", a=1, b=0), workflow_id="cli-failing")
    assert main(["deploy", written(tmp_path, failing), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "cli-failing"
    assert main(["start", "cli-failing", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "error"
    assert main(["start", "cli-failing", "--no-wait"]) == 0
    execution_id = capsys.readouterr().out.strip()
    assert remote.wait_for(execution_id)["status"] == "error"


def test_following_an_execution_shows_its_live_updates_then_its_record(
    server: Server, org_a: Organization
):
    org_a.deploy(
        workflow(
            node("a", "number-input", value=2),
            node("b", "addition", b=3),
            edges=[edge("a.value", "b.a")],
            workflow_id="cli-follow",
        )
    )
    seen: list[dict[str, Any]] = []
    with RemoteApi(server.base_url, org_a.key) as api:
        record = api.run("cli-follow", {}, on_update=seen.append)
    assert record["status"] == "completed"
    assert seen, "no live update reached the CLI"
    assert {message["type"] for message in seen} == {"execution_update"}
    assert seen[-1]["status"] == "completed"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["start", "no-such-workflow"], 2, "404 NOT_FOUND"),
        (["execution", "no-such-execution"], 2, "404 NOT_FOUND"),
        (["start", "x", "--key", "stk_wrong"], 2, "401 UNAUTHORIZED"),
    ],
)
def test_what_the_api_refuses_is_shown_with_its_status_and_code(
    remote: Organization, capsys: pytest.CaptureFixture[str], args: list[str], code: int, says: str
):
    assert main(args) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"stepthunk: {says}: ")


def test_an_api_that_cannot_be_reached_or_is_not_named_is_said_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("STEPTHUNK_API", raising=False)
    monkeypatch.setenv("STEPTHUNK_API_KEY", "stk_key")
    assert main(["execution", "e1"]) == 2
    assert "Give the API's URL with --api or STEPTHUNK_API" in capsys.readouterr().err
    nobody = f"http://127.0.0.1:{unused_port()}"
    assert main(["execution", "e1", "--api", nobody]) == 1
    assert capsys.readouterr().err.startswith(f"stepthunk: UNREACHABLE: {nobody}: ")
