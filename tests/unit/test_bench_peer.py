"""The peer benchmark's pure parts: the chains it gives each side, how it checks n8n's output,
and how it keeps its section of BENCHMARKS.md."""

from __future__ import annotations

import json

import pytest

from bench import peer_n8n
from bench.document import section_of, with_section
from bench.peer import record_problem, stepthunk_chain
from local.inprocess import InProcessEngine


def test_n8n_chain_is_a_manual_trigger_then_set_nodes_each_feeding_the_next() -> None:
    workflow = peer_n8n.chain(3)
    names = [node["name"] for node in workflow["nodes"]]
    assert names == ["Trigger", "n0", "n1", "n2"]
    assert workflow["nodes"][0]["type"] == "n8n-nodes-base.manualTrigger"
    assert {node["type"] for node in workflow["nodes"][1:]} == {"n8n-nodes-base.set"}
    targets = {
        source: [link["node"] for link in outputs["main"][0]]
        for source, outputs in workflow["connections"].items()
    }
    assert targets == {"Trigger": ["n0"], "n0": ["n1"], "n1": ["n2"]}
    values = [
        node["parameters"]["assignments"]["assignments"][0]["value"]
        for node in workflow["nodes"][1:]
    ]
    assert values == [0, "={{ $json.value + 1 }}", "={{ $json.value + 1 }}"]
    assert len({node["id"] for node in workflow["nodes"]}) == 4


def test_n8n_webhook_chain_answers_the_post_with_the_last_nodes_item() -> None:
    workflow = peer_n8n.webhook_chain(20)
    trigger = workflow["nodes"][0]
    assert trigger["type"] == "n8n-nodes-base.webhook"
    assert trigger["parameters"]["httpMethod"] == "POST"
    assert trigger["parameters"]["path"] == peer_n8n.WEBHOOK_PATH
    assert trigger["parameters"]["responseMode"] == "lastNode"
    assert [node["name"] for node in workflow["nodes"][1:]] == [f"n{i}" for i in range(20)]
    assert workflow["id"] != peer_n8n.chain(20)["id"]


def _n8n_output(last: object, *, error: object = None) -> str:
    run = [{"data": {"main": [[{"json": {"value": last}}]]}}]
    result: dict[str, object] = {"runData": {"n0": run, "n2": run}}
    if error is not None:
        result["error"] = error
    return "Loading workflow...\nExecution was successful:\n" + json.dumps(
        {"data": {"resultData": result}}
    )


def test_n8n_output_with_the_last_value_passes_after_its_log_lines() -> None:
    assert peer_n8n.execution_problem(_n8n_output(2), 3) is None


@pytest.mark.parametrize(
    ("output", "named"),
    [
        (_n8n_output(7), "the last value is 7, not 2"),
        (_n8n_output(2, error={"message": "Maximum call stack size exceeded"}), "stack size"),
        ("Error: workflow not found", "no execution JSON"),
        ('{"data": {"resultData": {"runData": {}}}}', "does not hold the last node's value"),
    ],
)
def test_a_wrong_or_failed_n8n_output_is_named(output: str, named: str) -> None:
    problem = peer_n8n.execution_problem(output, 3)
    assert problem is not None
    assert named in problem


@pytest.mark.parametrize("nodes", [1, 2, 30])
def test_the_stepthunk_chain_ends_with_nodes_minus_one(nodes: int) -> None:
    workflow = stepthunk_chain(nodes)
    assert len(workflow["nodes"]) == nodes
    assert workflow["nodes"][0]["type"] == "number-input"
    record = InProcessEngine().run(workflow).to_json()
    assert record_problem(record, nodes) is None


def test_a_wrong_stepthunk_record_is_named() -> None:
    record = InProcessEngine().run(stepthunk_chain(3)).to_json()
    assert record_problem(record, 4) == "n3.result is None, not 3"
    assert record_problem({**record, "status": "error"}, 3) is not None


DOCUMENT = "# Benchmarks\n\n## Results\n\nold\n\n### Table\n\nrows\n\n## Prices used\n\n- $1\n"


def test_a_section_is_replaced_up_to_the_next_heading_of_its_level() -> None:
    updated = with_section(DOCUMENT, "## Results", "## Results\n\nnew")
    assert updated == "# Benchmarks\n\n## Results\n\nnew\n\n## Prices used\n\n- $1\n"
    assert section_of(updated, "## Results") == "## Results\n\nnew"


def test_a_missing_section_is_appended_and_read_back() -> None:
    updated = with_section(DOCUMENT, "## Against n8n", "## Against n8n\n\nfigures\n")
    assert updated == DOCUMENT + "\n## Against n8n\n\nfigures\n"
    assert section_of(updated, "## Against n8n") == "## Against n8n\n\nfigures"
    assert section_of(DOCUMENT, "## Against n8n") is None
