"""A for-each on the embedded engine next to the same child run as executions one by one.

(a) A workflow whose `for-each` runs a 3-node child workflow over 100 items: an inline Map
    state, each item a child execution of its own.
(b) The same child run as 100 executions one after another (`EmbeddedEngine.run`, as
    `stepthunk run` runs one).
(c) A `for-each` over 10,000 items, past the inline items: a Distributed Map whose map run
    starts each item's child. Its record is then read through serve's HTTP API
    (`GET /executions/{id}`, serve's ASGI application in this process) and checked: completed,
    10,000 results in item order.

For each: state transitions (`*StateEntered` events of the caller's and every child's
history; the iterations of a map run, of which moto keeps no history, counted as the states
each iteration enters by the definition), Lambda invocations (counted as they reach the
engine's functions, and checked against the histories' `LambdaFunctionScheduled` events),
and wall time; per item, and against one by one. Asserts nothing timed: the only checks are
that every run completes with the right results. Run by `make bench`, or
`python -m bench.control_flow [--inline-items 100] [--distributed-items 10000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.document import record_scale
from bench.measure import history, states_on_success_path
from lambdas.runtime.record import ExecutionRecord
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.server_app import create_app
from local.server_gateway import Gateway
from statemachine.for_each import INLINE_ITEMS, MAX_CONCURRENCY
from statemachine.validation import validated
from tests.support.workflows import edge, node, workflow

INLINE = 100
DISTRIBUTED = 10_000
CHILD_ID = "doubler"
FAILED = "FAILED"


def doubler() -> dict[str, Any]:
    """The child: a number, doubled, shown (3 nodes)."""
    return workflow(
        node("n", "number-input", value=0),
        node("double", "multiplication", b=2),
        node("shown", "output-number"),
        edges=[edge("n.value", "double.a"), edge("double.result", "shown.value")],
        workflow_id=CHILD_ID,
        name="Doubler",
    )


def looping(items: int) -> dict[str, Any]:
    """The caller: the items 0 .. items-1, each doubled by a child, the results shown."""
    return workflow(
        node("list", "json-input", json=list(range(items))),
        node(
            "loop",
            "for-each",
            workflowId=CHILD_ID,
            itemInput="n.value",
            maxConcurrency=MAX_CONCURRENCY,
        ),
        node("out", "output-json"),
        edges=[edge("list.json", "loop.items"), edge("loop.results", "out.value")],
        workflow_id=f"loop-{items}",
        name=f"For-each over {items:,} items",
    )


@dataclass(frozen=True)
class Measured:
    """What one approach took for its items."""

    name: str
    items: int
    transitions: int
    invocations: int  # as they reached the engine's functions
    scheduled: int  # LambdaFunctionScheduled events of the histories
    wall_s: float
    map_run_transitions: int = 0  # of `transitions`, counted by the definition


@dataclass(frozen=True)
class Read:
    """A record read through the HTTP API."""

    status: int
    bytes: int
    seconds: float
    body: dict[str, Any]


class Invocations:
    """Counts the invocations of an engine's Lambda functions as they reach them."""

    def __init__(self, engine: EmbeddedEngine) -> None:
        self._lock = threading.Lock()
        self.count = 0
        functions = engine.cloud.functions
        for arn in engine.deployment.functions.to_json().values():
            name = str(arn).rsplit(":", 1)[-1]
            call, timeout = functions[name]
            functions[name] = (self._counted(call), timeout)

    def _counted(
        self, call: Callable[[dict[str, Any], float], dict[str, Any]]
    ) -> Callable[[dict[str, Any], float], dict[str, Any]]:
        def counted(event: dict[str, Any], deadline: float) -> dict[str, Any]:
            with self._lock:
                self.count += 1
            return call(event, deadline)

        return counted


def entered(events: list[dict[str, Any]]) -> int:
    return sum(event["type"].endswith("StateEntered") for event in events)


def scheduled(events: list[dict[str, Any]]) -> int:
    return sum(event["type"] == "LambdaFunctionScheduled" for event in events)


