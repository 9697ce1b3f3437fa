"""A node as Dafthunk declares it is a node here: for each of Dafthunk's node types stepthunk
has, a workflow node carrying exactly Dafthunk's ports (names, types, defaults) validates, and
each port has the same type, but where the README says why not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.validation import validate_workflow

DAFTHUNK = json.loads((Path(__file__).parents[1] / "data" / "dafthunk-ports.json").read_text())
REGISTRY = default_registry()
NODES = {node["id"]: node for node in DAFTHUNK["nodes"]}
# Ports whose type differs on purpose (README, "Choices where SPEC is silent").
DIFFERENT = {
    ("fetch", "body"): "any",  # parsed JSON or text by Content-Type, a blob otherwise
    ("calculator", "result"): "any",  # a boolean for a comparison
}


def exported(dafthunk: dict[str, Any]) -> dict[str, Any]:
    """A workflow of one node as Dafthunk's editor writes it, with its declared ports."""

    def parameter(port: dict[str, Any], *, literal: bool) -> dict[str, Any]:
        given = {"name": port["name"], "type": port["type"]}
        if literal and port.get("value") is not None:
            given["value"] = port["value"]
        return given

    return {
        "id": "exported",
        "name": "Exported",
        "nodes": [
            {
                "id": "n",
                "name": dafthunk["id"],
                "type": dafthunk["id"],
                "position": {"x": 0, "y": 0},
                "inputs": [parameter(p, literal=True) for p in dafthunk["inputs"]],
                "outputs": [parameter(p, literal=False) for p in dafthunk["outputs"]],
            }
        ],
        "edges": [],
    }


def test_the_facts_cover_the_catalog_shared_with_dafthunk():
    assert len(NODES) == 119
    assert set(NODES) <= set(REGISTRY.keys())


@pytest.mark.parametrize("node_type", sorted(NODES))
def test_a_node_with_dafthunks_ports_validates(node_type: str):
    validate_workflow(exported(NODES[node_type]), REGISTRY.catalog)


@pytest.mark.parametrize("node_type", sorted(NODES))
def test_each_of_dafthunks_ports_is_here_with_its_type(node_type: str):
    declared = REGISTRY.get(node_type)
    assert declared is not None
    spec = declared.spec
    for side, find in (("inputs", spec.input), ("outputs", spec.output)):
        for port in NODES[node_type][side]:
            ours = find(port["name"])
            assert ours is not None, (side, port["name"])
            expected = DIFFERENT.get((node_type, port["name"]), port["type"])
            assert ours.type.value == expected, (side, port["name"])
