"""For-each nodes on every host: a child execution per item is prepared here (the workflow
resolved once, each item's inputs checked, then each child's submitted record stored), and
the children's final records become the node's outputs (`results` in item order, `errors`)
or its error, past the failures it tolerates.

On Step Functions the node's task prepares the children (`DeferredForEach`), a Map state
runs them (statemachine.for_each) and the task after it completes the node
(`finish_for_each`); the in-process engine runs the children itself (`InlineForEach`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambdas.lifecycle.calls import (
    DeferredCalls,
    InlineCalls,
    child_outputs,
    finish_child_node,
)
from lambdas.lifecycle.children import CallPorts, Child, resolve_callee, submit_child
from lambdas.lifecycle.idempotency import execution_id_for, execution_key
from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.unit_task import UnitWork
from lambdas.runtime.errors import NodeError
from lambdas.runtime.for_each import ForEachRequest
from lambdas.runtime.payload import Payloads, encode, is_reference
from lambdas.runtime.ports import ExecutionStore, ValueStore
from lambdas.runtime.state import ExecutionContext, Failure, WorkflowState
from statemachine.errors import WorkflowValidationError
from statemachine.validation import validate_overrides

# What names an item's child execution: its caller's execution, node and the item's index.
FOR_EACH_SCOPE = "for-each"
# What the items may take of the state that carries them to the Map state (256 KiB in all,
# with the rest of the state and each item's end): past it, each item's inputs move to the
# value store, carried by reference.
ITEMS_STATE_BYTES = 128 * 1024


def item_id(parent: ExecutionContext, node_id: str, index: int) -> str:
    """The id of the execution item `index` of for-each node `node_id` of `parent` runs:
    always the same one."""
    target = json.dumps([node_id, index])
    return execution_id_for(
        execution_key(FOR_EACH_SCOPE, parent.organization_id, parent.id, target)
    )


def prepare_items(
    ports: CallPorts, parent: ExecutionContext, request: ForEachRequest
) -> list[Child]:
    """A child execution per item, each submitted (once: a repeated preparation finds
    them), in item order; NodeError when the workflow cannot run or an item does not fit
    its input (checked for every item before any child is stored)."""
    callee = resolve_callee(ports, parent, request.workflow_id)
    overrides = []
    for index, item in enumerate(request.items):
        raw = {request.target_node: {request.target_input: item}}
        try:
            overrides.append(validate_overrides(callee.workflow, raw, ports.catalog))
        except WorkflowValidationError as error:
            raise NodeError(
                f"Item {index}: Inputs for workflow '{request.workflow_id}' do not fit it: {error}"
            ) from None
    return [
        submit_child(
            ports, parent, request.node_id, callee, inputs, item_id(parent, request.node_id, i)
        )
        for i, inputs in enumerate(overrides)
    ]


def outcome(
    executions: ExecutionStore,
    values: ValueStore,
    workflow_id: str,
    tolerated: int,
    children: list[str],
    failures: dict[int, Failure] | None = None,
) -> dict[str, Any]:
    """The node's outputs from its children's final records: `results` (each child's output
    node values, null for one that failed) and `executionIds` in item order, and `errors`
    (index, execution id and error of each that failed); NodeError when more failed than
    `tolerated`. `failures`: what stopped waiting for an item, if anything did."""
    failures = failures or {}
    results: list[Any] = []
    errors: list[dict[str, Any]] = []
    for index, child in enumerate(children):
        try:
            ended = child_outputs(executions, values, child, workflow_id, failures.get(index))
            results.append(ended["outputs"])
        except NodeError as error:
            results.append(None)
            errors.append({"index": index, "executionId": child, "error": str(error)})
    if len(errors) > tolerated:
        first = errors[0]
        raise NodeError(
            f"{len(errors)} of {len(children)} items failed, more than the {tolerated} "
            f"tolerated (toleratedFailures); item {first['index']}: {first['error']}"
        )
    return {"results": results, "errors": errors, "executionIds": children}


def map_input(values: ValueStore, children: list[Child], request: ForEachRequest) -> dict[str, Any]:
    """What the state carries to the Map state (`$.call`): the machine and the execution
    context the children share, each item's execution id and inputs (by reference when all
    of them would take more than ITEMS_STATE_BYTES), how many run at once, and what the
    task after the Map needs to complete the node."""
    first = children[0]
    execution = first.state["execution"]
    shared = {k: v for k, v in execution.items() if k != "id"}
    items = [
        {"execution": {"id": child.execution_id}, "inputs": child.state["inputs"]}
        for child in children
    ]
    if len(encode(items)) > ITEMS_STATE_BYTES:
        payloads = Payloads(values, execution["organizationId"])
        for item in items:
            if not is_reference(item["inputs"]):
                item["inputs"] = payloads.pack_map(item["inputs"], limit=0)
    return {
        "forEach": {
            "workflowId": request.workflow_id,
            "toleratedFailures": request.tolerated_failures,
        },
        "shared": {"stateMachineArn": first.state_machine_arn, "execution": shared},
        "items": items,
        "maxConcurrency": request.max_concurrency,
    }


def map_run_input(
    values: ValueStore, bucket: str, children: list[Child], request: ForEachRequest
) -> dict[str, Any]:
    """What the state carries to the Distributed Map state (`$.call`): as `map_input`, but
    the items stored in the value store's `bucket` as one JSON array (`itemsKey`), which
    the Map reads itself, and their count."""
    call = map_input(values, children[:1], request)
    items = [
        {"execution": {"id": child.execution_id}, "inputs": child.state["inputs"]}
        for child in children
    ]
    organization_id = call["shared"]["execution"]["organizationId"]
    key = values.put_value(organization_id, encode(items))
    del call["items"]
    return {**call, "bucket": bucket, "itemsKey": key, "count": len(children)}


@dataclass
class DeferredForEach(DeferredCalls):
    """Calls and for-each nodes in a Step Functions task: the children are prepared and left
    for the states after the task to run (`started`): up to `inline_items` carried in the
    state to an inline Map state, more in S3 for a Distributed Map state."""

    def for_each(self, request: ForEachRequest) -> dict[str, Any]:
        ports = self.ports
        children = prepare_items(ports, self.parent, request)
        if not children:  # nothing to run: the node completes now
            return outcome(ports.executions, ports.values, request.workflow_id, 0, [])
        if len(children) > ports.inline_items and ports.items_bucket is not None:
            call = map_run_input(ports.values, ports.items_bucket, children, request)
        else:
            call = map_input(ports.values, children, request)
        self.started[request.node_id] = call
        return {"executionIds": [child.execution_id for child in children]}


@dataclass
class InlineForEach(InlineCalls):
    """Calls and for-each nodes where nothing waits for a child but the caller (the
    in-process engine): the items' children run one after another before the node
    returns."""

    def for_each(self, request: ForEachRequest) -> dict[str, Any]:
        children = prepare_items(self.ports, self.parent, request)
        for child in children:
            self.run_child(child)
        ids = [child.execution_id for child in children]
        tolerated = request.tolerated_failures
        return outcome(
            self.ports.executions, self.ports.values, request.workflow_id, tolerated, ids
        )


def finish_for_each(
    ports: UnitPorts, executions: ExecutionStore, state: WorkflowState, work: UnitWork
) -> WorkflowState:
    """The task after the Map state ran a for-each node's items: the node (left `executing`
    by its task) completes with its children's outputs or fails."""
    [node] = work.nodes

    def outputs(call: dict[str, Any]) -> dict[str, Any]:
        loop = call["forEach"]
        if "items" in call:
            children = [item["execution"]["id"] for item in call["items"]]
        else:  # a Distributed Map's: named as the task named them
            children = [item_id(state.execution, node.id, i) for i in range(call["count"])]
        ended = call.get("ended") or []
        failures = {
            index: Failure(Error=end["error"])
            for index, end in enumerate(ended)
            if isinstance(end, dict) and "error" in end
        }
        if "failure" in call:  # the Map state itself failed: every item it did not end did not
            stopped = Failure.model_validate(call["failure"])
            failures = {index: failures.get(index, stopped) for index in range(len(children))}
        workflow_id, tolerated = loop["workflowId"], loop["toleratedFailures"]
        return outcome(executions, ports.values, workflow_id, tolerated, children, failures)

    return finish_child_node(ports, state, work, outputs, counted="executionIds")