def for_each_run(
    engine: EmbeddedEngine, counter: Invocations, organization: str, items: int
) -> tuple[Measured, ExecutionRecord]:
    """Run the caller over `items` items; its figures and its final record."""
    caller = validated(looping(items), engine.registry.catalog)
    engine.deploy(caller, organization)  # created before timing, as a deployed stack has it
    execution_id = str(uuid.uuid4())
    before = counter.count
    start = time.perf_counter()
    record = engine.run(caller, organization_id=organization, execution_id=execution_id)
    wall = time.perf_counter() - start
    invocations = counter.count - before
    require_results(record, items)
    events = child_history(engine, execution_id)
    arn = execution_arn(engine, execution_id)
    children = [child_history(engine, child) for child in execution_ids(record)]
    map_run = map_run_transitions(engine, arn, events, items)
    measured = Measured(
        name=f"for-each, {'Distributed Map' if map_run else 'inline Map'}",
        items=items,
        transitions=entered(events) + sum(map(entered, children)) + map_run,
        invocations=invocations,
        scheduled=scheduled(events) + sum(map(scheduled, children)),
        wall_s=wall,
        map_run_transitions=map_run,
    )
    return measured, record


def one_by_one(
    engine: EmbeddedEngine, counter: Invocations, organization: str, items: int
) -> Measured:
    """The child run `items` times, one execution after another."""
    child = validated(doubler(), engine.registry.catalog)
    ids = [str(uuid.uuid4()) for _ in range(items)]
    before = counter.count
    start = time.perf_counter()
    for item, execution_id in enumerate(ids):
        record = engine.run(
            child,
            inputs={"n": {"value": item}},
            organization_id=organization,
            execution_id=execution_id,
        )
        shown = (record.node("shown").outputs or {}).get("displayValue")
        if record.status != "completed" or shown != 2 * item:
            raise SystemExit(f"item {item} ended {record.status} ({record.error}), {shown!r}")
    wall = time.perf_counter() - start
    invocations = counter.count - before
    histories = [child_history(engine, execution_id) for execution_id in ids]
    return Measured(
        name="one by one",
        items=items,
        transitions=sum(map(entered, histories)),
        invocations=invocations,
        scheduled=sum(map(scheduled, histories)),
        wall_s=wall,
    )


def child_history(engine: EmbeddedEngine, execution_id: str) -> list[dict[str, Any]]:
    return history(engine, execution_arn(engine, execution_id))


def execution_arn(engine: EmbeddedEngine, execution_id: str) -> str:
    handle = engine.executions.handle(execution_id)
    if handle is None or handle.execution_arn is None:
        raise SystemExit(f"execution {execution_id} was never started")
    return handle.execution_arn


def map_run_transitions(
    engine: EmbeddedEngine, execution_arn: str, events: list[dict[str, Any]], items: int
) -> int:
    """The states the iterations of the execution's map run entered: each item's iteration
    succeeds (its child's failure is caught in it), entering the states on its item
    processor's success path. moto keeps the iterations' events nowhere (AWS keeps them in
    the map run's child executions)."""
    if not any(event["type"] == "MapRunStarted" for event in events):
        return 0
    machine_arn = engine.cloud.execution(execution_arn).state_machine_arn
    definition = json.loads(
        engine.cloud.client("stepfunctions").describe_state_machine(stateMachineArn=machine_arn)[
            "definition"
        ]
    )
    processors = [
        state["ItemProcessor"]
        for state in _states(definition)
        if state.get("Type") == "Map" and "ItemReader" in state
    ]
    assert len(processors) == 1, "one Distributed Map"
    return items * states_on_success_path(processors[0])


def _states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every state of a definition, those of Parallel branches and Map processors included."""
    found = []
    for state in definition["States"].values():
        found.append(state)
        for inner in [*state.get("Branches", []), state.get("ItemProcessor")]:
            if inner:
                found += _states(inner)
    return found


def execution_ids(record: ExecutionRecord) -> list[str]:
    return list((record.node("loop").outputs or {}).get("executionIds", []))


def require_results(record: ExecutionRecord, items: int) -> None:
    problem = results_problem(record.to_json(), items)
    if problem:
        raise SystemExit(f"the {items:,}-item for-each: {problem}")


def results_problem(record: dict[str, Any], items: int) -> str | None:
    """What is wrong with a for-each's record (wire format), or None: it must be completed
    with each item's doubled value, in item order."""
    if record.get("status") != "completed":
        return f"ended {record.get('status')} ({record.get('error')})"
    loop: dict[str, Any] = next((n for n in record["nodeExecutions"] if n["nodeId"] == "loop"), {})
    results = (loop.get("outputs") or {}).get("results")
    if not isinstance(results, list) or len(results) != items:
        return f"results are not {items:,} items: {str(results)[:200]}"
    wrong = [i for i, result in enumerate(results) if result != {"shown": 2 * i}]
    if wrong:
        return f"{len(wrong):,} results out of item order, the first at {wrong[0]}"
    return None


