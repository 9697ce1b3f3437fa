"""stepthunk against n8n on this machine: the same chain and the same server load, alternately.

(a) Chains of 1, 100 and 1,000 nodes: stepthunk's `number-input` then `addition` nodes of +1,
    n8n's manual trigger then Set nodes of +1 (`bench/peer_n8n.py`), the last value N - 1 on
    both. Each round runs, each in a fresh process as a user starts it, `stepthunk run` (the
    default engine), `stepthunk run --engine inprocess` and `n8n execute` (which saves the
    execution to its SQLite database), the order reversed every other round. Prints the
    median wall time of each and the median of the round-by-round ratios over n8n's. Goal: the
    default engine no slower than n8n.
(b) The server: `stepthunk serve` and `n8n start` both up, each with a 20-node chain; rounds
    alternate between them, each round `--executions` executions at `--concurrency` in flight:
    serve's `202` then read until the record is final (as `bench/serve_load.py` does), n8n's
    synchronous webhook answering with the last node's item. Prints completed executions per
    second, the medians and the median of the round-by-round ratios. Goal: serve at least n8n's
    rate.

Every run is checked (its last value must be N - 1); a failed or wrong run is printed and the
benchmark exits 1. n8n is installed pinned on first use (`bench/peer_n8n.py`). The figures are
written into BENCHMARKS.md's section "Against n8n" (`--no-write` leaves the file alone).

`make bench-peer`, or `python -m bench.peer [--nodes 1 100 1000] [--rounds 3]
[--server-rounds 3] [--executions 300] [--concurrency 50] [--no-write]`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import peer_n8n
from bench.document import PEER_HEADING, with_section
from bench.load_client import LoadClient, LoadError
from bench.serve_load import Load, run_load, running_serve
from tests.support.workflows import edge, node, workflow

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1, 100, 1_000)
ROUNDS = 3
SERVER_ROUNDS = 3
SERVER_NODES = 20
EXECUTIONS = 300
CONCURRENCY = 50
WARM_UP = 20
PATIENCE_S = 120.0
ENGINES = ("default", "inprocess")


def stepthunk_chain(nodes: int) -> dict[str, Any]:
    """A `number-input` of 0, then `nodes - 1` additions of 1: the last value is `nodes - 1`."""
    listed = [node("n0", "number-input", value=0)]
    listed += [node(f"n{i}", "addition", b=1) for i in range(1, nodes)]
    edges = [edge("n0.value", "n1.a")] if nodes > 1 else []
    edges += [edge(f"n{i - 1}.result", f"n{i}.a") for i in range(2, nodes)]
    return workflow(
        *listed, edges=edges, workflow_id=f"peer-chain-{nodes}", name=f"{nodes}-node chain"
    )


def last_output(nodes: int) -> tuple[str, str]:
    """The node and output of `stepthunk_chain(nodes)` that hold its last value."""
    return f"n{nodes - 1}", "value" if nodes == 1 else "result"


def record_problem(record: dict[str, Any], nodes: int) -> str | None:
    """What is wrong with a final record of `stepthunk_chain(nodes)`, or None."""
    if record.get("status") != "completed":
        return f"the execution ended {record.get('status')}: {record.get('error')}"
    node_id, output = last_output(nodes)
    found = [e for e in record.get("nodeExecutions", []) if e.get("nodeId") == node_id]
    value = (found[0].get("outputs") or {}).get(output) if found else None
    return None if value == nodes - 1 else f"{node_id}.{output} is {value!r}, not {nodes - 1}"


def ratios(mine: list[float], theirs: list[float]) -> list[float]:
    """Round-by-round ratios of two equally long series."""
    return [a / b for a, b in zip(mine, theirs, strict=True)]


@dataclass
class ChainTimes:
    """Wall seconds per round of one chain size."""

    nodes: int
    runs: dict[str, list[float]] = field(default_factory=lambda: {"n8n": [], **_engines()})

    def line(self) -> str:
        n8n = statistics.median(self.runs["n8n"])
        parts = [f"{self.nodes:>5,} nodes: n8n {n8n:.2f} s"]
        for engine in ENGINES:
            paired = ratios(self.runs[engine], self.runs["n8n"])
            goal = ""
            if engine == "default":
                goal = f"; goal ≤ 1x: {'ok' if statistics.median(paired) <= 1.0 else 'NOT MET'}"
            parts.append(
                f"{_label(engine)} {statistics.median(self.runs[engine]):.2f} s "
                f"({_ratio(paired)} of n8n's{goal})"
            )
        return ", ".join(parts)


@dataclass
class ServerRates:
    """Completed executions per second per round, of each server."""

    stepthunk: list[float] = field(default_factory=list)
    n8n: list[float] = field(default_factory=list)

    def line(self, executions: int, concurrency: int) -> str:
        mine, theirs = statistics.median(self.stepthunk), statistics.median(self.n8n)
        paired = ratios(self.stepthunk, self.n8n)
        met = statistics.median(paired) >= 1.0
        return (
            f"{SERVER_NODES}-node chain, {executions} executions at concurrency {concurrency}, "
            f"{len(self.n8n)} rounds each: n8n's webhook {theirs:.1f}/s, stepthunk serve "
            f"{mine:.1f}/s ({_ratio(paired)} of n8n's; goal ≥ 1x: {'ok' if met else 'NOT MET'})"
        )


def _engines() -> dict[str, list[float]]:
    return {engine: [] for engine in ENGINES}


def _label(engine: str) -> str:
    return "default engine" if engine == "default" else "in-process"


def _ratio(paired: list[float]) -> str:
    """The median ratio, and the range when the rounds disagree."""
    low, high = min(paired), max(paired)
    spread = f" [{low:.2f} to {high:.2f}]" if len(paired) > 1 else ""
    return f"{statistics.median(paired):.2f}x{spread}"


class Problems:
    """Failed or wrong runs, kept to be printed and to set the exit status."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self._lock = threading.Lock()

    def add(self, what: str, problem: str | None) -> None:
        if problem is not None:
            with self._lock:
                self.found.append(f"{what}: {problem}")
            print(f"  PROBLEM {what}: {problem}", file=sys.stderr, flush=True)


