"""Workflows read by content hash: parsed once per key, the last few kept."""

from __future__ import annotations

import json

from lambdas.runtime.stored import StoredWorkflows, WorkflowIndex
from statemachine.model import Workflow
from tests.support.workflows import chain


class Values:
    """A value store holding documents by key, counting the reads."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents
        self.reads: list[str] = []

    def put_value(self, organization_id: str, data: bytes) -> str:
        raise NotImplementedError

    def put_document(self, key: str, data: bytes) -> None:
        self.documents[key] = data

    def get_value(self, key: str) -> bytes:
        self.reads.append(key)
        return self.documents[key]


def test_a_stored_workflow_is_read_once_while_kept() -> None:
    documents = {f"workflows/{i}.json": json.dumps(chain()).encode() for i in range(3)}
    values = Values(documents)
    stored = StoredWorkflows(values, kept=2)

    first = stored.get("workflows/0.json")
    assert stored.get("workflows/0.json") is first
    stored.get("workflows/1.json")
    stored.get("workflows/2.json")  # the least recently used, 0, is let go
    stored.get("workflows/0.json")

    assert values.reads == [f"workflows/{i}.json" for i in (0, 1, 2, 0)]
    assert first == Workflow.model_validate(chain())


def test_members_are_the_named_nodes_in_order_and_the_edges_into_them() -> None:
    workflow = Workflow.model_validate(chain())
    nodes, edges = WorkflowIndex(workflow).members(["c", "b"])
    assert [node.id for node in nodes] == ["c", "b"]
    assert [(edge.source, edge.target) for edge in edges] == [("a", "b"), ("b", "c")]


def test_a_stored_workflow_is_validated_once_per_catalog_while_kept() -> None:
    from lambdas.nodes import default_registry

    values = Values({"workflows/0.json": json.dumps(chain()).encode()})
    stored = StoredWorkflows(values)
    catalog = default_registry().catalog

    first = stored.validated("workflows/0.json", catalog)
    assert stored.validated("workflows/0.json", catalog) is first
    assert [node.id for node in first.nodes] == [node["id"] for node in chain()["nodes"]]


def test_members_of_a_stored_workflow_are_read_from_its_index() -> None:
    stored = StoredWorkflows(Values({"workflows/0.json": json.dumps(chain()).encode()}))
    index = stored.index("workflows/0.json")
    assert stored.index("workflows/0.json") is index
    nodes, edges = index.members(["c", "b", "c"])
    assert [node.id for node in nodes] == ["c", "b", "c"]
    assert [(edge.source, edge.target) for edge in edges] == [("a", "b"), ("b", "c")]


def test_a_carried_workflow_is_validated_once_per_catalog_while_kept() -> None:
    """Initialize's workflow, carried in the definition (keys escaped), as a Lambda instance
    keeps it: the same JSON validated once per catalog, the least recently used let go, and
    a workflow that does not validate refused every time."""
    import pytest

    from lambdas.lifecycle.initialize import CarriedWorkflows
    from lambdas.nodes import default_registry
    from statemachine.errors import WorkflowValidationError
    from statemachine.path_keys import escape_keys

    carried = CarriedWorkflows(kept=1)
    catalog = default_registry().catalog
    other = dict(catalog)
    workflow = {
        "id": "carried",
        "name": "carried",
        "nodes": [
            {"id": "j", "type": "json-input", "inputs": [{"name": "json", "value": {"a.$": 1}}]}
        ],
        "edges": [],
    }
    escaped = escape_keys(workflow)

    first = carried.validated(escaped, catalog)
    assert carried.validated(json.loads(json.dumps(escaped)), catalog) is first
    assert first.nodes[0].inputs[0].value == {"a.$": 1}  # as written, not as escaped
    assert carried.validated(escaped, other) is not first  # another catalog validates again
    assert carried.validated(escaped, catalog) is not first  # let go: one kept
    broken = {**escaped, "edges": [{"source": "nowhere", "target": "j"}]}
    for _ in range(2):
        with pytest.raises(WorkflowValidationError):
            carried.validated(broken, catalog)


def test_a_carried_workflow_is_planned_once_per_catalog_and_group_size() -> None:
    from lambdas.lifecycle.initialize import CarriedWorkflows
    from lambdas.nodes import default_registry
    from statemachine.planner import plan_workflow

    carried = CarriedWorkflows()
    catalog = default_registry().catalog
    workflow = carried.validated(chain(), catalog)

    plan, digest = carried.planned(workflow, catalog, 50)
    assert carried.planned(workflow, catalog, 50)[0] is plan
    assert digest == plan_workflow(workflow, catalog, max_group_size=50).digest()
    one_each, _ = carried.planned(workflow, catalog, 1)
    assert len(one_each.units) == len(workflow.nodes) != len(plan.units)
