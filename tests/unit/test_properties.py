"""Hypothesis: plans of random DAGs keep SPEC §3's promises; bad JSON only fails validation."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.nodes import default_registry
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.planner import plan_workflow
from statemachine.validation import parse_workflow_json, validate_workflow
from tests.support.bad_workflows import BASE, JSON, mutated_workflows
from tests.unit.test_planner import assert_valid_plan, graph

CATALOG = default_registry().catalog
NODE_TYPES = ["addition", "sum", "random-number", "fetch"]
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dags(draw: st.DrawFn) -> tuple[Workflow, int]:
    """A validated random DAG whose topological order differs from its declaration order."""
    count = draw(st.integers(1, 60))
    types = draw(st.lists(st.sampled_from(NODE_TYPES), min_size=count, max_size=count))
    rank = draw(st.permutations(range(count)))
    pairs = draw(
        st.sets(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)), max_size=3 * count)
    )
    links = {(i, j) if rank[i] < rank[j] else (j, i) for i, j in pairs if i != j}
    nodes = [(f"n{i}", node_type) for i, node_type in enumerate(types)]
    return graph(nodes, [(f"n{i}", f"n{j}") for i, j in sorted(links)]), draw(st.integers(1, 8))


@FAST
@given(dags(), st.randoms(use_true_random=False))
def test_plans_of_random_dags_keep_every_promise(dag: tuple[Workflow, int], rnd: random.Random):
    workflow_, max_group_size = dag
    plan = plan_workflow(workflow_, CATALOG, max_group_size=max_group_size)
    assert_valid_plan(workflow_, CATALOG, plan, max_group_size)
    edges = list(workflow_.edges)
    rnd.shuffle(edges)
    shuffled = workflow_.model_copy(update={"edges": edges})
    again = plan_workflow(shuffled, CATALOG, max_group_size=max_group_size)
    assert again.model_dump_json() == plan.model_dump_json()


def assert_only_validation_errors(raw: Any) -> None:
    """validate_workflow returns a plannable Workflow or raises WorkflowValidationError."""
    try:
        valid = validate_workflow(raw, CATALOG)
    except WorkflowValidationError as error:
        message, problems = str(error), error.problems
    else:
        assert isinstance(valid, Workflow)
        plan_workflow(valid, CATALOG)
        return
    assert problems
    assert message


@FAST
@given(JSON)
def test_random_json_only_fails_validation(raw: Any):
    assert_only_validation_errors(raw)


@FAST
@given(
    st.fixed_dictionaries(
        {"id": JSON, "name": JSON},
        optional={
            "nodes": st.lists(
                st.fixed_dictionaries(
                    {"id": JSON, "type": JSON}, optional={"inputs": JSON, "outputs": JSON}
                ),
                max_size=4,
            ),
            "edges": JSON,
        },
    )
)
def test_random_workflow_shaped_json_only_fails_validation(raw: Any):
    assert_only_validation_errors(raw)


@FAST
@given(mutated_workflows())
def test_mutations_of_a_valid_workflow_only_fail_validation(raw: Any):
    assert_only_validation_errors(raw)


def test_the_unmutated_base_workflow_is_valid():
    validate_workflow(BASE, CATALOG)


@FAST
@given(
    st.text() | st.binary() | JSON.map(json.dumps) | st.integers(1, 200_000).map(lambda n: "[" * n)
)
def test_parsing_random_text_only_fails_validation(text: str | bytes):
    try:
        raw = parse_workflow_json(text)
    except WorkflowValidationError as error:
        problems = error.problems
    else:
        assert_only_validation_errors(raw)
        return
    assert problems
