"""`serve` under load: executions started over HTTP at a fixed concurrency, each polled to its
final record.

Starts `stepthunk serve` on 127.0.0.1 (its own process, as a user runs it), deploys the 20-node
mixed corpus workflow and a 20-node chain, then, for each, keeps `--concurrency` executions in
flight: each client starts one (POST, timed to its 202), reads it (GET) until its record is
final, and starts the next. Prints, per workflow, the executions completed per second (from the
first start to the last final record), the p50 and p95 time to 202, the server's CPU time per
execution and the machine's load, next to the goals. An execution that does not reach a
completed record in time is lost; the run says how many were, and exits 1 if any.

`python -m bench.serve_load [--executions 300] [--concurrency 50] [--workflow mixed|chain]
[--state-dir DIR] [--workers N] [--profile FILE]`. `--workers` runs serve with that many
execution workers (default: serve's). `--profile` records the server and its workers with
py-spy (on PATH) while the load runs, as a speedscope file (one profile a thread).

The peer's figures (n8n's webhook at the same concurrency, ../shared/peer/README.md) come from
its own load script; the line printed here is laid out to be read next to its line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import mixed  # noqa: E402
from bench.document import record_scale  # noqa: E402
from bench.foundation import chain  # noqa: E402
from bench.load_client import LoadClient, LoadError  # noqa: E402

RATE_TARGET = 50.0  # executions completed per second, at concurrency 50
P95_TARGET_MS = 250.0  # time to 202
CONCURRENCY = 50
EXECUTIONS = 300
WARM_UP = 20
ORGANIZATION = "bench"
FINAL = frozenset({"completed", "error", "exhausted", "cancelled"})
# How long an execution may take to reach its final record before it counts as lost.
PATIENCE_S = 120.0
POLL_S = 0.05
STARTUP_S = 60.0


@dataclass(frozen=True)
class Load:
    """One workflow of the load: how to deploy it and what its completed record holds."""

    name: str
    workflow: dict[str, Any]
    node: str  # the node whose output the check reads
    output: str
    expected: Any  # None: only the status is checked


def loads() -> dict[str, Load]:
    chained = chain("addition", 20, b=1)
    return {
        "mixed": Load("20-node mixed", mixed(), "count", "length", 2),
        "chain": Load("20-node chain", chained, "n19", "result", 20),
    }


@dataclass
class Outcome:
    """What the clients saw of one workflow's load."""

    to_202: list[float] = field(default_factory=list)  # seconds
    to_final: list[float] = field(default_factory=list)  # seconds, from the start request
    ids: list[str] = field(default_factory=list)
    reads: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Pacer:
    """When to read an execution first: a little before the executions seen so far took to
    complete, so that polling does not add most of the server's load."""

    def __init__(self) -> None:
        self._recent: list[float] = []
        self._lock = threading.Lock()

    def first_read(self) -> float:
        with self._lock:
            if not self._recent:
                return POLL_S
            return max(POLL_S, 0.8 * statistics.median(self._recent[-50:]))

    def completed(self, seconds: float) -> None:
        with self._lock:
            self._recent.append(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load", description=__doc__)
    parser.add_argument("--executions", type=int, default=EXECUTIONS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--workflow", choices=["mixed", "chain", "both"], default="both")
    parser.add_argument("--state-dir", type=Path, help="run serve with --state-dir DIR")
    parser.add_argument("--profile", type=Path, help="record the server with py-spy to FILE")
    parser.add_argument("--workers", type=int, help="run serve with --workers N (default: its)")
    parser.add_argument("--record", action="store_true", help="write them to BENCHMARKS.md")
    args = parser.parse_args(argv)
    chosen = list(loads().values()) if args.workflow == "both" else [loads()[args.workflow]]
    lost = 0
    lines: list[str] = []
    with running_serve(args.state_dir, args.workers) as (url, key, process):
        with LoadClient(url, _auth(key), PATIENCE_S) as client:
            for load in chosen:
                deployed = client.put(f"/workflows/{load.workflow['id']}", load.workflow)
                if deployed.status not in (200, 201):
                    raise SystemExit(f"deploy: {deployed.status} {deployed.text[:300]}")
        with connected(url, key, args.concurrency) as clients:
            for load in chosen:
                run_load(url, key, load, WARM_UP, args.concurrency, clients)  # parsed, warm
                with _profiled(process.pid, args.profile, load.name):
                    cpu_before = _cpu_seconds(process.pid)
                    client_before = time.process_time()
                    load_before = os.getloadavg()[0]
                    began = time.perf_counter()
                    outcome = run_load(url, key, load, args.executions, args.concurrency, clients)
                    took = time.perf_counter() - began
                    cpu_after = _cpu_seconds(process.pid)
                    cpu = (cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1])
                    client_cpu = time.process_time() - client_before
                loads_seen = (load_before, os.getloadavg()[0])
                cpus = (*cpu, client_cpu)
                lost += report(load, outcome, took, cpus, args, loads_seen, lines)
    if args.record:
        record_scale("`stepthunk serve` under load (bench/serve_load.py)", lines)
    return 1 if lost else 0


@contextmanager
def connected(url: str, key: str, count: int) -> Iterator[list[LoadClient]]:
    """`count` clients, each with its connection made (one request answered), closed on
    leaving: a load timed with them times the server, not fifty clients connecting at once."""
    clients = [LoadClient(url, _auth(key), PATIENCE_S) for _ in range(count)]
    try:
        for client in clients:
            client.get("/executions/00000000-0000-4000-8000-000000000000")  # a 404 will do
        yield clients
    finally:
        for client in clients:
            client.close()


def run_load(
    url: str,
    key: str,
    load: Load,
    total: int,
    concurrency: int,
    clients: Sequence[LoadClient] = (),
) -> Outcome:
    """`total` executions of `load`, `concurrency` in flight (on `clients`, connected, else
    each on a client of its own made first), each read to its final record; what the
    clients saw."""
    outcome = Outcome()
    pacer = Pacer()
    remaining = iter(range(total))
    remaining_lock = threading.Lock()

    def take() -> bool:
        with remaining_lock:
            return next(remaining, None) is not None

    def loop(client: LoadClient) -> None:
        while take():
            one(client, load, outcome, pacer)

    def client_loop(index: int) -> None:
        if clients:
            loop(clients[index])
            return
        with LoadClient(url, _auth(key), PATIENCE_S) as client:
            loop(client)

    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client_loop, index) for index in range(concurrency)]:
            future.result()
    return outcome


