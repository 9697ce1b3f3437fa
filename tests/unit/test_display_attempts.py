"""The CLI's table of a run says how often a retry policy tried a node, when more than once."""

from __future__ import annotations

from rich.console import Console

from lambdas.runtime.record import ExecutionRecord
from local.display import print_record
from statemachine.model import Workflow


def test_a_node_tried_more_than_once_shows_its_attempts() -> None:
    workflow = Workflow.model_validate(
        {
            "id": "tries",
            "name": "Tries",
            "nodes": [
                {"id": "once", "type": "fetch"},
                {"id": "thrice", "type": "fetch"},
                {"id": "failed", "type": "fetch"},
                {"id": "plain", "type": "fetch"},
            ],
        }
    )
    record = ExecutionRecord.model_validate(
        {
            "id": "e1",
            "workflowId": "tries",
            "workflowName": "Tries",
            "organizationId": "dev",
            "status": "error",
            "usage": 20,
            "nodeExecutions": [
                {
                    "nodeId": "once",
                    "status": "completed",
                    "outputs": {"status": 200},
                    "attempts": 1,
                },
                {
                    "nodeId": "thrice",
                    "status": "completed",
                    "outputs": {"status": 200},
                    "attempts": 3,
                },
                {"nodeId": "failed", "status": "error", "error": "answered 503", "attempts": 2},
                {"nodeId": "plain", "status": "completed", "outputs": {"status": 200}},
            ],
        }
    )
    console = Console(record=True, width=200)
    print_record(console, record, workflow)
    rows = {
        line.split("│")[1].strip(): line
        for line in console.export_text().splitlines()
        if "│" in line
    }
    assert "attempts" not in rows["once"] + rows["plain"]
    assert "status=200 · 3 attempts" in rows["thrice"]
    assert "answered 503 · 2 attempts" in rows["failed"]
