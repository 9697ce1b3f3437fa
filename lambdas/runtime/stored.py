"""Workflows kept out of their state machine's definition, read from the blob bucket.

A workflow too large to carry in its definition is stored by content hash (see
statemachine.compiler.compile_machines): its tasks name only node ids, and read the nodes
and edges from there. The content never changes under a key, so a Lambda instance keeps the
few it read last.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from lambdas.runtime.ports import ValueStore
from statemachine.catalog import Catalog
from statemachine.model import Edge, Node, Workflow
from statemachine.validation import validate_workflow


class WorkflowIndex:
    """A workflow's nodes by id and the edges into each node, to read a unit's members
    without walking the whole workflow."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._nodes = {node.id: node for node in workflow.nodes}
        self._into: dict[str, list[int]] = {}
        for position, edge in enumerate(workflow.edges):
            self._into.setdefault(edge.target, []).append(position)

    def members(self, node_ids: list[str]) -> tuple[list[Node], list[Edge]]:
        """The nodes `node_ids` names, in that order, and the edges into them, in edge order."""
        positions = sorted(p for n in dict.fromkeys(node_ids) for p in self._into.get(n, []))
        edges = self.workflow.edges
        return [self._nodes[n] for n in node_ids], [edges[p] for p in positions]


class StoredWorkflows:
    """The workflows stored by content hash, the last `kept` of them kept parsed (indexed,
    and validated against the catalogs that asked)."""

    def __init__(self, values: ValueStore, kept: int = 4) -> None:
        self._values = values
        self._kept = kept
        self._parsed: OrderedDict[str, WorkflowIndex] = OrderedDict()
        self._validated: dict[tuple[str, int], tuple[Catalog, Workflow]] = {}

    def get(self, key: str) -> Workflow:
        """The workflow stored at `key`, as validated when it was deployed."""
        return self.index(key).workflow

    def index(self, key: str) -> WorkflowIndex:
        """The workflow stored at `key`, indexed."""
        if key in self._parsed:
            self._parsed.move_to_end(key)
            return self._parsed[key]
        workflow = Workflow.model_validate(json.loads(self._values.get_value(key)))
        index = self._parsed[key] = WorkflowIndex(workflow)
        self._let_go()
        return index

    def _let_go(self) -> None:
        """Forget the least recently used workflows past the `kept` last."""
        while len(self._parsed) > self._kept:
            gone, _ = self._parsed.popitem(last=False)
            self._validated = {k: v for k, v in self._validated.items() if k[0] != gone}

    def keep(self, key: str, workflow: Workflow, catalog: Catalog) -> None:
        """Keep `workflow`, validated against `catalog`, as the one stored at `key` (by whoever
        stored it there, in this process, so that it is neither read nor validated again)."""
        self._parsed[key] = WorkflowIndex(workflow)
        self._parsed.move_to_end(key)
        self._validated[(key, id(catalog))] = (catalog, workflow)
        self._let_go()

    def validated(self, key: str, catalog: Catalog) -> Workflow:
        """The workflow stored at `key` validated against `catalog` (once while kept: the
        content under a key never changes, and validation is a function of it and the
        catalog), or WorkflowValidationError."""
        workflow = self.get(key)
        found = self._validated.get((key, id(catalog)))
        if found is not None and found[0] is catalog:
            return found[1]
        valid = validate_workflow(workflow.to_json(), catalog)
        self._validated[(key, id(catalog))] = (catalog, valid)
        return valid


def node_ids_of(node_ids: list[str] | None, key: str | None, stored: StoredWorkflows) -> list[str]:
    """A workflow's node ids, as a task was given them, or from the workflow stored at `key`
    (a task of a workflow too large to carry names no node)."""
    if node_ids is not None or key is None:
        return node_ids or []
    return [node.id for node in stored.get(key).nodes]
