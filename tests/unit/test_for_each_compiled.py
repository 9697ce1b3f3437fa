"""What a for-each node compiles to and what validation refuses of it: a Choice, an inline Map
state of child executions and a finishing task after its task; refused in a short-lived
workflow, calling its own workflow, or with a retry policy; and its items counted in the
execution's history, so that a workflow with too many for-each nodes runs in parts."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.asl import path_counts
from statemachine.calls import START_CHILD_RESOURCE, called_ids
from statemachine.compiler import compile_machines, compile_workflow
from statemachine.errors import WorkflowValidationError
from statemachine.for_each import INLINE_ITEMS
from statemachine.limits import HISTORY_EVENT_BUDGET, TooLarge, history_events
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def looping(*more: dict[str, Any], fields: Any = None, **literals: Any) -> dict[str, Any]:
    """A for-each of `child` over two items; `literals` replace its inputs' values,
    `fields` add fields to the node (a retry policy)."""
    given = {"items": [1, 2], "workflowId": "child", "itemInput": "n.value", **literals}
    loop = {**node("loop", "for-each", **given), **(fields or {})}
    return workflow(loop, *more, workflow_id="looping")


def codes(raw: dict[str, Any]) -> list[tuple[str, str | None]]:
    with pytest.raises(WorkflowValidationError) as refused:
        validate_workflow(raw, CATALOG)
    return [(problem.code, problem.path) for problem in refused.value.problems]


def test_the_items_run_in_a_map_state_between_the_nodes_task_and_its_finishing_task() -> None:
    definition = compile_workflow(validate_workflow(looping(), CATALOG), CATALOG, FUNCTIONS)
    states = definition["States"]

    assert states["Run node loop"]["Next"] == "Runs items? loop"
    choice = states["Runs items? loop"]
    assert choice["Choices"][0] == {
        "Variable": "$.call",
        "IsPresent": False,
        "Next": "Finish node loop",
    }
    assert choice["Default"] == "Run items of loop"
    mapped = states["Run items of loop"]
    assert mapped["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert mapped["MaxConcurrencyPath"] == "$.call.maxConcurrency"
    assert mapped["Next"] == "Finish node loop"
    item = mapped["ItemProcessor"]["States"]["Run item of loop"]
    assert item["Resource"] == START_CHILD_RESOURCE
    assert item["Catch"][0]["Next"] == "Item failed of loop"
    # past the inline items: a Distributed Map reading them from S3, each iteration a child
    # workflow execution running the item's child the same way
    assert choice["Choices"][1] == {
        "Variable": "$.call.itemsKey",
        "IsPresent": True,
        "Next": "Run items of loop in a map run",
    }
    distributed = states["Run items of loop in a map run"]
    assert distributed["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.call.bucket", "Key.$": "$.call.itemsKey"},
    }
    assert distributed["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert distributed["ResultPath"] is None
    assert distributed["Next"] == "Finish node loop"
    started = distributed["ItemProcessor"]["States"]["Map run item of loop"]
    assert started["Parameters"] == item["Parameters"]
    assert states["Finish node loop"]["Parameters"]["finishForEach"] is True
    # the workflow it runs counts in the estimate, once
    assert states["Check credits"]["Parameters"]["calls"] == ["child"]


def test_an_inline_map_state_counts_as_every_item_it_may_run_in_the_history() -> None:
    definition = compile_workflow(validate_workflow(looping(), CATALOG), CATALOG, FUNCTIONS)
    mapped = ("Run items of loop", definition["States"]["Run items of loop"])
    distributed = "Run items of loop in a map run"

    counts = path_counts([mapped])

    # each item: its task, the Pass state of a failure, its start and end
    assert counts == {"tasks": INLINE_ITEMS, "other_states": 1 + 2 * INLINE_ITEMS}
    assert history_events(**counts) < HISTORY_EVENT_BUDGET // 4
    # a Distributed Map's iterations are executions of their own
    assert path_counts([(distributed, definition["States"][distributed])]) == {
        "tasks": 0,
        "other_states": 1,
    }


def test_more_for_each_nodes_than_one_history_holds_run_in_parts() -> None:
    loops = [
        node(f"loop{i}", "for-each", items=[1], workflowId="child", itemInput="n.value")
        for i in range(5)
    ]
    valid = validate_workflow(workflow(*loops, workflow_id="loops"), CATALOG)

    with pytest.raises(TooLarge, match="history events"):
        compile_workflow(valid, CATALOG, FUNCTIONS)
    compiled = compile_machines(
        valid, CATALOG, FUNCTIONS, part_arn=lambda n: f"arn:aws:states:::stateMachine:p{n}"
    )
    assert len(compiled.parts) == 2


def test_a_short_lived_workflow_cannot_run_a_for_each() -> None:
    assert codes({**looping(), "shortLived": True}) == [("EXPRESS_UNSUPPORTED", "nodes[0]")]


def test_a_for_each_over_its_own_workflow_is_a_cycle() -> None:
    assert codes(looping(workflowId="looping")) == [("CALL_CYCLE", "nodes[0].inputs")]


def test_a_for_each_takes_no_retry_policy_nor_timeout() -> None:
    assert codes(looping(fields={"retry": {"maxAttempts": 2}})) == [
        ("INVALID_RETRY_POLICY", "nodes[0].retry")
    ]
    assert codes(looping(fields={"timeoutSeconds": 10})) == [
        ("INVALID_TIMEOUT", "nodes[0].timeoutSeconds")
    ]


def test_the_workflow_a_for_each_names_is_among_those_called() -> None:
    fed = looping(node("which", "text-input", value="other"))
    fed["nodes"][0]["inputs"] = [i for i in fed["nodes"][0]["inputs"] if i["name"] != "workflowId"]
    fed["edges"] = [edge("which.value", "loop.workflowId")]

    assert called_ids(validate_workflow(looping(), CATALOG)) == ["child"]
    assert called_ids(validate_workflow(fed, CATALOG)) == []
