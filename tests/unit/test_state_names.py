"""State names: distinct for distinct units whatever the node ids, readable, at most 80 long."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.nodes import default_registry
from statemachine.compiler import compile_workflow
from statemachine.state_names import (
    FIXED,
    MAX_STATE_NAME_LENGTH,
    StateNames,
    run_in_parallel,
    run_inline_group,
)
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import node, workflow

CATALOG = default_registry().catalog
# Ids made of what a list of ids is written with: commas, spaces, quotes, brackets.
AWKWARD_IDS = st.text(alphabet='xy, "[]\\', min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(AWKWARD_IDS, min_size=1, max_size=4), st.lists(AWKWARD_IDS, min_size=1, max_size=4))
def test_distinct_lists_of_ids_are_written_distinctly(first: list[str], second: list[str]):
    if first != second:
        assert run_inline_group(first) != run_inline_group(second)
        assert run_in_parallel(first) != run_in_parallel(second)


def test_ordinary_ids_are_listed_plainly_and_awkward_ones_quoted():
    assert run_inline_group(["a", "b-1", "c d"]) == "Run inline group [a, b-1, c d]"
    assert run_inline_group(["x", "y, z"]) == 'Run inline group [x, "y, z"]'
    assert run_inline_group(['say "hi"', " padded "]) == (
        'Run inline group ["say \\"hi\\"", " padded "]'
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab… 0123456789()", max_size=90), max_size=30))
def test_claimed_names_are_distinct_short_and_never_a_fixed_name(wanted: list[str]):
    claimer = StateNames()
    claimed = [claimer.claim(name) for name in wanted]
    assert len(set(claimed)) == len(claimed)
    assert not set(claimed) & FIXED
    assert all(len(name) <= MAX_STATE_NAME_LENGTH for name in claimed)
    again = StateNames()
    assert [again.claim(name) for name in wanted] == claimed


def test_a_name_taken_already_is_numbered_and_the_first_keeps_its_name():
    claimer = StateNames()
    assert claimer.claim("Run node a") == "Run node a"
    assert claimer.claim("Run node a") == "Run node a (2)"
    assert claimer.claim("Run node a") == "Run node a (3)"
    assert claimer.claim("Finalize") == "Finalize (2)"
    long = "Run node " + "x" * 100
    assert claimer.claim(long) != claimer.claim(long)


@settings(max_examples=60, deadline=None)
@given(st.lists(AWKWARD_IDS, min_size=2, max_size=8, unique=True), st.integers(1, 3))
def test_workflows_of_awkward_ids_compile_with_distinct_state_names(ids: list[str], size: int):
    raw = workflow(*(node(node_id, "number-input", value=1) for node_id in ids))
    valid = validate_workflow(raw, CATALOG)
    definition = compile_workflow(valid, CATALOG, FUNCTIONS, max_group_size=size)
    names = list(definition["States"])
    assert len(set(names)) == len(names)
    assert all(len(name) <= MAX_STATE_NAME_LENGTH for name in names)
