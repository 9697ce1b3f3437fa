"""Parallel states: which workflows get them (the cost/latency rule) and what they look like."""

from __future__ import annotations

from typing import Any

from lambdas.nodes import default_registry
from statemachine.compiler import compile_workflow
from statemachine.planner import plan_workflow
from statemachine.state_names import MAX_STATE_NAME_LENGTH
from statemachine.validation import validate_workflow
from statemachine.waves import MAX_BRANCHES, runs_in_parallel
from tests.golden import FUNCTIONS
from tests.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def compiled(raw: dict[str, Any], **options: Any) -> dict[str, Any]:
    definition: dict[str, Any] = compile_workflow(
        validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS, **options
    )
    return definition


def chosen(raw: dict[str, Any]) -> bool:
    valid = validate_workflow(raw, CATALOG)
    return runs_in_parallel(valid, CATALOG, plan_workflow(valid, CATALOG))


def fetches(count: int) -> dict[str, Any]:
    """`count` independent fetches, their statuses summed."""
    return workflow(
        *(node(f"f{i}", "fetch", url=f"https://example.test/{i}") for i in range(count)),
        node("total", "sum"),
        edges=[edge(f"f{i}.status", "total.numbers") for i in range(count)],
    )


def path_taken(definition: dict[str, Any]) -> list[str]:
    names, name = [], definition["StartAt"]
    while name is not None:
        names.append(name)
        state = definition["States"][name]
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    return names


def test_two_independent_requests_make_a_workflow_parallel() -> None:
    assert chosen(fetches(2))
    assert not chosen(fetches(1))


def test_fast_nodes_alone_never_make_a_workflow_parallel() -> None:
    randoms = workflow(
        node("r1", "random-number"),
        node("r2", "random-number"),
        node("now", "date-now"),
        node("total", "sum"),
        edges=[edge("r1.value", "total.numbers"), edge("r2.value", "total.numbers")],
    )
    assert not chosen(randoms)
    assert all(s["Type"] != "Parallel" for s in compiled(randoms)["States"].values())


def test_requests_that_depend_on_each_other_stay_sequential() -> None:
    chain = workflow(
        node("a", "fetch", url="https://example.test/a"),
        node("b", "fetch"),
        node("to-url", "string-concat", input_1="https://example.test/"),
        edges=[edge("a.statusText", "to-url.input_2"), edge("to-url.result", "b.url")],
    )
    assert not chosen(chain)


def test_a_wait_node_keeps_a_workflow_sequential_even_when_forced() -> None:
    raw = fetches(3)
    raw["nodes"].append(node("w", "wait", seconds=1))
    assert not chosen(raw)
    definition = compiled(raw, parallel=True)
    assert all(s["Type"] != "Parallel" for s in definition["States"].values())


def test_independent_requests_run_in_one_parallel_state_of_one_branch_each() -> None:
    definition = compiled(fetches(3))
    name = "Run in parallel [f0, f1, f2]"
    assert path_taken(definition) == [
        "Check credits",
        "Initialize workflow",
        name,
        "Run node total",
        "Finalize",
        "Outcome",
        "Succeeded",
    ]
    state = definition["States"][name]
    assert state["Type"] == "Parallel"
    assert state["ResultPath"] == "$.branches"
    assert state["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Finalize"}
    ]
    assert "Retry" not in state  # the tasks in its branches retry, one by one
    sequential = compiled(fetches(3), parallel=False)["States"]
    for i, branch in enumerate(state["Branches"]):
        task_name = f"Run node f{i}"
        assert branch["StartAt"] == task_name
        task = branch["States"][task_name]
        assert task["End"] is True
        assert "Catch" not in task
        assert "Next" not in task
        assert task["Parameters"].pop("branch") == ("carry" if i == 0 else "own")
        alone = dict(sequential[task_name])
        del alone["Catch"], alone["Next"]
        assert {k: v for k, v in task.items() if k != "End"} == alone


def test_a_wide_wave_is_split_into_parallel_states_of_at_most_max_branches() -> None:
    count = MAX_BRANCHES + 5
    definition = compiled(fetches(count))
    parallels = [s for s in definition["States"].values() if s["Type"] == "Parallel"]
    assert [len(p["Branches"]) for p in parallels] == [MAX_BRANCHES, 5]
    for state in parallels:
        modes = [b["States"][b["StartAt"]]["Parameters"]["branch"] for b in state["Branches"]]
        assert modes == ["carry"] + ["own"] * (len(modes) - 1)
    assert all(len(name) <= MAX_STATE_NAME_LENGTH for name in definition["States"])


def test_forced_parallel_runs_every_wave_of_two_units_together() -> None:
    randoms = workflow(node("r1", "random-number"), node("r2", "random-number"))
    definition = compiled(randoms, parallel=True)
    assert "Run in parallel [r1, r2]" in definition["States"]
    assert "Run in parallel [f0, f1]" not in compiled(fetches(2), parallel=False)["States"]
