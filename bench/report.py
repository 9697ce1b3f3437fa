"""The corpus report: every corpus workflow's compile time, transitions, cost and wall time.

Prints two tables and the targets (never asserts them), then writes BENCHMARKS.md. Run by
`make bench`, or `python bench/report.py` from anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a script, Python puts bench/ on the path rather than the repository that holds it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import FETCH_DELAY_S, LARGEST, SECRET_VALUE, Case, corpus
from bench.document import benchmarks_markdown
from bench.measure import PER_NODE_RUN_UNITS, RUNS, Basis, Engines, Row, measure, run_embedded
from bench.pricing import PRICES, Usage, express_usd, per_million, standard_usd
from bench.slow_server import slow_server
from bench.tables import Table
from local.cloud import LocalCloud
from statemachine.validation import validate_workflow

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 1 / 3  # of one task per node's transitions, for a workflow of RATIO_NODES or more
RATIO_NODES = 20
SLACK_TARGET = 5  # transitions over a workflow's units
LARGEST_COMPILE_TARGET_S = 2.0
PARALLEL_TARGET = 0.5  # fetch-heavy's requests side by side, over its sequential compilation
PARALLEL_CASE = "fetch-heavy"
NOT_MET = "NOT MET YET"
MISSING = "—"
MARKERS = {Basis.RUN: "", Basis.PATH: " †", Basis.ESTIMATE: " ‡"}


@dataclass(frozen=True)
class Target:
    """A target of the report, what was measured, and whether it holds."""

    name: str
    measured: str
    met: bool

    def line(self) -> str:
        return f"{self.name}: {self.measured}  [{'ok' if self.met else NOT_MET}]"


def measure_all(cases: list[Case], engines: Engines) -> list[Row]:
    rows: list[Row] = []
    for case in cases:
        print(f"measuring {case.name} ...", file=sys.stderr, flush=True)
        # The first workflow measured (the tiny one) gives the fixed states of an execution.
        fixed_states = next((row.slack for row in rows if row.slack is not None), None)
        rows.append(measure(case, engines, fixed_states))
    return rows


def transitions_table(rows: list[Row]) -> Table:
    return Table(
        "Compilation and state transitions per execution",
        (
            "workflow",
            "nodes",
            "units",
            "plan+compile ms",
            "definition KiB",
            "machines",
            "transitions",
            "one task per node",
            "ratio",
            "over units",
            "notes",
        ),
        [
            (
                row.name,
                f"{row.nodes:,}",
                _number(row.units),
                _number(row.compile_s, _milliseconds),
                _number(row.definition_bytes, lambda b: f"{b / 1024:,.0f}"),
                "—" if row.definition_bytes is None else f"{1 + row.parts}",
                _number(row.transitions),
                _per_node(row),
                _ratio(row.transitions, row.per_node_transitions, "{:.2f}"),
                _number(row.slack, lambda s: f"{s:+,}"),
                "; ".join(row.problems),
            )
            for row in rows
        ],
        left=frozenset({0, 10}),
    )


def cost_table(rows: list[Row]) -> Table:
    return Table(
        "Lambda use, cost per million executions, wall time",
        (
            "workflow",
            "Lambda calls",
            "Lambda ms",
            "execution ms",
            "Standard $/1M",
            "Express $/1M",
            "embedded ms",
            "in-process ms",
            "embedded / in-process",
        ),
        [
            (
                row.name,
                *_usage_cells(row.usage),
                _number(row.embedded_s, _milliseconds),
                _number(row.inprocess_s, _milliseconds),
                _times(row.embedded_s, row.inprocess_s),
            )
            for row in rows
        ],
    )


def targets(rows: list[Row], sequential_s: float | None) -> list[Target]:
    return [
        *(_transitions_target(row) for row in rows),
        *_largest_targets(rows),
        _parallel_target(rows, sequential_s),
    ]


def sequential_time(cases: list[Case], engines: Engines) -> float | None:
    """The embedded wall time of PARALLEL_CASE compiled one unit a state."""
    case = next(case for case in cases if case.name == PARALLEL_CASE)
    catalog = engines.sequential.registry.catalog
    valid = validate_workflow(case.workflow, catalog)
    print(f"measuring {case.name}, sequential ...", file=sys.stderr, flush=True)
    return run_embedded(engines.sequential, case, valid, RUNS)[1]


def _parallel_target(rows: list[Row], sequential_s: float | None) -> Target:
    name = f"{PARALLEL_CASE} side by side, embedded wall time / sequential compilation's"
    parallel_s = next((row.embedded_s for row in rows if row.name == PARALLEL_CASE), None)
    if parallel_s is None or sequential_s is None:
        return Target(name, "not measured", False)
    ratio = parallel_s / sequential_s
    measured = (
        f"{_milliseconds(parallel_s)} ms / {_milliseconds(sequential_s)} ms = {ratio:.2f} "
        f"(target ≤ {PARALLEL_TARGET})"
    )
    return Target(name, measured, ratio <= PARALLEL_TARGET)


def _transitions_target(row: Row) -> Target:
    """One workflow's transitions: at most a third of one task per node's (from RATIO_NODES
    nodes on) and at most SLACK_TARGET over its units."""
    name = f"transitions, {row.name} ({row.nodes:,} nodes)"
    if row.transitions is None or row.slack is None:
        return Target(name, "not measured", False)
    measured, met = [], True
    if row.nodes >= RATIO_NODES:
        if row.per_node_transitions:
            ratio = row.transitions / row.per_node_transitions
            measured.append(
                f"{row.transitions:,} / {_per_node(row)} one task per node = {ratio:.2f} "
                f"(target ≤ {RATIO_TARGET:.2f})"
            )
            met = ratio <= RATIO_TARGET
        else:
            measured.append("one task per node not measured")
            met = False
    measured.append(f"{row.slack:+,} over its units (target ≤ +{SLACK_TARGET})")
    return Target(name, "; ".join(measured), met and row.slack <= SLACK_TARGET)


def _largest_targets(rows: list[Row]) -> list[Target]:
    largest = next((r for r in rows if r.name == LARGEST), None)
    if largest is None or largest.compile_s is None:
        return [Target(f"compile of {LARGEST}", "not measured", False)]
    ended = " (ended in CompileError)" if largest.compile_failed else ""
    fast = largest.compile_s < LARGEST_COMPILE_TARGET_S and not largest.compile_failed
    compiled = Target(
        f"plan+compile of {LARGEST}",
        f"{largest.compile_s:.2f} s{ended} (target < {LARGEST_COMPILE_TARGET_S:.0f} s)",
        fast,
    )
    completed = largest.usage is not None
    failure = next((p for p in largest.problems if p.startswith("embedded: ")), "")
    ran = Target(
        f"{LARGEST} completes on the embedded engine",
        "yes" if completed else f"no ({failure.removeprefix('embedded: ')})",
        completed,
    )
    return [compiled, ran]


def footnotes(rows: list[Row]) -> list[str]:
    notes = []
    if any(r.per_node_basis == Basis.PATH for r in rows):
        notes.append(
            f"† not run (over {PER_NODE_RUN_UNITS} units with one task per node): the states "
            "on the success path of its one-task-per-node definition, walked from StartAt."
        )
    if any(r.per_node_basis == Basis.ESTIMATE for r in rows):
        notes.append(
            "‡ one-task-per-node cannot be compiled (see notes): estimated as one state per "
            "node plus the fixed states of an execution (the tiny workflow's transitions - "
            "units; this workflow's own where the tiny one did not run)."
        )
    return notes


def main() -> None:
    engines = Engines.create(LocalCloud.shared())
    with slow_server(FETCH_DELAY_S, SECRET_VALUE) as base_url:
        cases = corpus(base_url)
        rows = measure_all(cases, engines)
        sequential_s = sequential_time(cases, engines)
    tables = [transitions_table(rows), cost_table(rows)]
    for table in tables:
        print(table.as_text(), end="\n\n")
    for line in [*footnotes(rows), "Prices:", *PRICES]:
        print(line)
    reached = targets(rows, sequential_s)
    print("Targets")
    for target in reached:
        print(f"  {target.line()}")
    document = ROOT / "BENCHMARKS.md"
    lines = [target.line() for target in reached]
    document.write_text(benchmarks_markdown(tables, footnotes(rows), lines), encoding="utf-8")
    print(f"wrote {document.relative_to(ROOT)}")


def _number(value: float | None, format: Callable[[float], str] = "{:,}".format) -> str:
    return MISSING if value is None else format(value)


def _usage_cells(usage: Usage | None) -> tuple[str, ...]:
    """Lambda calls, Lambda ms, execution ms, Standard and Express cost per million."""
    if usage is None:
        return (MISSING,) * 5
    return (
        f"{usage.invocations:,}",
        f"{sum(usage.lambda_ms):,.0f}",
        f"{usage.duration_ms:,.0f}",
        _dollars(per_million(standard_usd(usage))),
        _dollars(per_million(express_usd(usage))),
    )


def _per_node(row: Row) -> str:
    if row.per_node_transitions is None:
        return MISSING
    return f"{row.per_node_transitions:,}{MARKERS[row.per_node_basis]}"


def _ratio(numerator: float | None, denominator: float | None, format: str) -> str:
    if numerator is None or not denominator:
        return MISSING
    return format.format(numerator / denominator)


def _times(numerator: float | None, denominator: float | None) -> str:
    """How many times `denominator` `numerator` is: 0.18x, 3.5x, 202x."""
    if numerator is None or not denominator:
        return MISSING
    ratio = numerator / denominator
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x" if ratio < 10 else f"{ratio:,.0f}x"


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _dollars(usd: float) -> str:
    return f"${usd:,.2f}"


if __name__ == "__main__":
    main()