def one(client: LoadClient, load: Load, outcome: Outcome, pacer: Pacer) -> None:
    """Start one execution, then read it until its record is final."""
    began = time.perf_counter()
    try:
        started = client.post(f"/workflows/{load.workflow['id']}/executions", {})
    except LoadError as error:
        with outcome.lock:
            outcome.failures.append(f"start: {error!r}")
        return
    accepted = time.perf_counter() - began
    if started.status != 202:
        with outcome.lock:
            outcome.failures.append(f"start: {started.status} {started.text[:200]}")
        return
    execution_id = started.json()["executionId"]
    with outcome.lock:
        outcome.to_202.append(accepted)
        outcome.ids.append(execution_id)
    time.sleep(pacer.first_read())
    give_up = began + PATIENCE_S
    while True:
        with outcome.lock:
            outcome.reads += 1
        try:
            read = client.get(f"/executions/{execution_id}")
            record = read.json() if read.status == 200 else None
        except LoadError:
            record = None
        if record is not None and record["status"] in FINAL:
            done = time.perf_counter() - began
            pacer.completed(done)
            problem = _problem(load, record)
            with outcome.lock:
                outcome.to_final.append(done)
                if problem is not None:
                    outcome.failures.append(f"{execution_id}: {problem}")
            return
        if time.perf_counter() > give_up:
            with outcome.lock:
                outcome.failures.append(f"{execution_id}: no final record in {PATIENCE_S} s")
            return
        time.sleep(POLL_S)


def _problem(load: Load, record: dict[str, Any]) -> str | None:
    """What is wrong with a final record, or None."""
    if record["status"] != "completed":
        return f"{record['status']}: {record.get('error')}"
    outputs = next(
        (e.get("outputs") or {} for e in record["nodeExecutions"] if e["nodeId"] == load.node),
        {},
    )
    value = outputs.get(load.output)
    if value != load.expected:
        return f"{load.node}.{load.output} is {value!r}, not {load.expected!r}"
    return None


