"""Compiled definitions are valid Amazon States Language, as the npm asl-validator checks it.

moto accepts definitions with dangling `Next` or `StartAt`, so this is the check that the
state machines we deploy are well formed. It needs `npm ci` (the Makefile's `make test` runs it).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.asl import definition_json
from statemachine.compiler import compile_workflow
from statemachine.validation import validate_workflow
from tests.golden import EXAMPLES, FUNCTIONS, ROOT, golden_path
from tests.support.workflows import edge, node, workflow

VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"
CATALOG = default_registry().catalog
CUT_ALIKE = "a-node-with-a-long-id-that-the-step-functions-console-cuts-after-its-first-part-"


def generated() -> dict[str, dict[str, Any]]:
    """Workflows whose shapes the examples lack: waits, secrets, ids that list alike, literal
    keys ending in ".$", long inline groups."""
    return {
        "waits": workflow(
            node("w0", "wait", seconds=1),
            node("r", "random-number"),
            node("w1", "wait", seconds=2),
            node("w2", "wait", seconds=3),
            node("out", "output-any"),
            edges=[
                edge("r.value", "w1.value"),
                edge("w1.value", "w2.value"),
                edge("w2.value", "out.value"),
            ],
        ),
        # a wait-for-event node between tasks, a Wait state after it (resolved by the task
        # that settles it)
        "event-waits": workflow(
            node("r", "random-number"),
            {**node("ev", "wait-for-event"), "timeoutSeconds": 60},
            node("w", "wait", seconds=1),
            node("out", "output-any"),
            edges=[edge("r.value", "ev.value"), edge("ev.payload", "w.value")],
        ),
        # a form opened, its answer waited for (the wait's default timeout)
        "form-waits": workflow(
            node("form", "create-form", title="T", schema={"name": "s", "fields": []}),
            node("review", "wait-for-form"),
            node("out", "output-json"),
            edges=[edge("form.token", "review.token"), edge("review.response", "out.value")],
        ),
        "fetch-with-secrets": workflow(
            node("f", "fetch", url="https://example.test", headers={"X-Key": "api-key"}),
            node("status", "output-number"),
            edges=[edge("f.status", "status.value")],
        ),
        "awkward-ids-and-keys": workflow(
            node("x", "number-input", value=5),
            node('y, "z"', "json-input", json={"a.$": 1, "b": [{"c.$": "$.execution"}]}),
            node("r", "random-number"),
            node("x, y", "addition"),
            node("z", "addition"),
            # both names cut to the same 80 characters (tests/unit/test_compiler.py)
            node(f"{CUT_ALIKE}406", "random-number"),
            node(f"{CUT_ALIKE}5542", "random-number"),
            edges=[edge("x.value", "r.min"), edge("r.value", "x, y.a"), edge("r.value", "z.a")],
        ),
        # a call's states (a Choice, startExecution.sync:2, the task finishing it), twice,
        # with a wait after one: the task after the child resolves it
        "calls": workflow(
            node("first", "run-workflow", workflowId="child"),
            node("pause", "wait", seconds=1),
            node("second", "run-workflow", workflowId="other", inputs={"n": {"value": 1}}),
            node("out", "output-json"),
            edges=[edge("first.outputs", "pause.value"), edge("pause.value", "out.value")],
        ),
        # a for-each's states (a Choice, an inline Map state of startExecution.sync:2
        # iterations with a Pass state ending a failed one, the task finishing the node)
        # before a call
        "for-each": workflow(
            node("list", "json-input", json=[1, 2]),
            node("loop", "for-each", workflowId="child", itemInput="n.value", maxConcurrency=2),
            node("call", "run-workflow", workflowId="other"),
            node("out", "output-json"),
            edges=[
                edge("list.json", "loop.items"),
                edge("loop.results", "call.inputs"),
                edge("call.outputs", "out.value"),
            ],
        ),
        # more members than a group takes (50), few enough for the definitions a task may
        # carry: a number input declares Dafthunk's five ports
        "long-inline-group": workflow(
            *(node(f"number-{i:03}", "number-input", value=i) for i in range(90)),
            node("total", "sum"),
            edges=[edge(f"number-{i:03}.value", "total.numbers") for i in range(90)],
        ),
    }


def validate(paths: list[Path]) -> dict[str, bool]:
    """Each definition file -> whether asl-validator finds it valid (one process for all)."""
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR.relative_to(ROOT)} is missing: run `npm ci` in {ROOT}")
    arguments = [argument for path in paths for argument in ("--json-path", str(path))]
    done = subprocess.run(
        [str(VALIDATOR), *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    verdicts = {}
    for line in (done.stdout + done.stderr).splitlines():
        for path in paths:
            if f'"{path}" is valid' in line:
                verdicts[str(path)] = True
            elif f'"{path}" is invalid' in line:
                verdicts[str(path)] = False
    assert set(verdicts) == {str(p) for p in paths}, done.stdout + done.stderr
    assert done.returncode == (0 if all(verdicts.values()) else 1), done.stderr
    return verdicts


def test_golden_and_generated_definitions_are_valid_asl(tmp_path: Path):
    paths = [golden_path(example) for example in EXAMPLES]
    for name, raw in generated().items():
        definition = compile_workflow(validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS)
        path = tmp_path / f"{name}.asl.json"
        path.write_text(definition_json(definition), encoding="utf-8")
        paths.append(path)
    # The validator must also be able to say no: a definition whose last state leads nowhere.
    broken = json.loads(paths[-1].read_text(encoding="utf-8"))
    broken["States"]["Outcome"]["Default"] = "Nowhere"
    paths.append(tmp_path / "broken.asl.json")
    paths[-1].write_text(json.dumps(broken), encoding="utf-8")

    verdicts = validate(paths)

    invalid = sorted(Path(p).name for p, valid in verdicts.items() if not valid)
    assert invalid == ["broken.asl.json"]
