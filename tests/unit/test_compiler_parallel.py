"""Independent units at once: the tasks that run several side by side (the compiler's
choice), the Parallel states of forced parallelism, and what they look like."""

from __future__ import annotations

from typing import Any

from lambdas.nodes import default_registry
from statemachine.compiler import compile_workflow
from statemachine.state_names import MAX_STATE_NAME_LENGTH
from statemachine.validation import validate_workflow
from statemachine.waves import MAX_BRANCHES, MAX_TOGETHER
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def compiled(raw: dict[str, Any], **options: Any) -> dict[str, Any]:
    definition: dict[str, Any] = compile_workflow(
        validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS, **options
    )
    return definition


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


def shared_tasks(definition: dict[str, Any]) -> dict[str, list[int]]:
    """The tasks running several units side by side, with the units each runs."""
    return {
        name: [member["unit"] for member in state["Parameters"]["together"]]
        for name, state in definition["States"].items()
        if "together" in state.get("Parameters", {})
    }


def test_independent_requests_share_one_task_that_runs_them_side_by_side() -> None:
    definition = compiled(fetches(3))
    name = "Run nodes [f0, f1, f2]"
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
    alone = compiled(fetches(3), parallel=False)["States"]
    first = alone["Run node f0"]
    assert state["Type"] == "Task"
    assert state["Resource"] == FUNCTIONS.run_node
    assert state["TimeoutSeconds"] == first["TimeoutSeconds"]
    assert state["Retry"] == first["Retry"]
    assert state["Catch"] == first["Catch"]
    parameters = dict(state["Parameters"])
    assert parameters.pop("state.$") == "$"
    # a retried attempt reuses the units that completed before it
    assert parameters.pop("attempt.$") == "$$.State.RetryCount"
    members = parameters.pop("together")
    assert parameters == {}
    for i, member in enumerate(members):
        own = dict(alone[f"Run node f{i}"]["Parameters"])
        del own["state.$"]
        assert member == own


def test_independent_nodes_that_are_not_inlinable_share_a_task_whatever_they_do() -> None:
    randoms = workflow(
        node("r1", "random-number"),
        node("r2", "random-number"),
        node("now", "date-now"),
        node("total", "sum"),
        edges=[edge("r1.value", "total.numbers"), edge("r2.value", "total.numbers")],
    )
    definition = compiled(randoms)
    assert shared_tasks(definition) == {"Run nodes [r1, r2, now]": [0, 1, 2]}
    assert all(s["Type"] != "Parallel" for s in definition["States"].values())


def test_requests_that_depend_on_each_other_run_one_after_another() -> None:
    chain = workflow(
        node("a", "fetch", url="https://example.test/a"),
        node("b", "fetch"),
        node("to-url", "string-concat", input_1="https://example.test/"),
        edges=[edge("a.statusText", "to-url.input_2"), edge("to-url.result", "b.url")],
    )
    assert shared_tasks(compiled(chain)) == {}


def test_a_wait_node_keeps_a_workflow_one_unit_a_state_even_when_forced() -> None:
    raw = fetches(3)
    raw["nodes"].append(node("w", "wait", seconds=1))
    assert shared_tasks(compiled(raw)) == {}
    definition = compiled(raw, parallel=True)
    assert all(s["Type"] != "Parallel" for s in definition["States"].values())


def test_a_wide_wave_is_split_into_tasks_of_at_most_max_together_units() -> None:
    definition = compiled(fetches(MAX_TOGETHER + 5))
    assert [len(units) for units in shared_tasks(definition).values()] == [MAX_TOGETHER, 5]
    assert all(len(name) <= MAX_STATE_NAME_LENGTH for name in definition["States"])


def test_a_group_size_of_one_runs_every_unit_in_a_task_of_its_own() -> None:
    definition = compiled(fetches(3), max_group_size=1)
    assert shared_tasks(definition) == {}
    assert path_taken(definition)[2:6] == [f"Run node {n}" for n in ("f0", "f1", "f2", "total")]
    assert shared_tasks(compiled(fetches(3), max_group_size=2)) == {"Run nodes [f0, f1]": [0, 1]}


def test_forced_parallel_runs_independent_units_in_one_parallel_state_of_one_branch_each() -> None:
    definition = compiled(fetches(3), parallel=True)
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
    definition = compiled(fetches(count), parallel=True)
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
    unshared = compiled(fetches(2), parallel=False)["States"]
    assert "Run in parallel [f0, f1]" not in unshared
    assert "Run nodes [f0, f1]" not in unshared
