"""A workflow as Dafthunk exports it runs unchanged, with the outputs Dafthunk's nodes give.

`tests/data/dafthunk-export.json` is in the shape Dafthunk's API answers `GET /workflows/:id`
(`trigger`, `runtime`, `enabled`, `createdAt`, `updatedAt`) with the nodes as its editor saves
them: node ids `<type>-<uuid>`, `position`, `icon`, and every declared port with its `type`,
`hidden`/`required`/`repeated` flags and a `description` (the editor writes the port's name
there), a `value` only on inputs no edge feeds. Its nodes are of the pure families (inputs,
CSV, array, math, JSON, text, date, outputs) and none reads a clock or a random source, so
each output is known: what Dafthunk's node code computes for these inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conformance.conftest import Engine

EXPORT = Path(__file__).parents[1] / "data" / "dafthunk-export.json"


def exported() -> dict[str, Any]:
    return dict(json.loads(EXPORT.read_text(encoding="utf-8")))


def test_a_dafthunk_export_runs_with_the_outputs_dafthunk_gives(engine: Engine) -> None:
    flow = exported()
    by_name = {node["name"]: node["id"] for node in flow["nodes"]}

    result = engine.run(flow)

    assert result.status == "completed", result.record
    assert set(result.statuses().values()) == {"completed"}
    shown = {
        name: result.output(by_name[name], "displayValue")
        for name in (
            "Lines",
            "Quantities shown",
            "Last line total shown",
            "Greeting shown",
            "Due shown",
            "Due date shown",
        )
    }
    assert shown == {
        "Lines": 3,
        "Quantities shown": [2, 5, 10],
        "Last line total shown": 8,  # the last line: 10 x 0.8
        "Greeting shown": "Invoice for ADA LOVELACE",
        "Due shown": "01.03.2024",  # 30 days after 31 January 2024, a leap year
        "Due date shown": "2024-03-01T00:00:00.000Z",
    }
