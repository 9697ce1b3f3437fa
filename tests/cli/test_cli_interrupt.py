"""Ctrl+C during `stepthunk run`: one line on stderr and exit 130, on both engines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.http_server import LocalServer, http_server_fixture
from tests.support.workflows import edge, node, workflow

__all__ = ["http_server_fixture"]  # the `http_server` fixture

PATIENCE = 60.0
# `stepthunk` as a terminal starts it: a shell that starts a job in the background (as CI may
# start this suite) makes it ignore SIGINT, which its children inherit; Ctrl+C reaches a
# foreground command with Python's default handler, so the child restores that first.
IN_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'stepthunk'; runpy.run_module('local', run_name='__main__')"
)


@pytest.mark.parametrize("engine", ["stepfunctions", "inprocess"])
def test_ctrl_c_during_a_wait_prints_one_line_and_exits_130(
    engine: str, tmp_path: Path, http_server: LocalServer
) -> None:
    # The fetch tells the test that the run has started; the wait keeps it running.
    flow = workflow(
        node("call", "fetch", url=http_server.url("/json")),
        node("pause", "wait", seconds=3600),
        edges=[edge("call.status", "pause.value")],
    )
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(flow))
    process = subprocess.Popen(
        [sys.executable, "-c", IN_A_TERMINAL, "run", str(path), "--engine", engine],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        give_up = time.monotonic() + PATIENCE
        while not http_server.requests:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < give_up, "the run never reached its fetch node"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert err.splitlines() == ["stepthunk: interrupted"]
    assert out == ""
