"""Golden ASL definitions of the example workflows: how they are compiled and where they live.

Regenerate them on purpose, after a deliberate change to the compiler: `python -m tests.golden`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lambdas.nodes import default_registry
from statemachine.compiler import TaskFunctions, compile_workflow
from statemachine.validation import parse_workflow_json, validate_workflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "workflows").glob("*.json"))
GOLDEN = Path(__file__).resolve().parent
REGENERATE = "python -m tests.golden"

# Fixed ARNs, so that the golden files do not depend on any deployment.
FUNCTIONS = TaskFunctions(
    **{
        task: f"arn:aws:lambda:us-east-1:123456789012:function:stepthunk-{task.replace('_', '-')}"
        for task in TaskFunctions.model_fields
    }
)


def golden_path(example: Path) -> Path:
    """tests/golden/<example>.asl.json for workflows/<example>.json."""
    return GOLDEN / f"{example.stem}.asl.json"


def compile_example(example: Path) -> dict[str, Any]:
    """The definition of an example workflow, compiled with the fixed ARNs."""
    catalog = default_registry().catalog
    raw = parse_workflow_json(example.read_bytes())
    return compile_workflow(validate_workflow(raw, catalog), catalog, FUNCTIONS)


def render(definition: dict[str, Any]) -> str:
    """A golden file's text: indented, so that a change shows as a readable diff."""
    return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
