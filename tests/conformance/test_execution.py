"""How executions behave (SPEC §4): skips, input precedence, status, record; on every engine."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow


def chain(*node_ids: str) -> list[dict[str, str]]:
    """Edges joining each node's `result` to the next node's input `a`."""
    return [edge(f"{a}.result", f"{b}.a") for a, b in pairwise(node_ids)]


def test_linear_chain_passes_each_result_on(engine):
    result = engine.run(
        workflow(
            node("n", "number-input", value=2),
            node("add", "addition", b=3),
            node("mul", "multiplication", b=4),
            node("out", "output-number"),
            edges=[
                edge("n.value", "add.a"),
                edge("add.result", "mul.a"),
                edge("mul.result", "out.value"),
            ],
        )
    )
    assert result.status == "completed"
    assert result.output("out", "displayValue") == 20


def test_parallel_branches_both_run_and_meet(engine):
    result = engine.run(
        workflow(
            node("n", "number-input", value=6),
            node("left", "addition", b=1),
            node("right", "multiplication", b=2),
            node("diff", "subtraction"),
            edges=[
                edge("n.value", "left.a"),
                edge("n.value", "right.a"),
                edge("left.result", "diff.a"),
                edge("right.result", "diff.b"),
            ],
        )
    )
    assert result.statuses() == dict.fromkeys(["n", "left", "right", "diff"], "completed")
    assert result.output("diff") == 7 - 12


def test_division_by_zero_skips_everything_downstream(engine):
    result = engine.run(
        workflow(
            node("div", "division", a=1, b=0),
            node("next", "addition", b=1),
            node("after", "addition", b=1),
            edges=[edge("div.result", "next.a"), edge("next.result", "after.a")],
        )
    )
    assert result.status == "error"
    assert result.error("div") == "Division by zero is not allowed"
    assert "div" in result.record["error"]
    assert "Division by zero is not allowed" in result.record["error"]
    for skipped, blocker in (("next", "div"), ("after", "next")):
        execution = result.node(skipped)
        assert execution["status"] == "skipped"
        assert execution["skipReason"] == "upstream_failure"
        assert execution["blockedBy"] == [blocker]


def test_missing_required_input_fails_the_node(engine):
    result = engine.run(workflow(node("cmp", "number-compare", a=1)))
    assert result.status == "error"
    assert result.error("cmp") == "Required input 'b' missing"


def test_a_node_type_that_reads_a_missing_input_itself_fails_with_its_own_message(engine):
    result = engine.run(workflow(node("add", "addition", a=1)))
    assert result.status == "error"
    assert result.error("add") == "Input 'b' is required"


def test_override_supplies_a_missing_required_input(engine):
    result = engine.run(workflow(node("add", "addition", a=1)), inputs={"add": {"b": 41}})
    assert result.status == "completed"
    assert result.output("add") == 42


def test_node_with_one_failed_and_one_live_input_runs_and_fails_for_the_missing_one(engine):
    result = engine.run(
        workflow(
            node("div", "division", a=1, b=0),
            node("n", "number-input", value=3),
            node("add", "number-compare"),
            edges=[edge("div.result", "add.a"), edge("n.value", "add.b")],
        )
    )
    assert result.error("add") == "Required input 'a' missing"
    assert result.status == "error"


def test_node_with_one_failed_input_completes_when_a_literal_covers_it(engine):
    result = engine.run(
        workflow(
            node("div", "division", a=1, b=0),
            node("n", "number-input", value=3),
            node("add", "addition", a=10),
            edges=[edge("div.result", "add.a"), edge("n.value", "add.b")],
        )
    )
    assert result.output("add") == 13
    assert result.status == "error"  # the division still failed


def test_independent_errors_in_parallel_branches_are_all_reported(engine):
    result = engine.run(
        workflow(
            node("div", "division", a=1, b=0),
            node("root", "square-root", value=-4),
            node("fine", "addition", a=1, b=2),
            node("after_div", "absolute-value"),
            edges=[edge("div.result", "after_div.value")],
        )
    )
    assert result.status == "error"
    assert result.error("div") == "Division by zero is not allowed"
    assert "negative" in result.error("root")
    assert result.output("fine") == 3
    assert result.node("after_div")["skipReason"] == "upstream_failure"
    assert "1 more" in result.record["error"]


def fork_workflow(condition: bool, *, joined: bool = False) -> dict[str, Any]:
    """n=5 -> fork -> true: +1, false: *10 (-> join when `joined`)."""
    nodes = [
        node("n", "number-input", value=5),
        node("fork", "conditional-fork", condition=condition),
        node("inc", "addition", b=1),
        node("tenfold", "multiplication", b=10),
    ]
    edges = [
        edge("n.value", "fork.value"),
        edge("fork.true", "inc.a"),
        edge("fork.false", "tenfold.a"),
    ]
    if joined:
        nodes.append(node("join", "conditional-join"))
        edges += [edge("inc.result", "join.true"), edge("tenfold.result", "join.false")]
    return workflow(*nodes, edges=edges)


@pytest.mark.parametrize(
    ("condition", "taken", "untaken", "value"),
    [(True, "inc", "tenfold", 6), (False, "tenfold", "inc", 50)],
)
def test_conditional_fork_runs_only_the_branch_taken(engine, condition, taken, untaken, value):
    result = engine.run(fork_workflow(condition))
    assert result.status == "completed"
    assert result.output(taken) == value
    skipped = result.node(untaken)
    assert skipped["status"] == "skipped"
    assert skipped["skipReason"] == "conditional_branch"
    assert skipped["blockedBy"] == ["fork"]
    assert result.node("fork")["outputs"] == {str(condition).lower(): 5}


@pytest.mark.parametrize(("condition", "value", "port"), [(True, 6, "true"), (False, 50, "false")])
def test_fork_then_join_passes_on_the_one_branch_that_ran(engine, condition, value, port):
    result = engine.run(fork_workflow(condition, joined=True))
    assert result.status == "completed"
    assert result.node("join")["inputs"] == {port: value}
    assert result.output("join") == value


def test_conditional_join_given_both_branches_fails_naming_both(engine):
    result = engine.run(
        workflow(
            node("yes", "number-input", value=1),
            node("no", "number-input", value=2),
            node("join", "conditional-join"),
            edges=[edge("yes.value", "join.true"), edge("no.value", "join.false")],
        )
    )
    assert "both" in result.error("join")
    assert result.status == "error"


def test_conditional_join_given_neither_branch_fails_naming_neither(engine):
    result = engine.run(workflow(node("join", "conditional-join")))
    assert "neither" in result.error("join")


def test_every_node_of_a_chain_on_the_untaken_branch_is_skipped(engine):
    result = engine.run(
        workflow(
            node("fork", "conditional-fork", value=1, condition=True),
            node("x1", "addition", b=1),
            node("x2", "addition", b=1),
            node("x3", "addition", b=1),
            node("y", "addition", b=1),
            edges=[edge("fork.false", "x1.a"), edge("fork.true", "y.a"), *chain("x1", "x2", "x3")],
        )
    )
    assert result.status == "completed"
    assert result.output("y") == 2
    for skipped, blocker in (("x1", "fork"), ("x2", "x1"), ("x3", "x2")):
        assert result.node(skipped)["skipReason"] == "conditional_branch"
        assert result.node(skipped)["blockedBy"] == [blocker]


def test_a_node_blocked_by_a_failure_and_an_untaken_branch_names_only_the_failure(engine):
    result = engine.run(
        workflow(
            node("fork", "conditional-fork", value=1, condition=True),
            node("div", "division", a=1, b=0),
            node("both", "addition"),
            edges=[edge("fork.false", "both.a"), edge("div.result", "both.b")],
        )
    )
    assert result.node("both")["skipReason"] == "upstream_failure"
    assert result.node("both")["blockedBy"] == ["div"]


def test_a_failure_deep_in_the_taken_branch_makes_the_workflow_fail(engine):
    result = engine.run(
        workflow(
            node("fork", "conditional-fork", value=4, condition=True),
            node("half", "division", b=2),
            node("zero", "subtraction", b=2),
            node("boom", "division", a=1),
            node("later", "absolute-value"),
            node("other", "addition", b=1),
            edges=[
                edge("fork.true", "half.a"),
                edge("half.result", "zero.a"),
                edge("zero.result", "boom.b"),
                edge("boom.result", "later.value"),
                edge("fork.false", "other.a"),
            ],
        )
    )
    assert result.status == "error"
    assert result.output("zero") == 0
    assert result.error("boom") == "Division by zero is not allowed"
    assert result.node("later")["skipReason"] == "upstream_failure"
    assert result.node("other")["skipReason"] == "conditional_branch"


FINISHED_SHAPES = {
    "completed": workflow(node("a", "addition", a=1, b=2)),
    "error": workflow(
        node("a", "division", a=1, b=0),
        node("b", "absolute-value"),
        edges=[edge("a.result", "b.value")],
    ),
    "conditional": fork_workflow(False, joined=True),
}


@pytest.mark.parametrize("name", sorted(FINISHED_SHAPES))
def test_no_node_is_left_idle_or_executing_in_a_finished_record(engine, name):
    result = engine.run(FINISHED_SHAPES[name])
    assert set(result.statuses().values()) <= {"completed", "error", "skipped"}


def test_literal_is_replaced_by_override_which_is_replaced_by_edge(engine):
    flow = workflow(
        node("n", "number-input", value=100),
        node("add", "addition", a=1, b=2),
        node("edge_fed", "addition", a=1, b=2),
        edges=[edge("n.value", "edge_fed.b")],
    )
    assert engine.run(flow).output("add") == 3
    overridden = engine.run(flow, inputs={"add": {"b": 10}, "edge_fed": {"b": 10}})
    assert overridden.output("add") == 11
    assert overridden.output("edge_fed") == 101


def test_an_override_of_a_json_input_with_a_list_of_texts_keeps_the_texts(engine):
    # Only a repeated input takes a list item by item; a json input takes the list as it is.
    flow = workflow(
        node("j", "json-input", json=[]),
        node("shown", "output-json"),
        edges=[edge("j.json", "shown.value")],
    )
    result = engine.run(flow, inputs={"j": {"json": ["1", "2"]}})
    assert result.output("j", "json") == ["1", "2"]
    assert result.output("shown", "displayValue") == ["1", "2"]


@pytest.mark.parametrize(
    ("given", "received"),
    [
        ('"1"', "1"),  # a JSON text of a string: the string, not what it says in turn
        ('"\\"1\\""', '"1"'),
        ("1", 1),
        ('{"k": "[2]"}', {"k": "[2]"}),
        ("not json", "not json"),  # a text that is no JSON text stays that text
        ("null", "null"),
    ],
)
def test_an_override_of_a_json_input_is_read_once_as_the_literal_it_replaces(
    engine, given, received
):
    # SPEC §4.2-4.3: an override replaces the literal, and a json port parses a JSON text once
    literal = engine.run(workflow(node("j", "json-input", json=given)))
    overridden = engine.run(
        workflow(node("j", "json-input", json=0)), inputs={"j": {"json": given}}
    )
    assert literal.output("j", "json") == received
    assert overridden.output("j", "json") == received


def test_an_override_of_a_repeated_any_input_parses_each_text_once(engine):
    given = ['"1"', "[2]", "text"]
    literal = engine.run(workflow(node("agg", "json-agg", values=given)))
    overridden = engine.run(
        workflow(node("agg", "json-agg", values=[0])), inputs={"agg": {"values": given}}
    )
    assert literal.output("agg") == overridden.output("agg") == ["1", [2], "text"]


@pytest.mark.parametrize("listed", [[6, 12], []])
def test_an_override_of_a_number_input_with_a_list_is_refused_before_the_run(engine, listed):
    flow = workflow(node("n", "number-input", value=1), node("cmp", "number-compare", b=1))
    result = engine.run(flow, inputs={"cmp": {"a": listed}})
    assert result.status == "error"
    assert result.record["error"].startswith("Invalid workflow (1 problem): [INVALID_VALUE]")
    assert "cmp.a" in result.record["error"]
    assert result.statuses() == {"n": "idle", "cmp": "idle"}


@pytest.mark.parametrize(("first", "last", "value"), [("x", "y", 2), ("y", "x", 1)])
def test_last_edge_into_a_single_input_wins(engine, first, last, value):
    result = engine.run(
        workflow(
            node("x", "number-input", value=1),
            node("y", "number-input", value=2),
            node("add", "addition", b=0),
            edges=[edge(f"{first}.value", "add.a"), edge(f"{last}.value", "add.a")],
        )
    )
    assert result.output("add") == value


def test_repeated_input_collects_every_edge_and_flattens_lists(engine):
    # json -> number is a type mismatch, so the list travels through an `any` output.
    result = engine.run(
        workflow(
            node("list", "json-input", json=[1, 2, 3]),
            node("as_any", "output-any"),
            node("four", "number-input", value=4),
            node("five", "number-input", value=5),
            node("total", "sum", numbers=[100, 200]),
            edges=[
                edge("list.json", "as_any.value"),
                edge("as_any.displayValue", "total.numbers"),
                edge("four.value", "total.numbers"),
                edge("five.value", "total.numbers"),
            ],
        )
    )
    assert result.node("total")["inputs"] == {"numbers": [1, 2, 3, 4, 5]}
    assert result.output("total") == 15


def test_edges_replace_a_repeated_literal(engine):
    result = engine.run(
        workflow(
            node("one", "number-input", value=1),
            node("total", "sum", numbers=[100, 200]),
            edges=[edge("one.value", "total.numbers")],
        )
    )
    assert result.output("total") == 1


def test_twenty_deep_chain_runs_to_the_end(engine):
    steps = [f"s{i:02}" for i in range(20)]
    result = engine.run(
        workflow(
            node("start", "number-input", value=0),
            *(node(s, "addition", b=1) for s in steps),
            edges=[edge("start.value", "s00.a"), *chain(*steps)],
        )
    )
    assert result.status == "completed"
    assert result.output("s19") == 20


def test_twenty_wide_fan_out_is_summed(engine):
    branches = [node(f"m{k:02}", "multiplication", b=k) for k in range(1, 21)]
    result = engine.run(
        workflow(
            node("one", "number-input", value=1),
            *branches,
            node("total", "sum"),
            edges=[
                e
                for b in branches
                for e in (
                    edge("one.value", f"{b['id']}.a"),
                    edge(f"{b['id']}.result", "total.numbers"),
                )
            ],
        )
    )
    assert result.output("total") == sum(range(1, 21))


def test_a_failed_member_of_an_inline_group_does_not_stop_the_others(engine):
    # All of these nodes are inlinable and ready together, so the planner groups them.
    result = engine.run(
        workflow(
            node("div", "division", a=1, b=0),
            node("after_div", "absolute-value"),
            node("independent", "addition", a=2, b=3),
            node("after_independent", "absolute-value"),
            edges=[
                edge("div.result", "after_div.value"),
                edge("independent.result", "after_independent.value"),
            ],
        )
    )
    assert result.statuses() == {
        "div": "error",
        "after_div": "skipped",
        "independent": "completed",
        "after_independent": "completed",
    }
    assert result.output("after_independent") == 5


def test_node_ids_that_read_alike_when_listed_run_as_units_of_their_own(engine):
    # Two inline groups, [x, "y, z"] and ["x, y", z], on either side of a random-number unit:
    # listed plainly, both read "x, y, z".
    result = engine.run(
        workflow(
            node("x", "number-input", value=5),
            node("y, z", "number-input", value=10),
            node("r", "random-number", max=6, integer=True),
            node("x, y", "addition"),
            node("z", "multiplication", b=2),
            edges=[
                edge("x.value", "r.min"),
                edge("r.value", "x, y.a"),
                edge("y, z.value", "x, y.b"),
                edge("r.value", "z.a"),
            ],
        )
    )
    assert result.status == "completed", result.record
    assert result.output("r", "value") == 5
    assert result.output("x, y") == 15
    assert result.output("z") == 10


def test_record_has_the_shape_of_the_spec(engine):
    flow = workflow(
        node("out", "output-number"),
        node("add", "addition", a=1, b=2),
        node("div", "division", a=1, b=0),
        node("root", "square-root", value=16),
        edges=[edge("add.result", "out.value")],
        workflow_id="shape-flow",
        name="Shape flow",
    )
    record = engine.run(flow).record
    assert isinstance(record["id"], str)
    assert record["id"]
    assert (record["workflowId"], record["workflowName"]) == ("shape-flow", "Shape flow")
    assert isinstance(record["organizationId"], str)
    assert record["organizationId"]
    assert record["status"] == "error"
    started, ended = (datetime.fromisoformat(record[k]) for k in ("startedAt", "endedAt"))
    assert started <= ended
    assert [e["nodeId"] for e in record["nodeExecutions"]] == ["out", "add", "div", "root"]
    completed = [e for e in record["nodeExecutions"] if e["status"] == "completed"]
    assert len(completed) == 3
    assert record["usage"] == sum(e["usage"] for e in completed) == 3


def test_invalid_workflow_is_recorded_as_an_error_naming_every_problem(engine):
    flow = workflow(
        node("a", "number-compare", a="one"),
        node("a", "addition"),
        node("mystery", "no-such-type"),
        node("b", "addition"),
        node("c", "addition"),
        edges=[edge("b.result", "ghost.a"), edge("b.result", "c.a"), edge("c.result", "b.a")],
    )
    result = engine.run(flow)
    assert result.status == "error"
    for code in (
        "INVALID_VALUE",
        "DUPLICATE_NODE_ID",
        "UNKNOWN_NODE_TYPE",
        "INVALID_CONNECTION",
        "CYCLE_DETECTED",
    ):
        assert code in result.record["error"]
    assert not any(e["status"] == "completed" for e in result.record["nodeExecutions"])


def test_a_run_refused_for_its_overrides_lists_every_node_idle_and_never_started(engine):
    flow = workflow(node("a", "number-input", value=1), node("b", "number-compare", b=1))
    result = engine.run(flow, inputs={"b": {"a": "many"}})
    assert result.status == "error"
    assert result.record["error"].startswith("Invalid workflow (1 problem): [INVALID_VALUE]")
    assert result.record["nodeExecutions"] == [
        {"nodeId": "a", "status": "idle", "usage": 0},
        {"nodeId": "b", "status": "idle", "usage": 0},
    ]
    assert "startedAt" not in result.record
    assert result.record["usage"] == 0


def test_too_few_credits_exhausts_the_execution_before_any_node_runs(engine):
    flow = workflow(
        node("a", "addition", a=1, b=2),
        node("b", "addition", a=1, b=2),
        node("c", "addition", a=1, b=2),
    )
    result = engine.run(flow, credits=2)
    assert result.status == "exhausted"
    assert result.record["error"] == "Insufficient compute credits"
    assert result.statuses() == {"a": "idle", "b": "idle", "c": "idle"}


def test_zero_credits_run_nothing(engine):
    # Zero is an amount of credits, not "no credit check".
    result = engine.run(workflow(node("a", "addition", a=1, b=2)), credits=0)
    assert result.status == "exhausted"
    assert result.record["error"] == "Insufficient compute credits"
    assert result.statuses() == {"a": "idle"}
    assert result.record["usage"] == 0


def test_credits_equal_to_the_estimate_are_enough(engine):
    flow = workflow(node("a", "addition", a=1, b=2), node("b", "addition", a=1, b=2))
    result = engine.run(flow, credits=2)
    assert result.status == "completed"
    assert result.record["usage"] == 2


def test_a_value_nested_too_deeply_is_refused_and_the_record_still_serializes(engine):
    nested: Any = 0
    for _ in range(300):
        nested = [nested]
    result = engine.run(workflow(node("j", "json-input", json=nested)))
    assert result.status == "error"
    assert "INVALID_VALUE" in result.record["error"]
    json.dumps(result.record)


def test_a_deep_value_made_at_run_time_fails_the_node_not_the_execution(engine):
    deep = "[" * 100 + "]" * 100  # text that parses as JSON 100 levels deep at an `any` input
    flow = workflow(
        node("t", "text-input", value=deep),
        node("show", "output-any"),
        edges=[edge("t.value", "show.value")],
    )
    result = engine.run(flow)
    assert "nested deeper than 64 levels" in result.error("show")
    assert result.node("t")["status"] == "completed"
