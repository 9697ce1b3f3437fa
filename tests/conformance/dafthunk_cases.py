"""Running Dafthunk's own node-test cases as one-node workflows: the literal inputs of an
`it(...)` (None: not given, as JSON null never is a value here) and the outputs it expects
(ABSENT: not produced), or ERROR when the node must fail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.workflows import node, workflow

ERROR = object()
ABSENT = object()


def cases(node_type: str, table: Sequence[tuple[Any, ...]]) -> list[Any]:
    """pytest parameters `(node_type, inputs, expected)` from `(name, inputs, expected)`
    rows, each named after its case."""
    return [
        pytest.param(node_type, inputs, expected, id=f"{node_type}: {name}")
        for name, inputs, expected in table
    ]


def check(engine: Any, node_type: str, inputs: dict[str, Any], expected: Any) -> None:
    """Run a node of `node_type` with `inputs` and assert what the case expects, to the
    type (30 is not 30.0, 1 is not true)."""
    result = engine.run(workflow(node("n", node_type, **inputs)))
    if expected is ERROR:
        result.error("n")
        return
    execution = result.node("n")
    assert execution["status"] == "completed", execution
    outputs = execution["outputs"]
    for name, value in expected.items():
        if value is ABSENT:
            assert name not in outputs, name
            continue
        assert outputs[name] == value, name
        assert type(outputs[name]) is type(value), name
