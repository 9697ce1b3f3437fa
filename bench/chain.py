"""A chain of `addition` nodes on the default engine and in-process, and `stepthunk run`'s start.

(a) Chains of 100, 1,000 and 10,000 nodes (each node adds 1 to the one before): the wall time
    of `EmbeddedEngine.run` (deploying the state machine included, as `stepthunk run` does it)
    and of the in-process engine, measured in the same run, and the Lambda milliseconds of each
    unit task (from `LambdaFunctionStarted` to its end in the execution's history; the median
    over the unit tasks, initialize and finalize left out). Goals: the 10,000-node chain's wall
    time at most 3x the in-process engine's; its per-unit milliseconds at most 1.5x the
    100-node chain's (a unit's work must not grow with the workflow).
(b) `stepthunk run` of a one-node workflow, as a user starts it (a fresh process), on the
    default engine and in-process, alternately; the median of each. Goal: at most 4x.

Prints measurements next to their goals; asserts nothing but that every run completes with the
chain's sum. Run by `make bench`, or `python -m bench.chain [--nodes 100 1000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.document import record_scale
from bench.foundation import chain
from bench.measure import execution_arn, history, part_arns
from lambdas.runtime.record import ExecutionRecord
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.validation import validate_workflow

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100, 1_000, 10_000)
WALL_GOAL = 3.0  # the largest chain on the default engine, over in-process
UNIT_GROWTH_GOAL = 1.5  # per-unit Lambda ms of the largest chain, over the smallest's
RUN_GOAL = 4.0  # `stepthunk run` of one node, default engine over in-process
RUN_ROUNDS = 5
NOT_MET = "NOT MET YET"
LAMBDA_ENDS = frozenset(
    {"LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
)


@dataclass(frozen=True)
class ChainRun:
    """One chain's figures."""

    nodes: int
    wall_s: float  # deploy and run, on the default engine
    deploy_s: float
    execution_ms: float  # the execution's own duration, first to last history event
    inprocess_s: float
    unit_ms: list[float]  # Lambda ms of each unit task, in order


def addition_chain(nodes: int) -> dict[str, Any]:
    """`nodes` additions of 1 from 0: the last node's result is `nodes`."""
    return {**chain("addition", nodes, b=1), "id": f"chain-{nodes}", "name": f"{nodes}-node chain"}


def measure_chain(engine: EmbeddedEngine, inprocess: InProcessEngine, nodes: int) -> ChainRun:
    workflow = addition_chain(nodes)
    start = time.perf_counter()
    # as `stepthunk run` does: validated once, deployed, run
    valid = validate_workflow(workflow, engine.registry.catalog)
    machine_arn = engine.deploy(valid)
    deployed = time.perf_counter()
    record = engine.run(valid)
    wall = time.perf_counter() - start
    _require_sum(record, nodes, "default engine")
    began = time.perf_counter()
    reference = inprocess.run(workflow)
    inprocess_s = time.perf_counter() - began
    _require_sum(reference, nodes, "in-process")
    events = []
    for arn in [machine_arn, *part_arns(engine, machine_arn)]:
        events.append(history(engine, execution_arn(arn, record.id)))
    functions = engine.deployment.functions
    units = {functions.run_node, functions.run_inline_group}
    return ChainRun(
        nodes=nodes,
        wall_s=wall,
        deploy_s=deployed - start,
        execution_ms=_ms(events[0][0]["timestamp"], events[0][-1]["timestamp"]),
        inprocess_s=inprocess_s,
        unit_ms=[ms for part in events for ms in lambda_ms(part, units)],
    )


def lambda_ms(events: list[dict[str, Any]], functions: set[str]) -> list[float]:
    """How long each invocation of one of `functions` ran, from its history events."""
    by_id = {event["id"]: event for event in events}
    found = []
    for event in events:
        if event["type"] not in LAMBDA_ENDS:
            continue
        started = by_id[event["previousEventId"]]
        scheduled = by_id[started["previousEventId"]]
        if scheduled["lambdaFunctionScheduledEventDetails"]["resource"] in functions:
            found.append(_ms(started["timestamp"], event["timestamp"]))
    return found


