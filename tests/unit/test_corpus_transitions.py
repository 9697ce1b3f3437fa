"""State transitions per execution of every benchmark corpus workflow, from its compiled
definition: at most a third of one task per node's from 20 nodes on, and at most 5 over its
units for any (what `make bench` reports next to these targets, from executions)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.corpus import Case, corpus
from lambdas.nodes import default_registry
from statemachine.compiler import compile_machines
from statemachine.planner import plan_workflow
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.transitions import TRANSITIONS

CATALOG = default_registry().catalog
RATIO_NODES = 20
# Check credits, Initialize workflow, Finalize, Outcome, Succeeded: the states an execution
# enters besides its units; one task per node adds one task per node to them.
FIXED_STATES = 5
CASES = {case.name: case for case in corpus("http://127.0.0.1:9")}


def part_arn(number: int) -> str:
    return f"arn:aws:states:us-east-1:123456789012:stateMachine:part-{number}"


def transitions(definition: dict[str, Any]) -> int:
    """The states an execution that completes enters: from StartAt, the first Choice rule
    each time (the way on), every state of every branch of a Parallel state."""

    def walk(states: dict[str, Any], name: str | None) -> int:
        entered = 0
        while name is not None:
            state = states[name]
            entered += 1
            for branch in state.get("Branches", []):
                entered += walk(branch["States"], branch["StartAt"])
            name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
        return entered

    return walk(definition["States"], definition["StartAt"])


def counted(case: Case, **options: Any) -> tuple[int, int]:
    """The transitions of `case`'s compilation and its plan's units."""
    valid = validate_workflow(case.workflow, CATALOG)
    compiled = compile_machines(valid, CATALOG, FUNCTIONS, part_arn=part_arn, **options)
    assert compiled.parts == []
    units = len(plan_workflow(valid, CATALOG, **options).units)
    return transitions(compiled.definition), units


def test_the_corpus_is_pinned_whole() -> None:
    assert set(TRANSITIONS) == set(CASES)


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_a_corpus_workflow_meets_its_transition_targets(name: str) -> None:
    case = CASES[name]
    nodes = len(case.workflow["nodes"])
    ours, units = counted(case)
    per_node = nodes + FIXED_STATES

    assert ours == TRANSITIONS[name]
    assert ours - units <= 5
    if nodes >= RATIO_NODES:
        assert ours * 3 <= per_node


@pytest.mark.parametrize("name", ["tiny", "20-node mixed", "fetch-heavy", "secret waves"])
def test_one_task_per_node_enters_a_state_per_node_besides_the_fixed_ones(name: str) -> None:
    case = CASES[name]
    per_node, units = counted(case, max_group_size=1)
    assert units == len(case.workflow["nodes"])
    assert per_node == units + FIXED_STATES
