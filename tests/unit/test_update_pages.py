"""Live updates in pages: every message fits, and the pages hold every node in order."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lambdas.runtime.payload import encode
from lambdas.runtime.updates import ERROR_ROOM, MESSAGE_LIMIT, execution_updates


def pages_of(nodes: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return execution_updates(
        execution_id="e-1",
        workflow_id="w",
        status="completed",
        node_executions=nodes,
        **extra,
    )


def size(message: dict[str, Any]) -> int:
    return len(encode(message))


def test_ten_thousand_nodes_come_in_order_in_pages_that_each_fit_a_message() -> None:
    nodes = [{"nodeId": f"node-{i:05d}", "status": "idle", "usage": 0} for i in range(10_000)]

    pages = pages_of(nodes)

    assert len(pages) > 1
    assert max(size(p) for p in pages) <= MESSAGE_LIMIT
    assert [n for p in pages for n in p["nodeExecutions"]] == nodes
    assert [p["page"] for p in pages] == [
        {"index": i, "count": len(pages)} for i in range(1, len(pages) + 1)
    ]
    assert {(p["type"], p["executionId"], p["workflowId"], p["status"]) for p in pages} == {
        ("execution_update", "e-1", "w", "completed")
    }


def test_an_update_without_nodes_is_one_page() -> None:
    assert pages_of([]) == [
        {
            "type": "execution_update",
            "executionId": "e-1",
            "workflowId": "w",
            "status": "completed",
            "page": {"index": 1, "count": 1},
            "nodeExecutions": [],
        }
    ]


def test_a_node_with_an_error_too_long_for_a_message_keeps_its_beginning() -> None:
    error = "Bad value: " + "é" * 300_000
    nodes = [
        {"nodeId": "a", "status": "completed", "outputs": {"value": 1}},
        {"nodeId": "b", "status": "error", "inputs": {"value": 2}, "error": error},
    ]

    pages = pages_of(nodes)

    assert max(size(p) for p in pages) <= MESSAGE_LIMIT
    [a, b] = [n for p in pages for n in p["nodeExecutions"]]
    assert a == nodes[0]
    assert b["inputs"] == {"value": 2}
    assert b["error"].endswith("…")
    assert error.startswith(b["error"][:-1])
    assert ERROR_ROOM - 10 < len(encode(b["error"])) <= ERROR_ROOM


def test_a_node_whose_values_alone_exceed_a_message_is_sent_with_its_status_and_error() -> None:
    big = "x" * 200_000
    nodes = [
        {"nodeId": "small", "status": "completed", "inputs": {"v": 1}, "outputs": {"v": 1}},
        {"nodeId": "in", "status": "completed", "inputs": {"v": big}, "outputs": {"v": 1}},
        {"nodeId": "both", "status": "error", "inputs": {"v": big, "w": big}, "error": "Bad"},
    ]

    pages = pages_of(nodes)

    assert max(size(p) for p in pages) <= MESSAGE_LIMIT
    assert [n for p in pages for n in p["nodeExecutions"]] == [
        nodes[0],
        {"nodeId": "in", "status": "completed", "outputs": {"v": 1}},
        {"nodeId": "both", "status": "error", "error": "Bad"},
    ]
    assert nodes[2]["inputs"] == {"v": big, "w": big}  # what was given is left as it was


def test_a_long_execution_error_is_cut_in_every_page() -> None:
    pages = pages_of([{"nodeId": "a", "status": "error"}], error="Node 'a' failed: " + "z" * 50_000)

    [page] = pages
    assert page["error"].startswith("Node 'a' failed: zzz")
    assert page["error"].endswith("…")
    assert len(encode(page["error"])) <= ERROR_ROOM


@given(
    st.lists(
        st.tuples(st.text(max_size=3000), st.integers(min_value=-(2**70), max_value=2**70)),
        max_size=60,
    ),
    st.text(max_size=5000),
)
def test_every_page_fits_and_the_pages_keep_every_node_that_fits_in_order(
    values: list[tuple[str, int]], error: str
) -> None:
    limit = 8000  # small, so that pages turn often
    nodes = [
        {"nodeId": f"n{i}", "status": "completed", "outputs": {"text": text, "number": number}}
        for i, (text, number) in enumerate(values)
    ]

    pages = pages_of(nodes, error=error or None, limit=limit)

    assert max(size(p) for p in pages) <= limit
    assert [p["page"]["index"] for p in pages] == list(range(1, len(pages) + 1))
    sent = [n for p in pages for n in p["nodeExecutions"]]
    assert [n["nodeId"] for n in sent] == [n["nodeId"] for n in nodes]
    assert all(s == n for s, n in zip(sent, nodes, strict=True) if "outputs" in s)
