"""The `stepthunk` CLI as a user drives it on its default engine (the embedded one) and as an
installed script: exit codes, JSON records, readable errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.cli import main
from tests.support.cli import DIVIDE, run_json, write
from tests.support.workflows import edge, node, workflow

ROOT = Path(__file__).resolve().parents[2]


def test_the_human_output_shows_each_node_and_the_outcome(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["run", write(tmp_path, DIVIDE)]) == 0
    out = capsys.readouterr().out
    assert "result=2" in out
    assert "completed" in out


def test_a_failed_node_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, record, _ = run_json(capsys, write(tmp_path, DIVIDE), "--input", "b.value=0")
    assert code == 1
    assert record["status"] == "error"
    assert "Division by zero" in record["error"]


def test_too_few_credits_exits_3_with_the_exhausted_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, record, _ = run_json(capsys, write(tmp_path, DIVIDE), "--credits", "3")
    assert code == 3
    assert record["status"] == "exhausted"
    assert record["error"] == "Insufficient compute credits"
    assert {e["status"] for e in record["nodeExecutions"]} == {"idle"}


def test_an_invalid_workflow_exits_2_and_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = workflow(
        node("a", "number-input", min="six"),
        node("a", "addition"),
        node("x", "no-such-type"),
        node("t", "text-input"),
        node("n", "addition"),
        edges=[edge("t.value", "n.a"), edge("ghost.value", "n.b")],
    )
    assert main(["run", write(tmp_path, broken)]) == 2
    err = capsys.readouterr().err
    for code in (
        "INVALID_VALUE",
        "DUPLICATE_NODE_ID",
        "UNKNOWN_NODE_TYPE",
        "TYPE_MISMATCH",
        "INVALID_CONNECTION",
    ):
        assert code in err
    assert "Traceback" not in err


def test_an_invalid_workflow_with_json_prints_the_refused_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, record, err = run_json(capsys, write(tmp_path, workflow(node("x", "nope"))))
    assert code == 2
    assert record["status"] == "error"
    assert "UNKNOWN_NODE_TYPE" in record["error"]
    assert "UNKNOWN_NODE_TYPE" in err


def test_input_overrides_parse_json_and_keep_text_for_text_ports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = workflow(
        node("n", "number-input", value=1),
        node("t", "text-input", value="x"),
        node("j", "json-input"),
        node("shown", "output-number"),
        edges=[edge("n.value", "shown.value")],
    )
    path = write(tmp_path, flow)
    args = ["--input", "n.value=41.5", "--input", "t.value=123", "--input", 'j.json={"k": [1]}']
    code, record, _ = run_json(capsys, path, *args)
    assert code == 0
    outputs = {e["nodeId"]: e.get("outputs") for e in record["nodeExecutions"]}
    assert outputs["n"] == {"value": 41.5}
    assert outputs["t"] == {"value": "123"}
    assert outputs["j"] == {"json": {"k": [1]}}


def test_an_input_override_of_a_json_port_is_read_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # VALUE is JSON: '"[1]"' is the text [1], which the json port parses, as it would the
    # literal "[1]"; '"\\"1\\""' is the text "1", which it parses to the string 1, no further
    flow = workflow(node("a", "json-input"), node("b", "json-input"), node("c", "json-input"))
    args = ["--input", 'a.json="[1]"', "--input", 'b.json="\\"1\\""', "--input", "c.json=no json"]
    code, record, _ = run_json(capsys, write(tmp_path, flow), *args)
    assert code == 0
    outputs = {e["nodeId"]: e.get("outputs") for e in record["nodeExecutions"]}
    assert outputs == {"a": {"json": [1]}, "b": {"json": "1"}, "c": {"json": "no json"}}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("novalue", "NODE.INPUT=VALUE"),
        ("ghost.value=1", "unknown node 'ghost'"),
        ("n.nope=1", "has no input 'nope'"),
        ("c.a=abc", "expected a number"),
        # beyond a double's range, as JSON: not a number, so text, which a number port refuses
        ("c.a=1e400", "expected a number, got string"),
        ("c.a=1" + "0" * 400, "expected a number, got string"),
    ],
)
def test_bad_input_overrides_exit_2_naming_the_problem(
    option: str, message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        workflow(node("n", "number-input", value=1), node("c", "number-compare", a=1, b=2)),
    )
    assert main(["run", path, "--input", option]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_missing_file_or_malformed_json_exits_2_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["run", str(tmp_path / "absent.json")]) == 2
    assert "cannot read workflow file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "INVALID_WORKFLOW" in err
    assert "Traceback" not in err


def test_a_workflow_file_with_an_integer_beyond_a_double_is_malformed_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "huge.json"
    text = json.dumps(workflow(node("j", "json-input", json=[0]))).replace("[0]", f"[{2**1100}]")
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "INVALID_WORKFLOW" in err
    assert (
        "Not valid JSON: the number 135829852904938584927735142835\u2026 (332 digits) is beyond "
        "the range of a number (at most about 1.8e308)"
    ) in err
    assert "Traceback" not in err


def test_validate_accepts_a_workflow_exported_from_dafthunk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Dafthunk's UI fields (positions, icons, port descriptions, timestamps) are not ours to
    # check: the file is valid as it is.
    assert main(["validate", str(ROOT / "tests/data/dafthunk-export.json")]) == 0

    captured = capsys.readouterr()
    assert "Valid: 'Order summary' (21 nodes, 19 edges)" in captured.out
    assert captured.err == ""


def test_the_installed_script_runs_an_example() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "local", "run", str(ROOT / "workflows/arithmetic.json"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["status"] == "completed"