def read_through_api(engine: EmbeddedEngine, organization: str, execution_id: str) -> Read:
    """GET /executions/{id} of serve's ASGI application, in this process."""
    gateway = Gateway(engine)
    key = gateway.http_deps.api_keys.create(organization)
    transport = httpx.ASGITransport(app=create_app(gateway))

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
            headers = {"Authorization": f"Bearer {key}"}
            return await client.get(f"/executions/{execution_id}", headers=headers)

    start = time.perf_counter()
    response = asyncio.run(get())
    took = time.perf_counter() - start
    body = response.json() if response.status_code == 200 else {}
    return Read(response.status_code, len(response.content), took, body)


def table(rows: list[Measured], reference: Measured) -> list[str]:
    """Each approach's figures, per item and against one by one."""
    lines = []
    for row in rows:
        per_transition = row.transitions / row.items
        per_invocation = row.invocations / row.items
        against = (
            ""
            if row is reference
            else (
                f"; per item against one by one: transitions "
                f"{per_transition / (reference.transitions / reference.items):.2f}x, "
                f"invocations {per_invocation / (reference.invocations / reference.items):.2f}x, "
                f"wall {row.wall_s / row.items / (reference.wall_s / reference.items):.2f}x"
            )
        )
        map_run = (
            f" ({row.map_run_transitions:,} of them the map run's iterations, by the definition)"
            if row.map_run_transitions
            else ""
        )
        lines.append(
            f"{row.name}, {row.items:,} items: {row.transitions:,} transitions{map_run}, "
            f"{per_transition:.1f} an item; {row.invocations:,} Lambda invocations, "
            f"{per_invocation:.2f} an item; wall {row.wall_s:.2f} s, "
            f"{row.wall_s / row.items * 1000:.1f} ms an item{against}"
        )
    return lines


def check(name: str, problem: str | None) -> tuple[str, bool]:
    return (f"{name}: {'OK' if problem is None else f'{FAILED}: {problem}'}", problem is None)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inline-items", type=int, default=INLINE)
    parser.add_argument("--distributed-items", type=int, default=DISTRIBUTED)
    parser.add_argument("--record", action="store_true", help="write them to BENCHMARKS.md")
    options = parser.parse_args(arguments)
    if options.inline_items > INLINE_ITEMS or options.distributed_items <= INLINE_ITEMS:
        raise SystemExit(f"inline items at most {INLINE_ITEMS}, distributed items above it")
    engine = EmbeddedEngine(cloud=LocalCloud.shared(), prefix="bench-control-flow")
    counter = Invocations(engine)
    organization = "bench"
    engine.deploy(validated(doubler(), engine.registry.catalog), organization)
    for_each_run(engine, counter, organization, 3)  # services and functions loaded first
    _progress(f"for-each over {options.inline_items} items ...")
    inline, _ = for_each_run(engine, counter, organization, options.inline_items)
    _progress(f"{options.inline_items} executions one by one ...")
    single = one_by_one(engine, counter, organization, options.inline_items)
    _progress(f"for-each over {options.distributed_items:,} items ...")
    distributed, record = for_each_run(engine, counter, organization, options.distributed_items)
    read = read_through_api(engine, organization, record.id)
    rows = [inline, single, distributed]
    lines = table(rows, single)
    checks = [
        check(
            "Lambda invocations counted equal the histories' LambdaFunctionScheduled events",
            None
            if all(row.invocations == row.scheduled for row in rows)
            else ", ".join(f"{row.invocations} / {row.scheduled}" for row in rows),
        ),
        check(
            f"the {options.distributed_items:,}-item record through GET /executions/{{id}} "
            f"({read.status}, {read.bytes:,} bytes, {read.seconds * 1000:.0f} ms): completed, "
            f"{options.distributed_items:,} results in item order",
            results_problem(read.body, options.distributed_items)
            if read.status == 200
            else f"answered {read.status}",
        ),
    ]
    shown = [f"- {line}" for line in lines] + [f"- {text}" for text, _ in checks]
    print("For-each and one by one on the embedded engine")
    print("\n".join(shown))
    if options.record:
        record_scale("For-each and one by one (bench/control_flow.py)", shown)
    if not all(ok for _, ok in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
