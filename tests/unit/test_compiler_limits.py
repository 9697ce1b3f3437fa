"""Every task input fits Step Functions' 256 KiB: what a task's Parameters carry is bounded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.compiler import compile_machines, compile_workflow
from statemachine.limits import TASK_PARAMETERS_BUDGET, TooLarge
from statemachine.model import Workflow
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import node, workflow

CATALOG = default_registry().catalog


def part_arn(number: int) -> str:
    return f"arn:aws:states:us-east-1:123456789012:stateMachine:w-part-{number}"


def documents(count: int, size: int) -> Workflow:
    """`count` json-input nodes (one inline group) of a `size`-character literal each."""
    return validate_workflow(
        workflow(*(node(f"j{i}", "json-input", json={"t": "z" * size}) for i in range(count))),
        CATALOG,
    )


def tasks(states: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for state in states.values():
        for branch in state.get("Branches", []):
            found += tasks(branch["States"])
        if state["Type"] == "Task":
            found.append(state)
    return found


def parameters_size(state: dict[str, Any]) -> int:
    return len(json.dumps(state.get("Parameters", {}), ensure_ascii=False).encode("utf-8"))


def test_literals_past_the_budget_are_refused_when_they_must_be_carried() -> None:
    with pytest.raises(TooLarge, match=r"task 'Initialize workflow' would carry [\d,]+ bytes"):
        compile_workflow(documents(40, 7 * 1024), CATALOG, FUNCTIONS)


def test_literals_past_the_budget_are_read_by_content_hash() -> None:
    compiled = compile_machines(documents(40, 7 * 1024), CATALOG, FUNCTIONS, part_arn=part_arn)

    assert len(compiled.documents) == 1  # the workflow, stored by content hash
    assert max(map(parameters_size, tasks(compiled.definition["States"]))) <= 2048


def test_a_workflow_within_the_budget_carries_its_nodes() -> None:
    compiled = compile_machines(documents(4, 1024), CATALOG, FUNCTIONS, part_arn=part_arn)

    assert compiled.documents == {}
    sizes = list(map(parameters_size, tasks(compiled.definition["States"])))
    assert 4 * 1024 < max(sizes) <= TASK_PARAMETERS_BUDGET