def chain_lines(runs: list[ChainRun]) -> list[str]:
    lines = []
    for run in runs:
        lines.append(
            f"  {run.nodes:>6,} nodes: default engine {run.wall_s:.2f} s (deploy "
            f"{run.deploy_s:.2f} s, execution {run.execution_ms / 1000:.2f} s), in-process "
            f"{run.inprocess_s:.2f} s; {len(run.unit_ms)} unit tasks, Lambda ms per unit "
            f"median {statistics.median(run.unit_ms):.1f}"
        )
    smallest, largest = runs[0], runs[-1]
    ratio = largest.wall_s / largest.inprocess_s
    lines.append(
        _goal(
            f"{largest.nodes:,}-node chain, default engine / in-process: "
            f"{largest.wall_s:.2f} s / {largest.inprocess_s:.2f} s = {ratio:.1f}x",
            f"≤ {WALL_GOAL:g}x",
            ratio <= WALL_GOAL,
        )
    )
    small_ms = statistics.median(smallest.unit_ms)
    large_ms = statistics.median(largest.unit_ms)
    growth = large_ms / small_ms
    lines.append(
        _goal(
            f"Lambda ms per unit, {largest.nodes:,} nodes / {smallest.nodes:,}: "
            f"{large_ms:.1f} / {small_ms:.1f} = {growth:.2f}x",
            f"≤ {UNIT_GROWTH_GOAL:g}x",
            growth <= UNIT_GROWTH_GOAL,
        )
    )
    return lines


def run_start(rounds: int) -> str:
    """`stepthunk run` of a one-node workflow in a fresh process on each engine, alternately."""
    times: dict[str, list[float]] = {"stepfunctions": [], "inprocess": []}
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as scratch:
        path = Path(scratch, "one-node.json")
        path.write_text(json.dumps(addition_chain(1)), encoding="utf-8")
        for _ in range(rounds):
            for engine, measured in times.items():
                measured.append(_timed_run(path, engine))
    default = statistics.median(times["stepfunctions"])
    inprocess = statistics.median(times["inprocess"])
    ratio = default / inprocess
    return _goal(
        f"stepthunk run, one node (median of {rounds}, alternated): default engine "
        f"{default:.2f} s / in-process {inprocess:.2f} s = {ratio:.1f}x",
        f"≤ {RUN_GOAL:g}x",
        ratio <= RUN_GOAL,
    )


def _timed_run(path: Path, engine: str) -> float:
    command = [sys.executable, "-m", "local", "run", str(path), "--engine", engine, "--json"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if result.returncode != 0 or json.loads(result.stdout)["status"] != "completed":
        raise SystemExit(f"stepthunk run --engine {engine} failed:\n{result.stderr[-3000:]}")
    return took


def _require_sum(record: ExecutionRecord, nodes: int, engine: str) -> None:
    last = record.node(f"n{nodes - 1}").outputs or {}
    if record.status != "completed" or last.get("result") != nodes:
        raise SystemExit(
            f"the {nodes}-node chain on the {engine} ended {record.status} "
            f"({record.error}) with {last.get('result')!r}, not {nodes}"
        )


def _goal(measured: str, goal: str, met: bool) -> str:
    return f"  {measured} (goal {goal})  [{'ok' if met else NOT_MET}]"


def _ms(start: Any, end: Any) -> float:
    return float((end - start).total_seconds() * 1000)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, nargs="+", default=list(SIZES), help="chain sizes")
    parser.add_argument("--runs", type=int, default=RUN_ROUNDS, help="`run` starts per engine")
    parser.add_argument("--record", action="store_true", help="write them to BENCHMARKS.md")
    options = parser.parse_args(arguments)
    sizes = sorted(options.nodes)
    engine = EmbeddedEngine(cloud=LocalCloud.shared(), prefix="bench-chain")
    inprocess = InProcessEngine()
    engine.run(addition_chain(3))  # moto's services and the functions loaded before timing
    inprocess.run(addition_chain(3))
    runs = []
    for nodes in sizes:
        _progress(f"running the {nodes:,}-node chain ...")
        runs.append(measure_chain(engine, inprocess, nodes))
    load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"Chain of addition nodes, default engine and in-process ({load})")
    lines = chain_lines(runs)
    print("\n".join(lines), flush=True)
    _progress("timing stepthunk run ...")
    start = run_start(options.runs)
    print(start)
    if options.record:
        shown = [f"- {line.strip()}" for line in [*lines, start]]
        record_scale("Chains and `stepthunk run` (bench/chain.py)", shown)


if __name__ == "__main__":
    main()
