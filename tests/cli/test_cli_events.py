"""`stepthunk run --event NODE=JSON`: a wait-for-event node gets its event once it waits, on
either engine; an event for a node that does not wait for one is a usage error (exit 2)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from lambdas.nodes import default_registry
from local.cli import main
from local.inprocess import InProcessEngine
from local.progress import LiveProgress
from statemachine.validation import validate_workflow
from tests.support.cli import run_json, write
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, expense_form, node, workflow


def approval() -> dict[str, Any]:
    """A day-long wait for an approval: only an event ends it within a test."""
    waiting = {**node("approval", "wait-for-event"), "timeoutSeconds": 86_400}
    return workflow(
        node("order", "json-input", json={"item": "laptop"}),
        waiting,
        node("answer", "output-json"),
        edges=[edge("order.json", "approval.value"), edge("approval.payload", "answer.value")],
    )


@pytest.mark.parametrize("engine", ["stepfunctions", "inprocess"])
def test_an_event_given_on_the_command_line_resumes_the_waiting_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    code, record, _ = run_json(
        capsys,
        write(tmp_path, approval()),
        "--engine",
        engine,
        "--event",
        'approval={"approved": true}',
    )

    assert code == 0
    shown = {n["nodeId"]: n for n in record["nodeExecutions"]}
    assert shown["approval"]["outputs"] == {"payload": {"approved": True}}
    assert shown["answer"]["outputs"]["displayValue"] == {"approved": True}


def test_an_event_that_is_not_json_is_delivered_as_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, record, _ = run_json(capsys, write(tmp_path, approval()), "--event", "approval=yes")

    assert code == 0
    shown = {n["nodeId"]: n for n in record["nodeExecutions"]}
    assert shown["approval"]["outputs"] == {"payload": "yes"}


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            "order={}",
            "no wait-for-event or wait-for-form node 'order' in the workflow (its waiting nodes: "
            "approval)",
        ),
        ("approval", "--event expects NODE=JSON, got 'approval'"),
    ],
)
def test_an_event_for_a_node_that_does_not_wait_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: str, said: str
) -> None:
    code = main(["run", write(tmp_path, approval()), "--event", given])

    assert code == 2
    assert said in capsys.readouterr().err


def test_the_live_progress_says_a_node_waits_for_an_event_and_how_to_send_one() -> None:
    flow = approval()
    flow["nodes"][1]["timeoutSeconds"] = 30  # 0.3 s at the tests' time scale
    valid = validate_workflow(flow, default_registry().catalog)
    console = Console(file=io.StringIO(), force_terminal=True, width=160, record=True)

    with LiveProgress(console, valid) as progress:
        InProcessEngine(time_scale=TEST_TIME_SCALE).run(valid, on_update=progress.update)

    drawn = console.export_text()
    waiting = [line for line in drawn.splitlines() if "waiting for an event" in line]
    assert waiting
    assert "approval" in waiting[0]
    assert "executing" in waiting[0]
    assert "--event NODE=JSON" in waiting[0]


def expenses(tmp_path: Path) -> str:
    """EXPENSE_SCHEMA's form, a week-long wait for its answer: only an answer ends it."""
    return write(tmp_path, expense_form())


@pytest.mark.parametrize("engine", ["stepfunctions", "inprocess"])
def test_an_answer_given_on_the_command_line_resumes_the_wait_for_form_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    code, record, _ = run_json(
        capsys,
        expenses(tmp_path),
        "--engine",
        engine,
        "--event",
        'review={"amount": 80, "approved": true}',
    )

    assert code == 0
    shown = {n["nodeId"]: n for n in record["nodeExecutions"]}
    assert shown["review"]["outputs"] == {"response": {"amount": 80, "approved": True}}
    assert shown["answer"]["outputs"]["displayValue"] == {"amount": 80, "approved": True}
    assert shown["form"]["outputs"]["url"].startswith("http://127.0.0.1:8080/forms?token=")


def test_an_answer_that_does_not_fit_the_form_s_schema_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["run", expenses(tmp_path), "--event", 'review={"amount": "lots"}'])

    assert code == 2
    said = capsys.readouterr().err
    assert "--event review: Field 'amount' must be a number" in said
    assert "Field 'approved' is required" in said