def measure_chains(
    n8n: peer_n8n.N8n, scratch: Path, sizes: list[int], rounds: int, problems: Problems
) -> list[ChainTimes]:
    measured = []
    for nodes in sizes:
        _progress(f"chain of {nodes:,} nodes ...")
        path = scratch / f"chain-{nodes}.json"
        path.write_text(json.dumps(stepthunk_chain(nodes)), encoding="utf-8")
        theirs = peer_n8n.chain(nodes)
        n8n.add(theirs)
        times = ChainTimes(nodes)
        runners = {
            "default": partial(_stepthunk_run, path, nodes, None, problems),
            "inprocess": partial(_stepthunk_run, path, nodes, "inprocess", problems),
            "n8n": partial(_n8n_run, n8n, theirs["id"], nodes, problems),
        }
        for run in runners.values():  # files cached, nothing first-time inside the timings
            run()
        for round_ in range(rounds):
            order = list(runners) if round_ % 2 == 0 else list(reversed(runners))
            for name in order:
                times.runs[name].append(runners[name]())
        print(f"  {times.line()}", flush=True)
        measured.append(times)
    return measured


def _stepthunk_run(path: Path, nodes: int, engine: str | None, problems: Problems) -> float:
    command = [*_stepthunk(), "run", str(path), "--json"]
    if engine is not None:
        command += ["--engine", engine]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    what = f"stepthunk run ({_label(engine or 'default')}), {nodes} nodes"
    try:
        problems.add(what, record_problem(json.loads(result.stdout), nodes))
    except ValueError:
        problems.add(what, f"exit {result.returncode}: {result.stderr[-1000:]}")
    return took


