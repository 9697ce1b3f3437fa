"""`stepthunk run`'s live progress: the table it draws last shows the whole final record, also
when the final update came in several pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from lambdas.nodes import default_registry
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from local.progress import LiveProgress
from statemachine.validation import validate_workflow
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import BULKY_TEXTS, bulky, bulky_texts, edge, node, workflow


@pytest.fixture(scope="module")
def embedded() -> EmbeddedEngine:
    LocalCloud.shared().time_scale = TEST_TIME_SCALE
    return EmbeddedEngine()


def last_drawn(
    engine: EmbeddedEngine | InProcessEngine, raw: dict[str, Any], inputs: dict[str, Any]
) -> list[str]:
    """Run `raw` as `stepthunk run` does in a terminal; the lines of the last table drawn."""
    valid = validate_workflow(raw, default_registry().catalog)
    console = Console(file=io.StringIO(), force_terminal=True, width=120, record=True)
    with LiveProgress(console, valid) as progress:
        engine.run(raw, inputs=inputs, on_update=progress.update)
    title, _, table = console.export_text().rpartition(f"{valid.name}: ")
    assert title, "no table was drawn"
    return table.splitlines()


@pytest.mark.parametrize("engine", ["stepfunctions", "inprocess"])
def test_the_progress_ends_with_every_node_and_its_result_after_a_paged_update(
    embedded: EmbeddedEngine, engine: str
) -> None:
    lines = last_drawn(
        embedded if engine == "stepfunctions" else InProcessEngine(), bulky(), bulky_texts()
    )

    assert lines[0].strip() == "completed"
    rows = [line.split("│")[1:5] for line in lines if line.startswith("│")]
    assert [[cell.strip() for cell in row[:3]] for row in rows] == [
        [f"{kind}{i:02}", node_type, "completed"]
        for kind, node_type in (("t", "text-input"), ("o", "output-text"))
        for i in range(BULKY_TEXTS)
    ]
    shown = [row[3].strip() for row in rows]
    assert [cell[: len("value=") + 4] for cell in shown[:BULKY_TEXTS]] == [
        f'value="{i:02}x' for i in range(BULKY_TEXTS)
    ]
    assert [cell[: len("displayValue=") + 4] for cell in shown[BULKY_TEXTS:]] == [
        f'displayValue="{i:02}x' for i in range(BULKY_TEXTS)
    ]


def test_a_value_stored_by_reference_shows_as_a_large_value(embedded: EmbeddedEngine) -> None:
    flow = workflow(
        node("t", "text-input"), node("o", "output-text"), edges=[edge("t.value", "o.value")]
    )

    lines = last_drawn(embedded, flow, {"t": {"value": "x" * 20_000}})

    rows = [[cell.strip() for cell in line.split("│")[1:5]] for line in lines if "│" in line]
    assert rows == [
        ["t", "text-input", "completed", "value=(large value)"],
        ["o", "output-text", "completed", "displayValue=(large value)"],
    ]
