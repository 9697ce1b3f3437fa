"""Dafthunk's node tests as workflows: one node given literals, and what its run must show.

Each case of a Dafthunk `*.test.ts` that calls a node with some inputs becomes a workflow of
that one node with those inputs as literals (an input Dafthunk's test leaves out or gives
as undefined or null has no literal), run on every engine. A case is a `Case`, or a row
`(title, literals, expected)` of a table given to `cases` (expected: the outputs, or ERROR).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.workflows import node, workflow

ABSENT = object()  # an output the node must not produce
ERROR = object()  # in a table row: the node must fail


@dataclass(frozen=True)
class Case:
    """Dafthunk's test `title`: node type `node_type` given `literals` completes with
    `outputs` (each value compared with its JSON type: 4, not 4.0), or fails with `error`
    (its whole message), or with a message containing `contains`."""

    title: str
    node_type: str
    literals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    error: str | None = None
    contains: tuple[str, ...] = ()
    close: bool = False  # compare numbers to 10 digits, as Dafthunk's toBeCloseTo

    def param(self) -> Any:
        return pytest.param(self, id=f"{self.node_type}: {self.title}")


def completes(title: str, node_type: str, literals: dict[str, Any], **outputs: Any) -> Any:
    return Case(title, node_type, literals, outputs=outputs).param()


def fails(
    title: str, node_type: str, literals: dict[str, Any], error: str | None = None, *contains: str
) -> Any:
    return Case(title, node_type, literals, error=error, contains=contains).param()


def cases(node_type: str, table: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Case parameters of `node_type` from `(title, literals, expected)` rows: `expected` the
    outputs it completes with, or ERROR when it must fail."""
    return [
        Case(title, node_type, literals, outputs=None if expected is ERROR else expected).param()
        for title, literals, expected in table
    ]


def check(engine: Any, case: Case) -> None:
    """Run the case's node and assert what Dafthunk's test asserts."""
    result = engine.run(workflow(node("it", case.node_type, **case.literals)))
    execution = result.node("it")
    if case.outputs is None:
        assert execution["status"] == "error", execution
        if case.error is not None:
            assert execution["error"] == case.error
        for part in case.contains:
            assert part in execution["error"]
        return
    assert execution["status"] == "completed", execution
    outputs = execution.get("outputs", {})
    for name, expected in case.outputs.items():
        if expected is ABSENT:
            assert name not in outputs, outputs
        elif case.close:
            assert math.isclose(outputs[name], expected, abs_tol=1e-10)
        else:
            assert same(outputs[name], expected), (name, outputs)


def same(value: Any, expected: Any) -> bool:
    """Equal, and of the same JSON types throughout (4 is not 4.0, 1 is not true); object
    keys in any order."""
    if type(value) is not type(expected):
        return False
    if isinstance(value, dict):
        return value.keys() == expected.keys() and all(same(value[k], expected[k]) for k in value)
    if isinstance(value, list):
        return len(value) == len(expected) and all(map(same, value, expected))
    return bool(value == expected)
