"""The limits on node outputs where the conformance suite cannot reach: a blob a node returns
(no catalog node does), the settings that carry the limits, and limits that make no sense."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lambdas.handlers.settings import OutputLimitSettings
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.output_limits import (
    EXECUTION_SETTING,
    OUTPUT_SETTING,
    OutputBudget,
    OutputLimits,
)
from lambdas.runtime.registry import Registry
from local.inprocess import InProcessEngine
from local.memory import MemoryBlobStore
from statemachine.model import ParameterType
from tests.support.workflows import node, workflow

family = NodeFamily("Test")


@family.node(
    "make-file",
    "Make file",
    "A file of `size` bytes",
    inputs=(port("size", ParameterType.NUMBER, required=True),),
    outputs=(port("file", ParameterType.BLOB),),
)
def make_file(ctx: NodeContext) -> Mapping[str, Any]:
    return {"file": Blob(b"x" * ctx.inputs["size"], "application/octet-stream")}


class CountingBlobs(MemoryBlobStore):
    def __init__(self) -> None:
        super().__init__()
        self.stored = 0

    def put(self, blob: Blob) -> dict[str, Any]:
        self.stored += 1
        return super().put(blob)


def run_make_file(size: int) -> tuple[dict[str, Any], int]:
    """The node execution of a make-file node of `size` bytes, and how many blobs were stored."""
    blobs = CountingBlobs()
    engine = InProcessEngine(
        Registry([*default_registry().values(), *family.node_types]),
        blobs=blobs,
        limits=OutputLimits(per_output=1000, per_execution=5000),
    )
    record = engine.run(workflow(node("f", "make-file", size=size))).to_json()
    return record["nodeExecutions"][0], blobs.stored


def test_a_blob_a_node_returns_counts_its_bytes_and_is_not_stored_past_the_limit() -> None:
    failed, stored = run_make_file(1001)

    assert failed["error"] == (
        "Output 'file' is 1,001 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
    assert stored == 0


def test_a_blob_a_node_returns_at_the_limit_is_stored() -> None:
    completed, stored = run_make_file(1000)

    assert completed["status"] == "completed"
    assert completed["outputs"]["file"]["mimeType"] == "application/octet-stream"
    assert stored == 1


def test_the_settings_are_read_from_the_variables_the_messages_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(OUTPUT_SETTING, "1000")
    monkeypatch.setenv(EXECUTION_SETTING, "5000")

    assert OutputLimitSettings().output_limits == OutputLimits(1000, 5000)


def test_without_settings_the_limits_are_64_mib_per_output_and_1_gib_per_execution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OUTPUT_SETTING, raising=False)
    monkeypatch.delenv(EXECUTION_SETTING, raising=False)

    assert OutputLimitSettings().output_limits == OutputLimits(64 * 2**20, 2**30)


@pytest.mark.parametrize(("per_output", "per_execution"), [(0, 1000), (1000, 0), (-1, 1000)])
def test_a_limit_below_one_byte_is_refused(per_output: int, per_execution: int) -> None:
    with pytest.raises(ValueError, match="above 0"):
        OutputLimits(per_output, per_execution)


def test_with_the_default_limits_a_string_doubled_thirty_times_stops_at_its_26th_node() -> None:
    """What the README says bounds serve's memory: node d<n> of a doubling chain holds 2**n
    letters, measured as 2**n + 2 bytes; with the defaults the first over the limit per output
    is d26, and all before it fit the limit per execution, so no node holds more than 64 MiB."""
    budget = OutputBudget()
    for step in range(8):  # as the engines measure the first ones
        budget.admit({"result": "a" * 2**step}, {})
    assert budget.produced == sum(2**step + 2 for step in range(8))

    sizes = [2**step + 2 for step in range(31)]
    stopped = next(step for step, size in enumerate(sizes) if size > budget.limits.per_output)
    assert (stopped, sizes[stopped]) == (26, 67_108_866)
    assert sum(sizes[:stopped]) < budget.limits.per_execution
