"""Damaged workflow documents for the property and bad-input tests: random JSON, and a valid
workflow (BASE) with keys dropped or replaced, odd ports, duplicated ids and dangling edges."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from tests.support.workflows import edge, node, workflow

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["addition", "sum", "json-input", "a", "b", "result", "value", "numbers"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "type", "name", "value"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


BASE = workflow(
    node("n", "number-input", value=3),
    node("list", "json-input", json=[1, 2]),
    node("add", "addition", b=4),
    node("total", "sum"),
    node("fork", "conditional-fork", condition=True),
    node("cat", "string-concat", input_1="x", input_2="y"),
    edges=[
        edge("n.value", "add.a"),
        edge("add.result", "total.numbers"),
        edge("total.result", "fork.value"),
        edge("list.json", "fork.value"),
    ],
)
HUGE = ["é" * 100_000, "\U0001f600\x00\u202e\ud800" * 1000, "9" * 5000]


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _containers(document: Any) -> list[Any]:
    """The dicts and lists of `document`, not looking below a few levels (deep values are ours)."""
    found, level = [], [document]
    for _ in range(6):
        found += level
        children = [c for x in level for c in (x.values() if isinstance(x, dict) else x)]
        level = [c for c in children if isinstance(c, dict | list)]
    return found


PORT_NAMES = st.sampled_from(
    ["input_3", "input_0", "input_01", "case_2", "input_" + "9" * 5000, "numbers", "", "a"]
) | st.text(max_size=12)
ENDPOINTS = st.sampled_from(["n", "add", "total", "ghost", ""]) | st.text(max_size=3)


@st.composite
def mutated_workflows(draw: st.DrawFn) -> Any:
    """BASE with keys dropped or replaced, odd ports, duplicated ids and dangling edges."""
    document = copy.deepcopy(BASE)
    operations = ["drop", "replace", "huge", "deep", "duplicate", "dangle", "port"]
    for operation in draw(st.lists(st.sampled_from(operations), min_size=1, max_size=6)):
        nodes, edges = document.get("nodes"), document.get("edges")
        if operation == "duplicate":
            if isinstance(nodes, list) and nodes:
                nodes.append(copy.copy(draw(st.sampled_from(nodes))))
            continue
        if operation == "port":
            if isinstance(nodes, list):
                port = {"name": draw(PORT_NAMES), "value": draw(JSON | st.text(max_size=3))}
                node_type = draw(st.sampled_from(["string-concat", "switch-fork", "addition"]))
                nodes.append({"id": draw(ENDPOINTS), "type": node_type, "inputs": [port]})
            continue
        if operation == "dangle":
            if isinstance(edges, list):
                source, target = draw(ENDPOINTS), draw(ENDPOINTS)
                edges.append(edge(f"{source}.result", f"{target}.{draw(PORT_NAMES)}"))
            continue
        containers = [c for c in _containers(document) if c]
        if not containers:
            break
        container = draw(st.sampled_from(containers))
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        key = draw(st.sampled_from(keys))
        if operation == "drop":
            del container[key]
        elif operation == "replace":
            container[key] = draw(JSON)
        elif operation == "huge":
            container[key] = draw(st.sampled_from(HUGE))
        else:
            container[key] = _deep(draw(st.sampled_from([50, 5_000, 50_000])))
    return document
