"""The count of node output bytes on Step Functions: a small number in the state, which a task
computes from its input alone, so that a task retried after it did its work counts once."""

from __future__ import annotations

import pytest

from lambdas.runtime.errors import TransientError
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.payload import value_prefix
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.runs import Fault, Faults, new_organization, run
from tests.support.workflows import doubling, edge, node, workflow

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


def test_an_output_over_the_limit_is_refused_before_it_is_stored(limited: EmbeddedEngine) -> None:
    # Values over 8 KiB travel through the bucket: d19's 524,290 bytes are there, d20's
    # 1,048,578 never were.
    organization = new_organization()
    finished = run(limited, doubling(22), organization_id=organization)

    assert finished.record.status == "error"
    s3 = limited.clients.s3
    listed = s3.list_objects_v2(
        Bucket=limited.deployment.settings["blob_bucket"], Prefix=value_prefix(organization)
    )
    sizes = [entry["Size"] for entry in listed.get("Contents", [])]
    assert max(sizes) == 2**19 + 2


def test_the_execution_limit_counts_the_outputs_of_every_part(cloud: LocalCloud) -> None:
    # A workflow too large for one state machine runs in parts: the count goes from each
    # part to the next, so that no workflow escapes the limit by its size.
    engine = EmbeddedEngine(
        cloud=cloud,
        max_group_size=1,
        max_definition_bytes=12_000,
        limits=OutputLimits(per_output=10_000_000, per_execution=1_000_000),
    )

    finished = run(engine, doubling(30))

    assert len([name for name in finished.entered() if name.startswith("Run part ")]) > 1
    assert finished.record.node("d19").error == (
        "The node's outputs (524,290 bytes) would bring this execution's node outputs to "
        "1,048,615 bytes, over the 1,000,000-byte limit per execution "
        "(STEPTHUNK_MAX_EXECUTION_BYTES)"
    )
