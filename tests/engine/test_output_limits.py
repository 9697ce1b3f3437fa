"""The count of node output bytes on Step Functions: a small number in the state, which a task
computes from its input alone, so that a task retried after it did its work counts once."""

from __future__ import annotations

import pytest

from lambdas.runtime.errors import TransientError
from lambdas.runtime.output_limits import OutputLimits
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.engine.conftest import Fault, Faults, run
from tests.workflows import edge, node, workflow

# Three 600,002-byte outputs fit; a fourth, or one of them counted twice, would not.
LIMITS = OutputLimits(per_output=1_000_000, per_execution=2_000_000)
FLOW = workflow(
    node("t", "text-input"),
    node("u", "string-to-upper-case"),
    node("v", "string-to-lower-case"),
    edges=[edge("t.value", "u.string"), edge("u.result", "v.string")],
)
INPUTS = {"t": {"value": "a" * 600_000}}


@pytest.fixture(scope="module")
def limited(cloud: LocalCloud) -> EmbeddedEngine:
    """A deployment with small limits, every node a unit (a task) of its own."""
    return EmbeddedEngine(cloud=cloud, max_group_size=1, limits=LIMITS)


def test_the_state_carries_the_bytes_of_the_outputs_so_far(limited: EmbeddedEngine) -> None:
    finished = run(limited, FLOW, inputs=INPUTS)

    assert finished.record.status == "completed"
    [finalize] = finished.entered_inputs("Finalize")
    assert finalize["outputBytes"] == 3 * 600_002


def test_a_task_retried_after_it_did_its_work_counts_its_outputs_once(
    limited: EmbeddedEngine, faults: Faults
) -> None:
    lost = faults.inject(
        limited,
        "run_node",
        Fault(TransientError, "response lost", times=2, node="u", after_real_call=True),
    )

    finished = run(limited, FLOW, inputs=INPUTS)

    assert lost.attempts == 3
    assert finished.record.status == "completed"
    assert [e.status for e in finished.record.node_executions] == ["completed"] * 3
