"""`stepthunk run` and `serve` take the limits on node outputs from the environment variables
a deployment's functions read, and refuse a value that is not a number of bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.cli import main
from local.cloud import LocalCloud
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

FLOW = workflow(
    node("t", "text-input", value="a" * 2000),
    node("upper", "string-to-upper-case"),
    edges=[edge("t.value", "upper.string")],
)


@pytest.fixture(scope="module", autouse=True)
def cloud() -> LocalCloud:
    shared = LocalCloud.shared()
    shared.time_scale = TEST_TIME_SCALE
    return shared


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_run_holds_node_outputs_to_the_limit_its_environment_sets(
    engine: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(FLOW))
    monkeypatch.setenv("STEPTHUNK_MAX_OUTPUT_BYTES", "1000")

    code = main(["run", str(path), "--engine", engine, "--json"])

    record = json.loads(capsys.readouterr().out)
    assert code == 1
    assert record["nodeExecutions"][0]["error"] == (
        "Output 'value' is 2,002 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )


@pytest.mark.parametrize("command", [["run", "-"], ["serve", "--port", "1"]])
@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_number_of_bytes_is_a_usage_error(
    command: list[str],
    value: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPTHUNK_MAX_EXECUTION_BYTES", value)

    code = main(command)

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.strip() == (
        f"stepthunk: STEPTHUNK_MAX_EXECUTION_BYTES must be a whole number of bytes above 0, "
        f"got '{value}'"
    )
