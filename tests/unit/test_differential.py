"""Hypothesis: random valid workflows give the same record on the in-process engine and on
the compiled state machine (ids and timestamps aside), number for number: records are compared
as JSON text, so -3 and -3.0, or two integers past 2^53 that a float would merge, differ."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.nodes import default_registry
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.validation import validate_workflow
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

# What each engine is free to choose on its own.
UNCOMPARED = ("id", "organizationId", "startedAt", "endedAt")


@dataclass(frozen=True)
class In:
    name: str
    type: str
    repeated: bool = False


@dataclass(frozen=True)
class Kind:
    inputs: tuple[In, ...]
    outputs: tuple[tuple[str, str], ...]


KINDS = {
    "number-input": Kind((In("value", "number"),), (("value", "number"),)),
    "text-input": Kind((In("value", "string"),), (("value", "string"),)),
    "boolean-input": Kind((In("value", "boolean"),), (("value", "boolean"),)),
    "json-input": Kind((In("json", "json"),), (("json", "json"),)),
    "addition": Kind((In("a", "number"), In("b", "number")), (("result", "number"),)),
    "division": Kind((In("a", "number"), In("b", "number")), (("result", "number"),)),
    "sum": Kind((In("numbers", "number", repeated=True),), (("result", "number"),)),
    "string-concat": Kind(
        (In("input_1", "string"), In("input_2", "string"), In("input_3", "string")),
        (("result", "string"),),
    ),
    "to-string": Kind((In("value", "any"),), (("result", "string"),)),
    "conditional-fork": Kind(
        (In("value", "any"), In("condition", "boolean")), (("true", "any"), ("false", "any"))
    ),
    "conditional-join": Kind((In("true", "any"), In("false", "any")), (("result", "any"),)),
    "output-any": Kind((In("value", "any"),), (("displayValue", "any"),)),
    "json-agg": Kind((In("values", "any", repeated=True),), (("result", "json"),)),
}

NUMBERS = (
    st.integers(-50, 50)
    | st.floats(-1000, 1000, allow_nan=False, allow_subnormal=False)
    | st.just(0)  # division by zero
    # past 2^53 a float would round them: every digit must travel
    | st.integers(2**53 + 1, 2**70).flatmap(lambda n: st.sampled_from([n, -n]))
    | st.sampled_from([-3, -0.5, -9007199254740993, 1e300, -2.5e-8])
)
TEXT = st.text(max_size=6) | st.sampled_from(["1", "true", "[1, 2]", '{"a": 1}', "null", " "])
TEXT |= st.just("long " * 2000)  # beyond 8 KiB: carried through S3 by the state machine
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
).filter(lambda value: value is not None)
SCALARS = NUMBERS | TEXT | st.booleans()
LITERALS = {
    "number": NUMBERS,
    "string": TEXT,
    "boolean": st.booleans(),
    "json": JSON,
    "any": SCALARS | JSON,
}
# Override values a port refuses before the run starts (validation errors).
REFUSED = {"number": st.just("many"), "boolean": st.just("maybe")}


def compatible(output: str, port: str) -> bool:
    return output == port or "any" in (output, port)


def literal(port: In) -> st.SearchStrategy[Any]:
    value = LITERALS[port.type]
    return st.lists(value, max_size=3) | value if port.repeated else value


@st.composite
def runs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A valid random workflow (edges from earlier to later nodes) and its run's overrides.

    A join usually closes an earlier fork, as people draw them, and seldom has literals;
    every other input gets 0 to 3 type-compatible edges and most often a literal.
    """
    nodes, edges, inputs = [], [], []
    outputs: list[tuple[str, str, str]] = []  # (node id, output, type) of earlier nodes
    forks: list[str] = []
    for index in range(draw(st.integers(1, 12))):
        kind_name = draw(st.sampled_from(sorted(KINDS)))
        kind, node_id = KINDS[kind_name], f"n{index}"
        literals = {}
        inputs += [(node_id, port) for port in kind.inputs]
        if kind_name == "conditional-join" and forks and draw(st.integers(0, 3)) < 3:
            fork = draw(st.sampled_from(forks))
            edges += [edge(f"{fork}.true", f"{node_id}.true")]
            edges += [edge(f"{fork}.false", f"{node_id}.false")]
            kind = Kind((), kind.outputs)
        for port in kind.inputs:
            sources = [o for o in outputs if compatible(o[2], port.type)]
            fed = (
                draw(st.lists(st.sampled_from(sources), max_size=3, unique=True)) if sources else []
            )
            edges += [edge(f"{s}.{o}", f"{node_id}.{port.name}") for s, o, _ in fed]
            chance = 1 if kind_name == "conditional-join" else 3 if fed else 9
            if draw(st.integers(0, 9)) < chance:
                literals[port.name] = draw(literal(port))
        nodes.append(node(node_id, kind_name, **literals))
        outputs += [(node_id, name, output_type) for name, output_type in kind.outputs]
        forks += [node_id] if kind_name == "conditional-fork" else []
    overrides: dict[str, Any] | None = None
    if draw(st.integers(0, 2)) == 2:
        node_id, port = draw(st.sampled_from(inputs))
        refused = REFUSED.get(port.type)
        if refused is not None and draw(st.integers(0, 9)) == 9:
            overrides = {node_id: {port.name: draw(refused)}}
        else:
            overrides = {node_id: {port.name: draw(literal(port))}}
    return workflow(*nodes, edges=edges), overrides


@pytest.fixture(scope="module")
def embedded() -> EmbeddedEngine:
    cloud = LocalCloud.shared()
    cloud.time_scale = TEST_TIME_SCALE
    return EmbeddedEngine(cloud=cloud)


@pytest.fixture(scope="module")
def examples() -> Iterator[list[str]]:
    ran: list[str] = []
    yield ran
    statuses = {status: ran.count(status) for status in sorted(set(ran))}
    print(f"\ndifferential: {len(ran)} examples run on both engines, statuses {statuses}")


def comparable(record: dict[str, Any]) -> str:
    """The record as JSON text: Python's `-3 == -3.0` must not hide a changed number."""
    kept = {key: value for key, value in record.items() if key not in UNCOMPARED}
    return json.dumps(kept, indent=1, ensure_ascii=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_both_engines_give_the_same_record(
    embedded: EmbeddedEngine,
    examples: list[str],
    run: tuple[dict[str, Any], dict[str, Any] | None],
) -> None:
    flow, overrides = run
    validate_workflow(flow, default_registry().catalog)  # the generator makes valid workflows
    expected = InProcessEngine().run(flow, inputs=overrides).to_json()
    actual = embedded.run(flow, inputs=overrides).to_json()
    examples.append(str(expected["status"]))
    assert comparable(actual) == comparable(expected)