def _stepthunk() -> list[str]:
    """The `stepthunk` command next to this Python (the venv's), else the module."""
    script = Path(sys.executable).with_name("stepthunk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "local"]


def _n8n_run(n8n: peer_n8n.N8n, workflow_id: str, nodes: int, problems: Problems) -> float:
    took, output = n8n.execute(workflow_id)
    problems.add(f"n8n execute, {nodes} nodes", peer_n8n.execution_problem(output, nodes))
    return took


def measure_servers(
    n8n: peer_n8n.N8n, rounds: int, executions: int, concurrency: int, problems: Problems
) -> ServerRates:
    mine = stepthunk_chain(SERVER_NODES)
    node_id, output = last_output(SERVER_NODES)
    load = Load(f"{SERVER_NODES}-node chain", mine, node_id, output, SERVER_NODES - 1)
    rates = ServerRates()
    _progress("starting stepthunk serve and n8n ...")
    with (
        running_serve(None) as (url, key, _),
        n8n.serving(peer_n8n.webhook_chain(SERVER_NODES)) as hook,
    ):
        headers = {"Authorization": f"Bearer {key}"}
        httpx.put(f"{url}/workflows/{mine['id']}", json=mine, headers=headers).raise_for_status()
        run_load(url, key, load, WARM_UP, concurrency)
        webhook_load(hook, WARM_UP, concurrency, Problems())
        for round_ in range(rounds):
            first_mine = round_ % 2 == 0
            for side in ("stepthunk", "n8n") if first_mine else ("n8n", "stepthunk"):
                _progress(f"  round {round_ + 1}: {side} ...")
                if side == "stepthunk":
                    rates.stepthunk.append(
                        _serve_round(url, key, load, executions, concurrency, problems)
                    )
                else:
                    rates.n8n.append(_webhook_round(hook, executions, concurrency, problems))
    return rates


def _serve_round(
    url: str, key: str, load: Load, executions: int, concurrency: int, problems: Problems
) -> float:
    began = time.perf_counter()
    outcome = run_load(url, key, load, executions, concurrency)
    took = time.perf_counter() - began
    for failure in outcome.failures:
        problems.add("stepthunk serve", failure)
    # A failure is a refused start, an execution without a final record, or a wrong record:
    # only the last kind is among `to_final`.
    wrong = [f for f in outcome.failures if not f.startswith("start") and "no final" not in f]
    return (len(outcome.to_final) - len(wrong)) / took


def _webhook_round(url: str, executions: int, concurrency: int, problems: Problems) -> float:
    began = time.perf_counter()
    completed = webhook_load(url, executions, concurrency, problems)
    return completed / (time.perf_counter() - began)


def webhook_load(url: str, total: int, concurrency: int, problems: Problems) -> int:
    """`total` POSTs to n8n's webhook, `concurrency` in flight; how many answered the last value."""
    remaining = iter(range(total))
    lock = threading.Lock()
    completed = [0]

    def client_loop() -> None:
        with LoadClient(url, timeout=PATIENCE_S) as client:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                problem = _webhook_call(client)
                problems.add("n8n webhook", problem)
                if problem is None:
                    with lock:
                        completed[0] += 1

    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client_loop) for _ in range(concurrency)]:
            future.result()
    return completed[0]


def _webhook_call(client: LoadClient) -> str | None:
    try:
        answer = client.post("", {})
    except LoadError as error:
        return repr(error)
    if answer.status != 200:
        return f"{answer.status} {answer.text[:200]}"
    try:
        value = answer.json().get("value")
    except ValueError:
        value = None
    return None if value == SERVER_NODES - 1 else f"answered {answer.text[:200]!r}"


