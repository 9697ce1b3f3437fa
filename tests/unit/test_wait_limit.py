"""A short-lived execution's waits at run time: one that would end after Express stops the
execution fails its node, counting the time already spent (earlier waits included)."""

from __future__ import annotations

import time

import pytest

from lambdas.nodes.date import wait
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import ExecutionEnvironment, NodeContext
from local.memory import MappingSource, MemoryBlobStore


def waiting(seconds: float, ends_in: float) -> NodeContext:
    environment = ExecutionEnvironment(
        workflow_id="w",
        execution_id="e",
        organization_id="o",
        secrets=MappingSource(),
        integrations=MappingSource(),
        blobs=MemoryBlobStore(),
        ends_by=time.time() + ends_in,
        defer_waits=True,
    )
    return NodeContext("pause", wait.spec, {"seconds": seconds, "value": 1}, environment)


def test_a_wait_that_fits_the_time_left_passes_its_value_on() -> None:
    assert wait.run(waiting(50, ends_in=100)) == {"value": 1}


def test_a_wait_that_would_end_after_express_stops_the_execution_fails() -> None:
    # 200 s into a short-lived execution, 100 s are left: 150 s do not fit
    with pytest.raises(NodeError) as raised:
        wait.run(waiting(150, ends_in=100))

    assert str(raised.value) == (
        "Waiting 150 s would take this execution past the 300 s an Express state machine "
        "lets a short-lived workflow run"
    )
