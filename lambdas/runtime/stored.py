"""Workflows kept out of their state machine's definition, read from the blob bucket.

A workflow too large to carry in its definition is stored by content hash (see
statemachine.compiler.compile_machines): its tasks name only node ids, and read the nodes
and edges from there. The content never changes under a key, so a task keeps the few it
read last.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from lambdas.runtime.ports import ValueStore
from statemachine.model import Edge, Node, Workflow

KEPT = 4  # workflows a Lambda instance keeps parsed

_kept: OrderedDict[str, Workflow] = OrderedDict()


def stored_workflow(values: ValueStore, key: str) -> Workflow:
    """The workflow stored at `key`, as validated when it was deployed."""
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key]
    workflow = Workflow.model_validate(json.loads(values.get_value(key)))
    _kept[key] = workflow
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return workflow


def members(workflow: Workflow, node_ids: list[str]) -> tuple[list[Node], list[Edge]]:
    """The nodes `node_ids` names, in that order, and the edges into them, in edge order."""
    by_id = {node.id: node for node in workflow.nodes}
    wanted = set(node_ids)
    return [by_id[n] for n in node_ids], [e for e in workflow.edges if e.target in wanted]