def section(
    chains: list[ChainTimes], server: ServerRates | None, context: list[str], options: Any
) -> str:
    """BENCHMARKS.md's section of these figures."""
    rows = [
        "| chain of N nodes | n8n | default engine | default / n8n | in-process "
        "| in-process / n8n |",
        "| --: | --: | --: | --: | --: | --: |",
    ]
    for times in chains:
        cells = [f"{times.nodes:,}", f"{statistics.median(times.runs['n8n']):.2f} s"]
        for engine in ENGINES:
            cells.append(f"{statistics.median(times.runs[engine]):.2f} s")
            cells.append(_ratio(ratios(times.runs[engine], times.runs["n8n"])))
        rows.append(f"| {' | '.join(cells)} |")
    parts = [
        PEER_HEADING,
        "Written by `make bench-peer` (`bench/peer.py`), which installs n8n "
        f"{peer_n8n.N8N_VERSION} into `.peer-cache/` and runs the same chain on both, in the "
        "same run, alternately; medians, and the median of the round-by-round ratios with their "
        "range in brackets (under 1x: stepthunk is faster).",
        "\n".join(f"- {line}" for line in context),
        f"Whole-process wall time of a chain, {options.rounds} rounds: `stepthunk run` and "
        "`stepthunk run --engine inprocess` against `n8n execute` (manual trigger and Set "
        "nodes; n8n saves the execution to its SQLite database, inside its time).",
        "\n".join(rows),
    ]
    if server is not None:
        parts.append(f"Server: {server.line(options.executions, options.concurrency)}.")
    return "\n\n".join(parts)


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, nargs="+", default=list(SIZES), help="chain sizes")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed runs of each per size")
    parser.add_argument("--server-rounds", type=int, default=SERVER_ROUNDS, help="0: no server")
    parser.add_argument("--executions", type=int, default=EXECUTIONS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    options = parser.parse_args(arguments)
    if min(options.nodes) < 1 or options.rounds < 1 or options.executions < 1:
        parser.error("--nodes, --rounds and --executions must be at least 1")
    try:
        command = peer_n8n.install()
    except peer_n8n.PeerError as error:
        print(f"bench-peer: {error}", file=sys.stderr)
        return 1
    problems = Problems()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as scratch:
        n8n = peer_n8n.N8n.create(command, Path(scratch) / "n8n")
        n8n.home.mkdir()
        try:
            print(f"Against n8n {peer_n8n.N8N_VERSION} (wall time; ratios: stepthunk over n8n)")
            chains = measure_chains(
                n8n, Path(scratch), sorted(options.nodes), options.rounds, problems
            )
            loads.append(os.getloadavg()[0])
            server = None
            if options.server_rounds > 0:
                server = measure_servers(
                    n8n, options.server_rounds, options.executions, options.concurrency, problems
                )
                print(f"  {server.line(options.executions, options.concurrency)}", flush=True)
                loads.append(os.getloadavg()[0])
        except peer_n8n.PeerError as error:
            print(f"bench-peer: {error}", file=sys.stderr)
            return 1
    context = _context(loads)
    for line in context:
        print(f"  {line}")
    if not options.no_write:
        document = ROOT / "BENCHMARKS.md"
        text = document.read_text(encoding="utf-8") if document.exists() else "# Benchmarks\n"
        document.write_text(
            with_section(text, PEER_HEADING, section(chains, server, context, options)),
            encoding="utf-8",
        )
        print(f"wrote the section {PEER_HEADING[3:]!r} of {document.relative_to(ROOT)}")
    for problem in problems.found:
        print(f"PROBLEM {problem}")
    return 1 if problems.found else 0


def _context(loads: list[float]) -> list[str]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    trail = " -> ".join(f"{load:.1f}" for load in loads)
    return [
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} "
        f"logical CPUs; load average (1 min) at the start, after the chains and after the "
        f"servers: {trail}",
        f"n8n {peer_n8n.N8N_VERSION} on Node.js {node.stdout.strip()}; Python "
        f"{sys.version.split()[0]}",
    ]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
