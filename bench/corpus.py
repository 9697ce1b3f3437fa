"""The benchmark corpus: eleven workflows, from a tiny one to 10,000 nodes, each deterministic.

Every function returns a workflow in Dafthunk's wire format. `corpus()` gathers them as
`Case`s, with what a run needs besides the workflow: run-time inputs, a check of the result.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.foundation import chain
from bench.stepfunctions import mixed_twenty
from lambdas.runtime.record import ExecutionRecord
from tests.support.workflows import edge, node, workflow

SECRET_NAME = "TOKEN"
SECRET_VALUE = "bench-token-5f1c"
FETCH_COUNT = 10
FETCH_DELAY_S = 0.2  # how long the local server takes to answer each fetch of fetch-heavy
LARGE_VALUE_BYTES = 10 * 1024 * 1024
LARGEST = "10,000 nodes"  # the case whose compile time and completion are targets

Check = Callable[[ExecutionRecord], str | None]


@dataclass(frozen=True)
class Case:
    """One corpus workflow and how to run it.

    `large` cases are timed once rather than best of several. `check` returns what is wrong
    with a completed record, or None.
    """

    name: str
    workflow: dict[str, Any]
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    large: bool = False
    check: Check | None = None


def tiny() -> dict[str, Any]:
    """Three nodes: a number, doubled, shown."""
    return workflow(
        node("x", "number-input", value=21),
        node("double", "multiplication", b=2),
        node("show", "output-number"),
        edges=[edge("x.value", "double.a"), edge("double.result", "show.value")],
        workflow_id="tiny",
        name="Tiny",
    )


def mixed() -> dict[str, Any]:
    """bench/stepfunctions.py's 20 nodes of every family, with a fork and join."""
    return mixed_twenty()


def wide_fan_out(width: int = 100) -> dict[str, Any]:
    """One number fanned out to `width` multiplications, summed back into one output."""
    branches = [node(f"times{k}", "multiplication", b=k) for k in range(width)]
    edges = [edge("x.value", f"times{k}.a") for k in range(width)]
    edges += [edge(f"times{k}.result", "total.numbers") for k in range(width)]
    return workflow(
        node("x", "number-input", value=3),
        *branches,
        node("total", "sum"),
        node("show", "output-number"),
        edges=[*edges, edge("total.result", "show.value")],
        workflow_id="wide",
        name=f"{width}-way fan-out",
    )


def deep_chain(depth: int = 200) -> dict[str, Any]:
    """`depth` additions, each adding 1 to the one before."""
    return chain("addition", depth, b=1)


def conditional_heavy(stages: int = 8) -> dict[str, Any]:
    """`stages` conditional fork/join pairs in a row, then a 3-case switch fork/join."""
    rng = random.Random(8)
    nodes = [node("start", "number-input", value=1)]
    edges = []
    previous = "start.value"
    for k in range(stages):
        nodes += [
            node(f"cond{k}", "boolean-input", value=rng.random() < 0.5),
            node(f"fork{k}", "conditional-fork"),
            node(f"yes{k}", "multiplication", b=2),
            node(f"no{k}", "addition", b=3),
            node(f"join{k}", "conditional-join"),
        ]
        edges += [
            edge(previous, f"fork{k}.value"),
            edge(f"cond{k}.value", f"fork{k}.condition"),
            edge(f"fork{k}.true", f"yes{k}.a"),
            edge(f"fork{k}.false", f"no{k}.a"),
            edge(f"yes{k}.result", f"join{k}.true"),
            edge(f"no{k}.result", f"join{k}.false"),
        ]
        previous = f"join{k}.result"
    cases = ["a", "b", "c"]
    nodes += [
        node("selector", "text-input", value="b"),
        node("switch", "switch-fork", **{f"case_{i}": key for i, key in enumerate(cases, 1)}),
        *(node(f"case{i}", "addition", b=10 * i) for i in range(1, len(cases) + 1)),
        node("fallback", "absolute-value"),
        node("merge", "switch-join"),
        node("show", "output-number"),
    ]
    edges += [edge(previous, "switch.value"), edge("selector.value", "switch.selector")]
    for i in range(1, len(cases) + 1):
        edges += [
            edge(f"switch.case_{i}", f"case{i}.a"),
            edge(f"case{i}.result", f"merge.case_{i}"),
        ]
    edges += [
        edge("switch.default", "fallback.value"),
        edge("fallback.result", "merge.default"),
        edge("merge.result", "show.value"),
    ]
    return workflow(*nodes, edges=edges, workflow_id="conditional", name="Conditional-heavy")


