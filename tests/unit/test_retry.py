"""What a retry keeps: completed nodes whose every upstream node is kept too, at no charge."""

from __future__ import annotations

from lambdas.nodes import default_registry
from lambdas.runtime.record import NodeExecution, NodeStatus
from lambdas.runtime.retry import reusable
from statemachine.validation import validate_workflow
from tests.workflows import edge, node, workflow

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
