"""Driving the `stepthunk` CLI in-process: a workflow file to give it, `run --json` read back,
and the small workflow whose division the CLI tests run, of every suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from tests.support.workflows import edge, node, workflow


def write(tmp_path: Path, data: Any, name: str = "workflow.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["run", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


DIVIDE = workflow(
    node("a", "number-input", value=6),
    node("b", "number-input", value=3),
    node("q", "division"),
    node("shown", "output-text", value="unused"),
    edges=[edge("a.value", "q.a"), edge("b.value", "q.b")],
)
