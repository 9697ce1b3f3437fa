"""Hypothesis: plans of random DAGs keep SPEC §3's promises; bad JSON only fails validation."""

from __future__ import annotations

import copy
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
from tests.support.workflows import edge, node, workflow
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


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["addition", "sum", "json-input", "a", "b", "result", "value", "numbers"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "type", "name", "value"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


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


BASE = workflow(
    node("n", "number-input", value=3),
    node("list", "json-input", json=[1, 2]),
    node("add", "addition", b=4),
    node("total", "sum"),
    node("fork", "conditional-fork", condition=True),
    node("cat", "string-concat", input_1="x", input_2="y"),
    edges=[
        edge("n.value", "add.a"),
        edge("add.result", "total.numbers"),
        edge("total.result", "fork.value"),
        edge("list.json", "fork.value"),
    ],
)
HUGE = ["é" * 100_000, "\U0001f600\x00\u202e\ud800" * 1000, "9" * 5000]


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _containers(document: Any) -> list[Any]:
    """The dicts and lists of `document`, not looking below a few levels (deep values are ours)."""
    found, level = [], [document]
    for _ in range(6):
        found += level
        children = [c for x in level for c in (x.values() if isinstance(x, dict) else x)]
        level = [c for c in children if isinstance(c, dict | list)]
    return found


PORT_NAMES = st.sampled_from(
    ["input_3", "input_0", "input_01", "case_2", "input_" + "9" * 5000, "numbers", "", "a"]
) | st.text(max_size=12)
ENDPOINTS = st.sampled_from(["n", "add", "total", "ghost", ""]) | st.text(max_size=3)


@st.composite
def mutated_workflows(draw: st.DrawFn) -> Any:
    """BASE with keys dropped or replaced, odd ports, duplicated ids and dangling edges."""
    document = copy.deepcopy(BASE)
    operations = ["drop", "replace", "huge", "deep", "duplicate", "dangle", "port"]
    for operation in draw(st.lists(st.sampled_from(operations), min_size=1, max_size=6)):
        nodes, edges = document.get("nodes"), document.get("edges")
        if operation == "duplicate":
            if isinstance(nodes, list) and nodes:
                nodes.append(copy.copy(draw(st.sampled_from(nodes))))
            continue
        if operation == "port":
            if isinstance(nodes, list):
                port = {"name": draw(PORT_NAMES), "value": draw(JSON | st.text(max_size=3))}
                node_type = draw(st.sampled_from(["string-concat", "switch-fork", "addition"]))
                nodes.append({"id": draw(ENDPOINTS), "type": node_type, "inputs": [port]})
            continue
        if operation == "dangle":
            if isinstance(edges, list):
                source, target = draw(ENDPOINTS), draw(ENDPOINTS)
                edges.append(edge(f"{source}.result", f"{target}.{draw(PORT_NAMES)}"))
            continue
        containers = [c for c in _containers(document) if c]
        if not containers:
            break
        container = draw(st.sampled_from(containers))
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        key = draw(st.sampled_from(keys))
        if operation == "drop":
            del container[key]
        elif operation == "replace":
            container[key] = draw(JSON)
        elif operation == "huge":
            container[key] = draw(st.sampled_from(HUGE))
        else:
            container[key] = _deep(draw(st.sampled_from([50, 5_000, 50_000])))
    return document


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
