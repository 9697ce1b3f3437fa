"""What a run-workflow node asks of its host: to run another workflow of the organization
as a child execution (lambdas.lifecycle.calls does it on every host)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from lambdas.runtime.for_each import ForEachRequest


class WorkflowCalls(Protocol):
    """Runs the organization's deployed workflows as children of one execution."""

    def call(self, node_id: str, workflow_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Run workflow `workflow_id` with per-run `inputs` (node id -> input name -> value)
        for node `node_id`: the node's outputs (`outputs`, `executionId`), or NodeError
        naming what went wrong. A host whose engine waits for the child itself (a Step
        Functions task) prepares the child, answers only `executionId` and lists the child
        in `started`."""
        ...

    def for_each(self, request: ForEachRequest) -> dict[str, Any]:
        """Run the workflow once per item (lambdas.runtime.for_each): the node's outputs
        (`results` in item order, `errors`, `executionIds`), or NodeError when more items
        failed than it tolerates or none can run. A host whose engine runs the children
        itself (a Map state) prepares them, answers only `executionIds` and lists them in
        `started`."""
        ...

    @property
    def started(self) -> Mapping[str, dict[str, Any]]:
        """The children prepared for the engine to run, by the node that called each."""
        ...
