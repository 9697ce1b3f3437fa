"""`stepthunk run` finds the workflows a workflow calls by id among the files of its folder
(or of `--workflows`), on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.cloud import LocalCloud
from tests.support.cli import write
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import node, workflow

ENGINES = ("stepfunctions", "inprocess")


@pytest.fixture(scope="module", autouse=True)
def cloud() -> LocalCloud:
    shared = LocalCloud.shared()
    shared.time_scale = TEST_TIME_SCALE
    return shared


def caller(called: str = "greeter") -> dict[str, Any]:
    return workflow(node("call", "run-workflow", workflowId=called), workflow_id="caller")


def greeter() -> dict[str, Any]:
    return workflow(node("hello", "output-text", value="hi"), workflow_id="greeter", name="Greeter")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["run", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out or "{}"), captured.err


@pytest.mark.parametrize("engine", ENGINES)
def test_run_calls_a_workflow_of_the_files_folder(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, caller(), "main.json")
    write(tmp_path, greeter(), "any-name.json")
    write(tmp_path, {"not": "a workflow"}, "other.json")

    code, record, _ = run(capsys, path, "--engine", engine)

    assert code == 0, record
    call = next(n for n in record["nodeExecutions"] if n["nodeId"] == "call")
    assert call["outputs"]["outputs"] == {"hello": "hi"}


@pytest.mark.parametrize("engine", ENGINES)
def test_run_looks_in_the_folder_workflows_names(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib", greeter(), "greeter.json")
    path = write(tmp_path, caller(), "main.json")

    alone, record, _ = run(capsys, path, "--engine", engine)
    found, _, _ = run(capsys, path, "--engine", engine, "--workflows", str(tmp_path / "lib"))

    assert alone == 1
    assert record["error"] == (
        "Node 'call' failed: Workflow 'greeter' not found: no deployed workflow has that id"
    )
    assert found == 0


def test_a_called_file_that_does_not_validate_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, caller(), "main.json")
    write(tmp_path, workflow(node("x", "no-such-type"), workflow_id="greeter"), "greeter.json")

    code = main(["run", path, "--engine", "inprocess"])

    assert code == 2
    err = capsys.readouterr().err
    assert "called workflow 'greeter'" in err
    assert "no-such-type" in err


def test_a_cycle_of_calls_among_the_files_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, caller("ping"), "main.json")
    write(tmp_path, workflow(node("c", "run-workflow", workflowId="caller"), workflow_id="ping"))

    code = main(["run", path, "--engine", "inprocess"])

    assert code == 2
    assert "CALL_CYCLE" in capsys.readouterr().err
