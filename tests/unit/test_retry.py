"""What a retry keeps: completed nodes whose every upstream node is kept too, at no charge."""

from __future__ import annotations

from lambdas.nodes import default_registry
from lambdas.runtime.record import NodeExecution, NodeStatus
from lambdas.runtime.reuse import reusable
from statemachine.validation import validate_workflow
from tests.support.workflows import edge, node, workflow

DIAMOND = validate_workflow(
    workflow(
        node("a", "number-input", value=1),
        node("good", "addition", b=1),
        node("bad", "division", b=0),
        node("meet", "sum"),
        node("after-good", "addition", b=1),
        edges=[
            edge("a.value", "good.a"),
            edge("a.value", "bad.a"),
            edge("good.result", "meet.numbers"),
            edge("bad.result", "meet.numbers"),
            edge("good.result", "after-good.a"),
        ],
    ),
    default_registry().catalog,
)


def executions(**statuses: str) -> list[NodeExecution]:
    return [
        NodeExecution(node_id=node_id.replace("_", "-"), status=NodeStatus(status), usage=1)
        for node_id, status in statuses.items()
    ]


def test_completed_nodes_upstream_of_nothing_that_reruns_are_kept_free_of_charge():
    kept = reusable(
        DIAMOND,
        executions(
            a="completed", good="completed", bad="error", meet="completed", after_good="completed"
        ),
    )
    assert [e.node_id for e in kept] == ["a", "good", "after-good"]
    assert {e.usage for e in kept} == {0}


def test_a_node_that_ran_on_a_failed_input_runs_again():
    kept = reusable(
        DIAMOND,
        executions(
            a="completed", good="completed", bad="error", meet="completed", after_good="idle"
        ),
    )
    assert "meet" not in [e.node_id for e in kept]
    assert "after-good" not in [e.node_id for e in kept]


def test_nothing_is_kept_below_a_node_that_never_ran():
    kept = reusable(
        DIAMOND, executions(a="idle", good="completed", bad="completed", meet="completed")
    )
    assert kept == []


def version(*, bad_b: int = 0, good_name: str | None = None, meet_last: bool = False):
    """DIAMOND, with `bad`'s literal b, `good`'s name and the order of `meet`'s edges varied."""
    good = node("good", "addition", b=1)
    if good_name is not None:
        good["name"] = good_name
    into_meet = [edge("good.result", "meet.numbers"), edge("bad.result", "meet.numbers")]
    if meet_last:
        into_meet.reverse()
    return validate_workflow(
        workflow(
            node("a", "number-input", value=1),
            good,
            node("bad", "division", b=bad_b),
            node("meet", "sum"),
            node("after-good", "addition", b=1),
            edges=[
                edge("a.value", "good.a"),
                edge("a.value", "bad.a"),
                *into_meet,
                edge("good.result", "after-good.a"),
            ],
        ),
        default_registry().catalog,
    )


ALL_COMPLETED = executions(
    a="completed", good="completed", bad="completed", meet="completed", after_good="completed"
)


def test_against_another_version_a_changed_node_and_all_below_it_run_again():
    kept = reusable(version(bad_b=2), ALL_COMPLETED, ran=version(bad_b=0))
    assert [e.node_id for e in kept] == ["a", "good", "after-good"]


def test_against_another_version_a_new_order_of_edges_into_a_node_runs_it_again():
    kept = reusable(version(meet_last=True), ALL_COMPLETED, ran=version())
    assert [e.node_id for e in kept] == ["a", "good", "bad", "after-good"]


def test_against_another_version_a_renamed_node_still_holds_and_a_new_one_runs():
    renamed = version(good_name="Add one")
    assert len(reusable(renamed, ALL_COMPLETED, ran=version())) == 5
    kept = reusable(version(), executions(a="completed", good="completed"), ran=version())
    assert [e.node_id for e in kept] == ["a", "good"]
