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
from statemachine.model import Edge, Node, Workflow


class StoredWorkflows:
    """The workflows stored by content hash, the last `kept` of them kept parsed."""

    def __init__(self, values: ValueStore, kept: int = 4) -> None:
        self._values = values
        self._kept = kept
        self._parsed: OrderedDict[str, Workflow] = OrderedDict()

    def get(self, key: str) -> Workflow:
        """The workflow stored at `key`, as validated when it was deployed."""
        if key in self._parsed:
            self._parsed.move_to_end(key)
            return self._parsed[key]
        workflow = Workflow.model_validate(json.loads(self._values.get_value(key)))
        self._parsed[key] = workflow
        while len(self._parsed) > self._kept:
            self._parsed.popitem(last=False)
        return workflow


def node_ids_of(node_ids: list[str] | None, key: str | None, stored: StoredWorkflows) -> list[str]:
    """A workflow's node ids, as a task was given them, or from the workflow stored at `key`
    (a task of a workflow too large to carry names no node)."""
    if node_ids is not None or key is None:
        return node_ids or []
    return [node.id for node in stored.get(key).nodes]


def members(workflow: Workflow, node_ids: list[str]) -> tuple[list[Node], list[Edge]]:
    """The nodes `node_ids` names, in that order, and the edges into them, in edge order."""
    by_id = {node.id: node for node in workflow.nodes}
    wanted = set(node_ids)
    return [by_id[n] for n in node_ids], [e for e in workflow.edges if e.target in wanted]
