"""The embedded engine patches moto's internals: on a moto other than the pinned one it refuses
to start, saying which it needs, instead of failing somewhere inside moto."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from local.moto_start import MotoVersionMismatch, check_moto_version

ROOT = Path(__file__).resolve().parents[2]
# `stepthunk run` in a process where moto reports another version than the installed one
RUN_WITH_ANOTHER_MOTO = """
import sys
from importlib import metadata
real = metadata.version
metadata.version = lambda name: "5.3.0" if name == "moto" else real(name)
from local.cli import main
sys.exit(main(["run", sys.argv[1]]))
"""


def test_the_installed_moto_is_the_pinned_one():
    check_moto_version()  # the project's own install: no refusal
    requirement = next(r for r in metadata.requires("stepthunk") or [] if r.startswith("moto"))
    assert f"=={metadata.version('moto')}" in requirement


def test_another_moto_is_refused_naming_both_versions():
    with pytest.raises(MotoVersionMismatch) as refused:
        check_moto_version("5.3.0")
    message = str(refused.value)
    assert f"needs moto {metadata.version('moto')}" in message
    assert "moto 5.3.0 is installed" in message


def test_run_on_another_moto_exits_1_with_the_reason_and_no_traceback():
    ran = subprocess.run(
        [sys.executable, "-c", RUN_WITH_ANOTHER_MOTO, str(ROOT / "workflows" / "arithmetic.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert "stepthunk: The embedded engine needs moto" in ran.stderr
    assert "Traceback" not in ran.stderr
