"""`STEPTHUNK_LOG_LEVEL=DEBUG stepthunk run` shows the handlers' logs on stderr, in
development mode too, and leaves `--json` output clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(level: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STEPTHUNK_LOG_LEVEL"}
    if level is not None:
        env["STEPTHUNK_LOG_LEVEL"] = level
    return subprocess.run(
        [sys.executable, "-m", "local", "run", str(ROOT / "workflows/arithmetic.json"), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_debug_logs_each_task_invocation_on_stderr() -> None:
    finished = run("DEBUG")

    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["status"] == "completed"
    logs = [json.loads(line) for line in finished.stderr.splitlines()]
    tasks = [log["task"] for log in logs if log["message"] == "Task invoked"]
    assert tasks[0] == "check_credits"
    assert "initialize" in tasks
    assert tasks[-1] == "finalize"
    ended = [log for log in logs if log["message"] == "Task ended"]
    assert len(ended) == len(tasks)
    record_id = json.loads(finished.stdout)["id"]
    assert {log["executionId"] for log in ended} == {record_id}


def test_the_default_level_logs_nothing() -> None:
    finished = run(None)

    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