def report(
    load: Load,
    outcome: Outcome,
    took: float,
    cpu: tuple[float, float, float],
    args: argparse.Namespace,
    machine_load: tuple[float, float],
    lines: list[str],
) -> int:
    """Print the figures of one workflow's load (and add them to `lines`); the number of
    executions lost."""
    wrong = [f for f in outcome.failures if not f.startswith("start") and "no final" not in f]
    completed = len(outcome.to_final) - len(wrong)
    lost: int = args.executions - len(outcome.to_final)
    rate = len(outcome.to_final) / took if took else 0.0
    latencies = sorted(outcome.to_202)
    p50 = _percentile(latencies, 0.50) * 1000
    p95 = _percentile(latencies, 0.95) * 1000
    finals = sorted(outcome.to_final)
    server_ms, own_ms, client_ms = (part / max(1, len(outcome.to_final)) * 1000 for part in cpu)
    rate_mark = "ok" if rate >= RATE_TARGET else "NOT MET"
    p95_mark = "ok" if p95 <= P95_TARGET_MS else "NOT MET"
    line = (
        f"serve: {args.executions} executions of the {load.name} at concurrency "
        f"{args.concurrency}{' (--state-dir)' if args.state_dir else ''}: "
        f"{completed} completed, {lost} lost, {len(wrong)} wrong; "
        f"{rate:.1f}/s completed (goal >= {RATE_TARGET:.0f}/s, and n8n's: {rate_mark}), "
        f"time to 202 p50 {p50:.0f} ms p95 {p95:.0f} ms (goal <= {P95_TARGET_MS:.0f} ms: "
        f"{p95_mark}), start to final p50 {_percentile(finals, 0.5) * 1000:.0f} ms; "
        f"server CPU {server_ms:.1f} ms per execution ({own_ms:.1f} in serve's process, the "
        f"rest in its workers; {outcome.reads / max(1, len(outcome.ids)):.1f} reads each), "
        f"the load's own "
        f"{client_ms:.1f} ms; "
        f"load average {machine_load[0]:.1f} -> {machine_load[1]:.1f}"
    )
    print(line, flush=True)
    lines.append(f"- {line}")
    for failure in outcome.failures[:5]:
        print(f"  {failure}", flush=True)
    return lost + len(wrong)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * (len(values) - 1)))]


@contextmanager
def running_serve(
    state_dir: Path | None, workers: int | None = None
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """`stepthunk serve` on a free port of 127.0.0.1 with a fresh key: its URL, the key, the
    process; stopped (as Ctrl+C stops it) on leaving."""
    port = _free_port()
    key = "stk_" + secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "local", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--api-key", f"{key}:{ORGANIZATION}"]
    if state_dir is not None:
        command += ["--state-dir", str(state_dir)]
    if workers is not None:
        command += ["--workers", str(workers)]
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "1"}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, process, output)
            yield url, key, process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], output: Any) -> None:
    give_up = time.monotonic() + STARTUP_S
    while time.monotonic() < give_up:
        if process.poll() is not None:
            output.seek(0)
            raise SystemExit(f"serve stopped while starting:\n{output.read().decode()}")
        try:
            with LoadClient(url, timeout=1.0) as probe:
                probe.get("/openapi.json")
            return
        except LoadError:
            time.sleep(0.1)
    raise SystemExit(f"serve did not answer within {STARTUP_S:.0f} s")


@contextmanager
def _profiled(pid: int, path: Path | None, name: str) -> Iterator[None]:
    """While inside, py-spy samples process `pid` and its execution workers (every thread
    holding its interpreter's lock) into `path`, if given."""
    if path is None:
        yield
        return
    target = path.with_name(f"{path.stem}-{name.replace(' ', '-')}{path.suffix}")
    command = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--format", "speedscope"]
    spy = subprocess.Popen([*command, "--output", str(target), "--rate", "200", "--gil"])
    time.sleep(1.0)  # attached before the load begins
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time so far (Linux) of serve's process `pid` and its execution
    workers together, and of `pid` alone."""
    ticks: int = os.sysconf("SC_CLK_TCK")
    own = 0.0
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        total += seconds
        own = seconds if process == pid else own
    return total, own


def _children(pid: int) -> list[int]:
    """The processes `pid` started (its workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


if __name__ == "__main__":
    sys.exit(main())