def fetch_heavy(base_url: str, count: int = FETCH_COUNT) -> dict[str, Any]:
    """`count` independent fetches of `/item/k`; their values summed, their bodies gathered."""
    nodes = []
    edges = []
    for k in range(count):
        nodes += [
            node(f"fetch{k}", "fetch", url=f"{base_url}/item/{k}"),
            node(f"value{k}", "json-extract-number", path="$.value"),
        ]
        edges += [
            edge(f"fetch{k}.body", f"value{k}.json"),
            edge(f"value{k}.value", "total.numbers"),
            edge(f"fetch{k}.body", "bodies.values"),
        ]
    return workflow(
        *nodes,
        node("total", "sum"),
        node("bodies", "json-agg"),
        node("show-total", "output-number"),
        node("show-bodies", "output-json"),
        edges=[
            *edges,
            edge("total.result", "show-total.value"),
            edge("bodies.result", "show-bodies.value"),
        ],
        workflow_id="fetch-heavy",
        name=f"{count} fetches",
    )


def random_dag(node_count: int, seed: int) -> dict[str, Any]:
    """`node_count` nodes, about two edges each from the 200 before: one in ten a
    `random-number` (a task of its own), the rest `avg` (inline; an average stays bounded)."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    edges = []
    for i in range(node_count):
        if i % 10 == 5:
            nodes.append(node(f"n{i}", "random-number"))
            continue
        sources = rng.sample(range(max(0, i - 200), i), k=min(i, 2))
        nodes.append(node(f"n{i}", "avg") if sources else node(f"n{i}", "avg", numbers=[1]))
        for source in sorted(sources):
            output = "value" if nodes[source]["type"] == "random-number" else "result"
            edges.append(edge(f"n{source}.{output}", f"n{i}.numbers"))
    return workflow(
        *nodes, edges=edges, workflow_id=f"dag-{node_count}", name=f"{node_count:,} nodes"
    )


def large_payload(size: int = LARGE_VALUE_BYTES) -> dict[str, Any]:
    """A text input (given `size` bytes at run time) through upper-casing, a concat and a
    search into two outputs. `large_payload_inputs` is the value."""
    return workflow(
        node("text", "text-input", value=""),
        node("upper", "string-to-upper-case"),
        node("concat", "string-concat", input_2=" END"),
        node("has-end", "string-includes", needle="END"),
        node("show", "output-text"),
        node("flag", "output-boolean"),
        edges=[
            edge("text.value", "upper.string"),
            edge("upper.result", "concat.input_1"),
            edge("concat.result", "has-end.haystack"),
            edge("concat.result", "show.value"),
            edge("has-end.result", "flag.value"),
        ],
        workflow_id="large-payload",
        name=f"{size // 2**20} MiB value",
    )


def large_payload_inputs(size: int = LARGE_VALUE_BYTES) -> dict[str, dict[str, Any]]:
    """`size` bytes of seeded lowercase text for the text input of `large_payload`.

    Given at run time, as the compiler asks of large values: a literal of this size would be
    part of the state machine definition, which Step Functions caps at 1 MiB.
    """
    rng = random.Random(10)
    block = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(1024))
    return {"text": {"value": (block * (size // len(block) + 1))[:size]}}


def secrets_using(base_url: str) -> dict[str, Any]:
    """A fetch of `/private` authorized by `{{secrets.TOKEN}}` in its headers."""
    headers = {"Authorization": f"Bearer {{{{secrets.{SECRET_NAME}}}}}"}
    return workflow(
        node("fetch", "fetch", url=f"{base_url}/private", headers=headers),
        node("user", "json-extract-string", path="$.user"),
        node("show-status", "output-number"),
        node("show-user", "output-text"),
        edges=[
            edge("fetch.status", "show-status.value"),
            edge("fetch.body", "user.json"),
            edge("user.value", "show-user.value"),
        ],
        workflow_id="secrets",
        name="Secret header",
    )


def secret_waves(base_url: str, width: int = 2) -> dict[str, Any]:
    """Two waves of `width` fetches: the first sends `{{secrets.TOKEN}}` in a header, the
    second fetches `/item/k` at URLs made from what the first answered; the values summed."""
    headers = {"Authorization": f"Bearer {{{{secrets.{SECRET_NAME}}}}}"}
    nodes = []
    edges = []
    for k in range(width):
        nodes += [
            node(f"auth{k}", "fetch", url=f"{base_url}/private", headers=headers),
            node(f"user{k}", "json-extract-string", path="$.user"),
            node(f"url{k}", "string-concat", input_1=f"{base_url}/item/{k}?user="),
            node(f"item{k}", "fetch"),
            node(f"value{k}", "json-extract-number", path="$.value"),
        ]
        edges += [
            edge(f"auth{k}.body", f"user{k}.json"),
            edge(f"user{k}.value", f"url{k}.input_2"),
            edge(f"url{k}.result", f"item{k}.url"),
            edge(f"item{k}.body", f"value{k}.json"),
            edge(f"value{k}.value", "total.numbers"),
        ]
    return workflow(
        *nodes,
        node("total", "sum"),
        node("show", "output-number"),
        edges=[*edges, edge("total.result", "show.value")],
        workflow_id="secret-waves",
        name="Secret header, two waves of fetches",
    )


def outputs_of(record: ExecutionRecord, node_id: str) -> dict[str, Any]:
    """The outputs of one node of a record (empty when it has none)."""
    execution = next(e for e in record.node_executions if e.node_id == node_id)
    return dict(execution.outputs or {})


def _authorized(record: ExecutionRecord) -> str | None:
    status = outputs_of(record, "fetch").get("status")
    return None if status == 200 else f"the secret header was refused (HTTP {status})"


def _both_waves(record: ExecutionRecord) -> str | None:
    refused = [
        node_id
        for node_id in ("auth0", "auth1")
        if outputs_of(record, node_id).get("status") != 200
    ]
    if refused:
        return f"the secret header was refused to {', '.join(refused)}"
    total = outputs_of(record, "total").get("result")
    return None if total == 1 else f"the second wave's values sum to {total}, not 1"


def _fetched_all(record: ExecutionRecord) -> str | None:
    total = outputs_of(record, "total").get("result")
    expected = sum(range(FETCH_COUNT))
    return None if total == expected else f"fetched values sum to {total}, not {expected}"


def _kept_large_value(record: ExecutionRecord) -> str | None:
    shown = outputs_of(record, "show").get("displayValue")
    expected = LARGE_VALUE_BYTES + len(" END")
    size = len(shown) if isinstance(shown, str) else None
    return None if size == expected else f"the output holds {size} characters, not {expected}"


def corpus(base_url: str) -> list[Case]:
    """The eleven workflows; the fetching ones call the server at `base_url`."""
    return [
        Case("tiny", tiny()),
        Case("20-node mixed", mixed()),
        Case("100-way fan-out", wide_fan_out()),
        Case("200-deep chain", deep_chain()),
        Case("conditional-heavy", conditional_heavy()),
        Case("fetch-heavy", fetch_heavy(base_url), check=_fetched_all),
        Case("1,000 nodes", random_dag(1_000, seed=1), large=True),
        Case(LARGEST, random_dag(10_000, seed=2), large=True),
        Case(
            "10 MiB payload",
            large_payload(),
            inputs=large_payload_inputs(),
            large=True,
            check=_kept_large_value,
        ),
        Case("secrets-using", secrets_using(base_url), check=_authorized),
        Case("secret waves", secret_waves(base_url), check=_both_waves),
    ]
