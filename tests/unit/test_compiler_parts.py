"""Workflows too large for one state machine: parts started one after another."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.asl import definition_json
from statemachine.compiler import Compiled, compile_machines, compile_workflow, machine_type
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.limits import MAX_DEFINITION_BYTES
from statemachine.model import Workflow
from statemachine.parts import START_PART_RESOURCE, part_machine_name
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog
SMALL = 12_000  # bytes a machine may take in these tests: a score of units each


def part_arn(number: int) -> str:
    return f"arn:aws:states:us-east-1:123456789012:stateMachine:w-part-{number}"


def chain(length: int, *, wait_at: int | None = None, waits: Collection[int] = ()) -> Workflow:
    """n0 = 1, each next node adds one; a wait node passes the value on at `wait_at` and at
    each of `waits`."""
    waiting = {*waits, *([] if wait_at is None else [wait_at])}
    nodes = [node("n0", "number-input", value=1)]
    edges = []
    for i in range(1, length):
        kind = "wait" if i in waiting else "addition"
        nodes.append(node(f"n{i}", kind, **({"seconds": 0} if kind == "wait" else {"b": 1})))
        source = "value" if i == 1 or i - 1 in waiting else "result"
        edges.append(edge(f"n{i - 1}.{source}", f"n{i}.{'value' if kind == 'wait' else 'a'}"))
    return validate_workflow(workflow(*nodes, edges=edges), CATALOG)


def split(valid: Workflow, most: int = SMALL) -> Compiled:
    return compile_machines(
        valid, CATALOG, FUNCTIONS, part_arn=part_arn, max_group_size=1, max_definition_bytes=most
    )


def states_entered(definition: dict[str, Any]) -> list[str]:
    names, name = [], definition["StartAt"]
    while name is not None:
        names.append(name)
        state = definition["States"][name]
        name = state["Default"] if state["Type"] == "Choice" else state.get("Next")
    return names


def test_a_workflow_that_fits_is_one_machine_as_compile_workflow_makes_it() -> None:
    valid = chain(6)
    compiled = compile_machines(valid, CATALOG, FUNCTIONS, part_arn=part_arn)
    assert compiled == Compiled(compile_workflow(valid, CATALOG, FUNCTIONS))


def test_a_workflow_over_the_limit_runs_its_units_in_parts_within_the_limit() -> None:
    compiled = split(chain(80))
    count = len(compiled.parts)
    assert count > 2
    assert all(len(definition_json(part).encode()) <= SMALL for part in compiled.parts)
    assert len(definition_json(compiled.definition).encode()) <= SMALL
    parts = [
        (f"Run part {n} of {count}", f"After part {n} of {count}") for n in range(1, count + 1)
    ]
    after_initialize = [name for pair in parts for name in pair][:-1]
    assert states_entered(compiled.definition) == [
        "Check credits",
        "Initialize workflow",
        *after_initialize,
        "Finalize",
        "Outcome",
        "Failed",  # the Outcome Choice's Default; its rule goes to Succeeded
    ]
    units = [name for part in compiled.parts for name in part["States"] if name != "Stopped"]
    whole = compile_workflow(chain(80), CATALOG, FUNCTIONS, max_group_size=1)["States"]
    assert units == [name for name in whole if name.startswith("Run ")]


def test_each_part_task_starts_its_machine_and_waits_for_its_output() -> None:
    compiled = split(chain(80))
    task = compiled.definition["States"][f"Run part 2 of {len(compiled.parts)}"]
    assert task["Resource"] == START_PART_RESOURCE
    assert task["Parameters"] == {
        "StateMachineArn": part_arn(2),
        "Input.$": "$",
        "Name.$": "$.execution.id",
    }
    assert task["OutputPath"] == "$.Output"
    assert task["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Finalize"}
    ]
    after = compiled.definition["States"][f"After part 1 of {len(compiled.parts)}"]
    assert after["Choices"] == [{"Variable": "$.failure", "IsPresent": True, "Next": "Finalize"}]


def test_a_failure_in_a_part_ends_the_part_with_the_failure_in_the_state() -> None:
    for part in split(chain(80)).parts:
        assert part["States"]["Stopped"] == {"Type": "Succeed"}
        tasks = [s for s in part["States"].values() if s["Type"] == "Task"]
        assert tasks
        for task in tasks:
            assert task["Catch"] == [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Stopped"}
            ]
        last = part["States"][list(part["States"])[-2]]
        assert last["End"] is True


def test_the_workflow_is_read_from_the_blob_bucket_not_carried_in_the_definition() -> None:
    valid = chain(80)
    compiled = split(valid)
    parameters = compiled.definition["States"]["Initialize workflow"]["Parameters"]
    assert "workflow" not in parameters
    [(key, document)] = compiled.documents.items()
    assert parameters["workflowKey"] == key
    assert json.loads(document) == valid.to_json()


def test_a_wait_state_stays_in_the_part_of_the_task_that_resolves_it() -> None:
    for at in range(5, 75, 7):
        for part in split(chain(80, wait_at=at)).parts:
            names = list(part["States"])
            assert not names[0].startswith("Wait "), at


def test_ten_thousand_nodes_fit_one_machine_whose_tasks_read_their_nodes_by_hash() -> None:
    nodes = [node(f"n{i}", "number-input", value=i) for i in range(10_000)]
    valid = validate_workflow(workflow(*nodes), CATALOG)
    with pytest.raises(CompileError):
        compile_workflow(valid, CATALOG, FUNCTIONS)
    compiled = compile_machines(valid, CATALOG, FUNCTIONS, part_arn=part_arn)
    assert compiled.parts == []
    assert len(definition_json(compiled.definition).encode()) <= MAX_DEFINITION_BYTES
    [key] = compiled.documents
    states = compiled.definition["States"]
    assert states["Initialize workflow"]["Parameters"]["workflowKey"] == key
    assert states["Finalize"]["Parameters"] == {"state.$": "$", "workflowKey": key}
    groups = [s for name, s in states.items() if name.startswith("Run inline group")]
    assert groups
    for group in groups:
        assert set(group["Parameters"]) == {"state.$", "nodeIds", "unit"}


# Definitions this large pass: only the history budget decides how a workflow is split.
ROOMY = 64 * MAX_DEFINITION_BYTES


def test_a_workflow_landing_exactly_on_the_history_budget_is_one_machine() -> None:
    # 3,997 nodes, two of them waits: Check credits, Initialize workflow, 3,995 units and
    # Finalize are 3,998 tasks; the Wait states, Outcome and an end state 4 other states.
    # 2 + 5 x 3,998 + 2 x 4 = 20,000 history events: the budget, which a workflow may use.
    assert split(chain(3_997, waits=(2, 3)), ROOMY).parts == []
    # one more unit is 5 events too many: parts
    assert split(chain(3_998, waits=(2, 3)), ROOMY).parts


def test_a_part_landing_exactly_on_the_history_budget_is_not_cut_short() -> None:
    # A part of 3,998 tasks and 4 Wait states records 2 + 5 x 3,998 + 2 x 4 = 20,000 events:
    # the first part holds n0 to n4001, the second the ten units after them.
    compiled = split(chain(4_012, waits=(2, 3, 4, 5)), ROOMY)
    units = [[name for name in part["States"] if name != "Stopped"] for part in compiled.parts]
    assert [len(names) for names in units] == [4_002, 10]
    assert units[0][-1] == "Run node n4001"
    assert sum(name.startswith("Wait ") for name in units[0]) == 4


def test_a_part_name_fits_step_functions_and_keeps_its_number() -> None:
    assert part_machine_name("wf", 3) == "wf-part-3"
    long = part_machine_name("x" * 80, 12)
    assert len(long) == 80
    assert long.endswith("-part-12")


def test_a_short_lived_workflow_is_one_express_machine_or_refused() -> None:
    raw = {**workflow(node("n", "number-input", value=1)), "shortLived": True}
    valid = validate_workflow(raw, CATALOG)
    assert machine_type(valid) == "EXPRESS"
    assert valid.to_json()["shortLived"] is True
    assert machine_type(chain(3)) == "STANDARD"
    long = chain(80).model_copy(update={"short_lived": True})
    with pytest.raises(CompileError, match="more than one Express state machine can run"):
        split(long, most=3_000)  # an Express machine cannot wait for parts


def test_short_lived_must_be_a_boolean() -> None:
    raw = {**workflow(node("n", "number-input", value=1)), "shortLived": "yes"}
    with pytest.raises(WorkflowValidationError, match="shortLived"):
        validate_workflow(raw, CATALOG)
