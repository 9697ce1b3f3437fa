"""The limits on the data of node outputs, one output and one execution's (SPEC §5): past
either, the node that would pass it fails naming the limit, and the execution goes on.

Each test sets small limits, as a deployment can, so that a few hundred kilobytes reach them.
"""

from __future__ import annotations

import json
from typing import Any

from lambdas.runtime.output_limits import OutputLimits
from tests.conformance.conftest import Engine, Result
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.workflows import doubling, edge, node, workflow

LIMITS = OutputLimits(per_output=1_000_000, per_execution=2_000_000)


def json_bytes(value: Any) -> int:
    """The bytes of `value` as compact UTF-8 JSON, as outputs are measured."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def fetched_bytes(result: Result, node_id: str, blob_size: int) -> int:
    """What the outputs of a completed fetch of a `blob_size`-byte blob hold."""
    outputs = result.node(node_id)["outputs"]
    return blob_size + sum(json_bytes(v) for name, v in outputs.items() if name != "body")


def test_a_value_over_the_output_limit_fails_its_node_and_the_execution_goes_on(
    engine: Engine,
) -> None:
    flow = workflow(
        node("t", "text-input"),
        node("upper", "string-to-upper-case"),
        node("n", "number-input", value=2),
        node("sum", "addition", b=3),
        edges=[edge("t.value", "upper.string"), edge("n.value", "sum.a")],
    )

    result = engine.run(flow, inputs={"t": {"value": "a" * 1_000_001}}, limits=LIMITS)

    assert result.error("t") == (
        "Output 'value' is 1,000,003 bytes, over the 1,000,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
    assert result.node("upper")["status"] == "skipped"
    assert result.node("upper")["skipReason"] == "upstream_failure"
    assert result.output("sum") == 5
    assert result.status == "error"


def test_a_value_at_the_output_limit_passes(engine: Engine) -> None:
    flow = workflow(node("t", "text-input"))

    result = engine.run(flow, inputs={"t": {"value": "a" * 999_998}}, limits=LIMITS)

    assert result.status == "completed"
    assert len(result.output("t", "value")) == 999_998


def test_a_blob_counts_its_bytes_against_the_output_limit(
    engine: Engine, http_server: LocalServer
) -> None:
    flow = workflow(
        node("small", "fetch", url=http_server.url("/bytes?size=999000")),
        node("large", "fetch", url=http_server.url("/bytes?size=1000001")),
    )

    result = engine.run(flow, limits=LIMITS)

    assert result.output("small", "body")["mimeType"] == "application/octet-stream"
    assert result.error("large") == (
        "Output 'body' is 1,000,001 bytes, over the 1,000,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )


def test_outputs_past_the_execution_limit_fail_the_node_that_would_pass_it(
    engine: Engine,
) -> None:
    # Three 600,002-byte outputs fit 2,000,000 bytes, a fourth does not; on Step Functions the
    # wait ends the task, so the count must travel in the state to the task after it.
    flow = workflow(
        node("t", "text-input"),
        node("upper", "string-to-upper-case"),
        node("w", "wait", seconds=0),
        node("lower", "string-to-lower-case"),
        node("again", "string-to-upper-case"),
        edges=[
            edge("t.value", "upper.string"),
            edge("upper.result", "w.value"),
            edge("w.value", "lower.string"),
            edge("lower.result", "again.string"),
        ],
    )

    result = engine.run(flow, inputs={"t": {"value": "a" * 600_000}}, limits=LIMITS)

    assert [result.node(n)["status"] for n in ("t", "upper", "w")] == ["completed"] * 3
    assert result.error("lower") == (
        "The node's outputs (600,002 bytes) would bring this execution's node outputs to "
        "2,400,008 bytes, over the 2,000,000-byte limit per execution "
        "(STEPTHUNK_MAX_EXECUTION_BYTES)"
    )
    assert result.node("again")["skipReason"] == "upstream_failure"
    assert result.status == "error"


def test_the_execution_limit_counts_every_branch_of_a_fan_out_once(
    engine: Engine, http_server: LocalServer
) -> None:
    # Two waves of two fetches (Parallel states on Step Functions, the second carrying the
    # first's results), then a join: it sees all four blobs, each counted once.
    blob = 400_000
    url = http_server.url(f"/bytes?size={blob}")
    flow = workflow(
        node("f1", "fetch", url=url),
        node("f2", "fetch", url=url),
        node("g1", "fetch", url=url, method="POST"),
        node("g2", "fetch", url=url, method="POST"),
        node("big", "string-concat"),
        node("small", "string-concat"),
        edges=[
            edge("f1.statusText", "g1.body"),
            edge("f2.statusText", "g2.body"),
            edge("g1.statusText", "big.input_1"),
            edge("g2.statusText", "big.input_2"),
            edge("g1.statusText", "small.input_1"),
            edge("g2.statusText", "small.input_2"),
        ],
    )

    result = engine.run(flow, inputs={"big": {"input_3": "a" * 400_000}}, limits=LIMITS)

    fetched = sum(fetched_bytes(result, n, blob) for n in ("f1", "f2", "g1", "g2"))
    assert result.error("big") == (
        f"The node's outputs (400,006 bytes) would bring this execution's node outputs to "
        f"{fetched + 400_006:,} bytes, over the 2,000,000-byte limit per execution "
        "(STEPTHUNK_MAX_EXECUTION_BYTES)"
    )
    assert result.output("small") == "OKOK"


def test_a_blob_passed_on_counts_as_its_reference(engine: Engine, http_server: LocalServer) -> None:
    flow = workflow(
        node("f", "fetch", url=http_server.url("/bytes?size=900000")),
        node("a", "json-agg"),
        node("b", "json-agg"),
        node("c", "json-agg"),
        edges=[
            edge("f.body", "a.values"),
            edge("a.result", "b.values"),
            edge("b.result", "c.values"),
        ],
    )

    result = engine.run(flow, limits=LIMITS)

    assert result.status == "completed"
    assert result.output("c") == [result.output("f", "body")]


def test_a_string_doubled_thirty_times_fails_the_node_that_passes_the_output_limit(
    engine: Engine,
) -> None:
    result = engine.run(doubling(30), limits=LIMITS)

    assert [result.node(f"d{n}")["status"] for n in range(20)] == ["completed"] * 20
    assert len(result.output("d19")) == 2**19
    assert result.error("d20") == (
        "Output 'result' is 1,048,578 bytes, over the 1,000,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
    assert result.node("d20").get("outputs") is None
    skipped = [result.node(f"d{n}")["skipReason"] for n in range(21, 31)]
    assert skipped == ["upstream_failure"] * 10
    assert result.status == "error"


def test_a_replacement_that_would_pass_the_output_limit_fails_before_it_is_built(
    engine: Engine,
) -> None:
    # $` repeats the text before each match: the 1,415th match of 2,000 letters brings the
    # replacements to 1,000,405 characters, and the result would be about two million.
    flow = workflow(
        node("r", "regex-replace", string="a" * 2000, pattern=".", replacement="$`", flags="g")
    )

    result = engine.run(flow, limits=LIMITS)

    assert result.error("r") == (
        "Output 'result' would be at least 1,000,407 bytes, over the 1,000,000-byte limit per "
        "node output (STEPTHUNK_MAX_OUTPUT_BYTES)"
    )


def test_an_index_whose_padding_would_pass_the_output_limit_fails_before_padding(
    engine: Engine,
) -> None:
    flow = workflow(node("s", "json-set", json=[], path="$[300000]", value=1))

    result = engine.run(flow, limits=LIMITS)

    assert result.error("s") == (
        "Output 'result' would be at least 1,500,000 bytes, over the 1,000,000-byte limit per "
        "node output (STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
