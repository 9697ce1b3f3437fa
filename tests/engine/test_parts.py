"""A workflow too large for one state machine runs in parts on the embedded engine.

The engines here may take 12 KB of definition per machine (Step Functions takes 1 MB), so a
chain of 60 nodes, one unit each, needs several parts: the record must be the one a single
machine gives, and a failure in a part must still reach Finalize with what ran before it.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.runtime.errors import TransientError
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.runs import Fault, Faults, run
from tests.support.workflows import edge, node, workflow

LENGTH = 60
SMALL = 12_000


def chain(length: int = LENGTH) -> dict[str, Any]:
    """n0 = 1, each next node adds one; a zero-second wait in the middle passes it on."""
    nodes = [node("n0", "number-input", value=1)]
    edges = []
    for i in range(1, length):
        if i == length // 2:
            nodes.append(node(f"n{i}", "wait", seconds=0))
            edges.append(edge(f"n{i - 1}.result", f"n{i}.value"))
            continue
        nodes.append(node(f"n{i}", "addition", b=1))
        source = "value" if i == 1 or i - 1 == length // 2 else "result"
        edges.append(edge(f"n{i - 1}.{source}", f"n{i}.a"))
    return workflow(*nodes, edges=edges)


@pytest.fixture(scope="module")
def split(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, max_group_size=1, max_definition_bytes=SMALL)


@pytest.fixture(scope="module")
def whole(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud, max_group_size=1)


def comparable(record: Any) -> dict[str, Any]:
    data: dict[str, Any] = record.to_json()
    return {
        k: v for k, v in data.items() if k not in {"id", "organizationId", "startedAt", "endedAt"}
    }


def test_a_workflow_in_parts_ends_with_the_record_of_one_machine(
    split: EmbeddedEngine, whole: EmbeddedEngine
) -> None:
    in_parts = run(split, chain())
    at_once = run(whole, chain())

    parts = [name for name in in_parts.entered() if name.startswith("Run part ")]
    assert len(parts) > 2
    assert in_parts.record.status == "completed", in_parts.record.error
    assert comparable(in_parts.record) == comparable(at_once.record)
    assert in_parts.record.node(f"n{LENGTH - 1}").outputs == {"result": LENGTH - 1}
    assert in_parts.description["status"] == "SUCCEEDED"


def test_a_failure_outlasting_its_retries_in_a_part_reaches_finalize_with_what_ran(
    split: EmbeddedEngine, faults: Faults
) -> None:
    broken = "n5"  # in the first part
    faults.inject(
        split, "run_node", Fault(TransientError, "the node's Lambda keeps failing", node=broken)
    )

    finished = run(split, chain())

    nodes = {e.node_id: e for e in finished.record.node_executions}
    assert finished.record.status == "error"
    assert "the node's Lambda keeps failing" in (finished.record.error or "")
    assert nodes["n4"].status == "completed"  # ran before, in the same part
    assert nodes[broken].status == "idle"
    assert nodes[f"n{LENGTH - 1}"].status == "idle"
    parts = [name for name in finished.entered() if name.startswith("Run part ")]
    assert parts == [parts[0]], "a part after the failed one ran"
    assert finished.entered()[-3:] == ["Finalize", "Outcome", "Failed"]
    assert finished.description["error"] == "WorkflowExecutionError"


def test_tasks_that_read_their_nodes_by_hash_keep_a_workflow_in_one_machine(
    cloud: LocalCloud, whole: EmbeddedEngine
) -> None:
    """Over the limit with its nodes in the definition, under it with their ids alone."""
    engine = EmbeddedEngine(cloud=cloud, max_group_size=1, max_definition_bytes=40_000)

    by_hash = run(engine, chain())

    assert not [name for name in by_hash.entered() if name.startswith("Run part ")]
    assert comparable(by_hash.record) == comparable(run(whole, chain()).record)
    [unit_input] = by_hash.entered_inputs("Run node n7")
    assert unit_input["workflowKey"].startswith("workflows/")


def test_a_ten_megabyte_value_flows_between_nodes(whole: EmbeddedEngine) -> None:
    """Given at run time and as a literal (then read by hash): the value goes by reference."""
    text = "stepthunk " * 1_048_576  # 10 MiB
    raw = workflow(
        node("text", "text-input", value=""),
        node("upper", "string-to-upper-case"),
        node("ends", "string-concat", input_2="!"),
        node("shown", "output-text"),
        edges=[
            edge("text.value", "upper.string"),
            edge("upper.result", "ends.input_1"),
            edge("ends.result", "shown.value"),
        ],
    )

    given = run(whole, raw, inputs={"text": {"value": text}})
    literal = run(
        whole, {**raw, "nodes": [node("text", "text-input", value=text), *raw["nodes"][1:]]}
    )

    for finished in (given, literal):
        assert finished.record.status == "completed", finished.record.error
        loaded = whole.record(finished.record.id).node("shown").outputs
        assert loaded == {"displayValue": text.upper() + "!"}


def test_the_functions_take_a_stored_workflow_as_the_engine_deployed_it(
    cloud: LocalCloud, whole: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the bucket and validated by none of them: in one process, the engine that
    stored the workflow hands it over as validated (on AWS, each function reads it once)."""
    from lambdas.runtime import stored

    engine = EmbeddedEngine(cloud=cloud, max_group_size=1, max_definition_bytes=40_000)
    read: list[str] = []
    validated: list[str] = []
    validate = stored.validate_workflow  # type: ignore[attr-defined]

    def counted(workflow: Any, catalog: Any) -> Any:
        validated.append(workflow["id"])
        return validate(workflow, catalog)

    def reading(params: dict[str, Any], **_: Any) -> None:
        read.append(params["Key"])

    monkeypatch.setattr(stored, "validate_workflow", counted)
    engine.clients.s3.meta.events.register("before-parameter-build.s3.GetObject", reading)
    try:
        by_hash = run(engine, chain())
    finally:
        engine.clients.s3.meta.events.unregister("before-parameter-build.s3.GetObject", reading)

    [unit_input] = by_hash.entered_inputs("Run node n7")
    assert unit_input["workflowKey"].startswith("workflows/")
    assert comparable(by_hash.record) == comparable(run(whole, chain()).record)
    assert [key for key in read if key.startswith("workflows/")] == []
    assert validated == []
