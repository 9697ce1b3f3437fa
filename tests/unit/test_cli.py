"""The `stepthunk` CLI as a user drives it, where nothing runs on the embedded engine: the
examples on the in-process engine, validate, plan, compile and node-types (tests/cli/test_cli.py
runs on the default engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdas.nodes import default_registry
from local.cli import main
from statemachine.compiler import TaskFunctions, compile_workflow
from statemachine.validation import validate_workflow
from tests.support.cli import DIVIDE, run_json, write
from tests.support.workflows import edge, node, workflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "workflows").glob("*.json"))
SPEC_CATALOG = {
    "number-input", "text-input", "boolean-input", "json-input", "output-text", "output-number",
    "output-boolean", "output-json", "output-any", "addition", "subtraction", "multiplication",
    "division", "modulo", "exponentiation", "square-root", "absolute-value", "sum", "avg", "max",
    "min", "median", "string-concat", "to-string", "string-to-upper-case", "string-to-lower-case",
    "string-trim", "string-substring", "string-includes", "string-equals", "regex-match",
    "regex-replace", "json-extract-string", "json-extract-number", "json-set", "json-merge",
    "json-keys", "json-array-length", "json-agg", "conditional-fork", "conditional-join",
    "switch-fork", "switch-join", "random-number", "date-now", "fetch",
}  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_runs_to_completed_with_a_spec_shaped_record(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, record, _ = run_json(capsys, str(example), "--engine", "inprocess")
    assert code == 0
    assert record["status"] == "completed"
    expected = {"id", "workflowId", "workflowName", "organizationId", "status", "startedAt"}
    assert expected | {"endedAt", "usage", "nodeExecutions"} <= set(record)
    declared = [n["id"] for n in json.loads(example.read_text())["nodes"]]
    assert [e["nodeId"] for e in record["nodeExecutions"]] == declared
    assert all(e["status"] in {"completed", "skipped"} for e in record["nodeExecutions"])


def test_validate_reports_valid_and_invalid_workflows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["validate", write(tmp_path, DIVIDE)]) == 0
    assert "Valid" in capsys.readouterr().out
    cyclic = workflow(
        node("a", "addition", b=1),
        node("b", "addition", b=1),
        edges=[edge("a.result", "b.a"), edge("b.result", "a.a")],
    )
    assert main(["validate", write(tmp_path, cyclic), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert [p["code"] for p in report["problems"]] == ["CYCLE_DETECTED"]
    assert report["problems"][0]["nodeIds"] == ["a", "b"]


def test_validate_refuses_a_short_lived_workflow_that_could_outlast_express(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pausing = {**workflow(node("pause", "wait", seconds=400)), "shortLived": True}

    assert main(["validate", write(tmp_path, pausing)]) == 2

    err = capsys.readouterr().err
    assert "EXPRESS_DURATION_EXCEEDED" in err
    assert "Node 'pause' may take 400 s, more than the 300 s" in err


def test_validate_refuses_what_compile_refuses_with_the_compilers_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # More units than one Express machine runs, and an Express machine cannot start parts
    # (a chain: independent ones would share tasks).
    nodes = [node(f"r{i}", "random-number") for i in range(3_500)]
    edges = [edge(f"r{i - 1}.value", f"r{i}.min") for i in range(1, 3_500)]
    many = {**workflow(*nodes, edges=edges), "shortLived": True}
    path = write(tmp_path, many)

    assert main(["compile", path]) == 2
    refused = capsys.readouterr().err
    assert main(["validate", path, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert main(["validate", path]) == 2
    printed = capsys.readouterr().err

    assert report["valid"] is False
    [problem] = report["problems"]
    assert problem["code"] == "WORKFLOW_TOO_LARGE"
    assert "more than one Express state machine can run" in problem["message"]
    assert "more than one Express state machine can run" in refused
    assert "WORKFLOW_TOO_LARGE" in printed


def test_node_ids_listed_alike_and_keys_ending_in_dollar_validate_and_compile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    commas = workflow(
        node("x", "number-input", value=5),
        node("y, z", "number-input", value=10),
        node("r", "random-number", max=6, integer=True),
        node("x, y", "addition"),
        node("z", "multiplication", b=2),
        edges=[edge("x.value", "r.min"), edge("r.value", "x, y.a"), edge("r.value", "z.a")],
    )
    path_key = workflow(node("j", "json-input", json={"a.$": 1}))
    for flow in (commas, path_key):
        path = write(tmp_path, flow)
        assert main(["validate", path]) == 0
        assert "Valid" in capsys.readouterr().out
        assert main(["compile", path]) == 0, capsys.readouterr().err
        states = json.loads(capsys.readouterr().out)["States"]
    assert "Run node j" in states
    assert main(["compile", write(tmp_path, commas)]) == 0
    states = json.loads(capsys.readouterr().out)["States"]
    assert 'Run inline group [x, "y, z"]' in states
    assert 'Run inline group ["x, y", z]' in states


def test_plan_prints_units_covering_every_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = workflow(
        node("a", "number-input", value=1),
        node("r", "random-number"),
        node("s", "sum"),
        edges=[edge("a.value", "s.numbers"), edge("r.value", "s.numbers")],
    )
    assert main(["plan", write(tmp_path, flow)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["order"] == ["a", "r", "s"]
    assert plan["units"] == [
        {"type": "individual", "nodeId": "a"},
        {"type": "individual", "nodeId": "r"},
        {"type": "individual", "nodeId": "s"},
    ]


def test_node_types_lists_the_whole_starter_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node-types", "--json"]) == 0
    listed = {spec["id"] for spec in json.loads(capsys.readouterr().out)}
    assert listed >= SPEC_CATALOG
    assert main(["node-types"]) == 0
    assert "conditional-fork" in capsys.readouterr().out


def test_compile_prints_the_definition_the_compiler_makes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = ROOT / "workflows" / "arithmetic.json"
    code = main(["compile", str(example)])
    printed = json.loads(capsys.readouterr().out)

    prefix = "arn:aws:lambda:us-east-1:123456789012:function:stepthunk-"
    functions = TaskFunctions(**{name: f"{prefix}{name}" for name in TaskFunctions.model_fields})
    catalog = default_registry().catalog
    valid = validate_workflow(json.loads(example.read_text()), catalog)
    assert code == 0
    assert printed == compile_workflow(valid, catalog, functions)


def test_compile_takes_the_modes_and_refuses_a_bad_workflow(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fetches = workflow(
        node("f1", "fetch", url="https://example.test/1"),
        node("f2", "fetch", url="https://example.test/2"),
    )
    path = write(tmp_path, fetches)
    assert main(["compile", path]) == 0
    assert "Run nodes [f1, f2]" in json.loads(capsys.readouterr().out)["States"]
    assert main(["compile", path, "--parallel"]) == 0
    assert "Run in parallel [f1, f2]" in json.loads(capsys.readouterr().out)["States"]
    assert main(["compile", path, "--sequential"]) == 0
    states = json.loads(capsys.readouterr().out)["States"]
    assert "Run in parallel [f1, f2]" not in states
    assert "Run nodes [f1, f2]" not in states
    assert main(["compile", write(tmp_path, {"nodes": []}, "bad.json")]) == 2
    assert "Traceback" not in capsys.readouterr().err
