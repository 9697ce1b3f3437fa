"""BENCHMARKS.md: the report's tables and targets, the machine, and how each figure is found."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata
from pathlib import Path

from bench.corpus import FETCH_COUNT, FETCH_DELAY_S, LARGE_VALUE_BYTES
from bench.measure import COMPILE_ROUNDS, LARGE_COMPILE_ROUNDS, RUNS, TIME_SCALE
from bench.pricing import PRICES
from bench.tables import Table

ROOT = Path(__file__).resolve().parents[1]
# Written by `make bench-peer` (bench/peer.py); `make bench` keeps it when it rewrites the rest.
PEER_HEADING = "## Against n8n"
# Written part by part by bench/chain.py, bench/control_flow.py, bench/package.py and
# bench/serve_load.py with `--record` (as `make bench` runs them); kept when the report
# rewrites the rest.
SCALE_HEADING = "## Chains, for-each, start, serve and the Lambda package"
SCALE_INTRO = (
    "Each part is written by its benchmark under `make bench`, from one run, next to its goal; "
    "the figures before the work on cost (2026-11-26) are in the section after this one."
)
# Written by hand: what the scale work changed, kept as it is.
BEFORE_HEADING = "## Before and after"

HOW_MEASURED = f"""\
The corpus is `bench/corpus.py` (each workflow's docstring says what it is). The fetching
workflows call a `ThreadingHTTPServer` on 127.0.0.1 started by the report: `/item/k` answers
after {FETCH_DELAY_S * 1000:.0f} ms, so the {FETCH_COUNT} fetches of *fetch-heavy* take at \
least {FETCH_COUNT * FETCH_DELAY_S:.0f} s when they run one after another. The \
{LARGE_VALUE_BYTES // 2**20} MiB value is given at run time (the text input's override), as the \
compiler asks of large values. *secrets-using* sends `Authorization: Bearer \
{{{{secrets.TOKEN}}}}`; the server refuses a wrong token, and the report checks that it did not. \
Every execution must complete (and pass its workflow's check) to be counted. Retry back-off \
sleeps {TIME_SCALE} of its interval (`LocalCloud.time_scale`); the corpus has no Wait states.

- **units**: units of the plan at the default maximum group size (50).
- **plan+compile ms**: `compile_machines` on a validated workflow (it plans, compiles,
  serializes and checks the limits, and stores a large workflow apart from its definition or
  splits it into parts; validation is not included), best of {COMPILE_ROUNDS}
  ({LARGE_COMPILE_ROUNDS} for the 1,000-node, 10,000-node and large-payload workflows). When it
  ends in `CompileError`, the time until the error.
- **definition KiB**: the compact JSON definitions of all its machines; Step Functions' limit
  is 1,024 KiB a machine. **machines**: 1, or 1 + the parts it starts.
- **transitions**: `*StateEntered` events in the history of one execution of our compilation
  on the embedded engine (moto's Step Functions interpreter running our handlers), its parts'
  executions included.
- **one task per node**: the same for the compilation with `max_group_size=1`, run on the
  embedded engine, except where a mark says otherwise (footnotes below the tables).
- **ratio**: transitions / one task per node. **over units**: transitions - units, the states
  every execution enters besides its units (below zero when units share tasks: independent
  units of one node each run side by side in one task).
- **Lambda calls**: `LambdaFunctionScheduled` events of that execution. **Lambda ms**: the sum
  over its invocations of `LambdaFunctionStarted` → `LambdaFunctionSucceeded` (millisecond
  timestamps). The handlers run in-process against moto's DynamoDB, S3 and KMS: on AWS the
  stores' network latency adds to this, and cold starts are not counted.
- **execution ms**: the first to the last event of that history.
- **Standard $/1M**: a million times (transitions at the transition price + Lambda).
- **Express $/1M**: a million times (the request price + the execution ms, rounded up to
  100 ms, at 64 MB + Lambda). The execution ms comes from the embedded engine, where the
  interpreter's own per-state time stands in for Step Functions'.
- **embedded ms**: wall time of `EmbeddedEngine.run` (validate, compile, start the execution,
  wait for it, read the record) with the state machine already created; **in-process ms**:
  `InProcessEngine.run`. Best of {RUNS} runs; one run for the 1,000-node, 10,000-node and
  large-payload workflows.
- **notes**: why a figure is missing: the step that failed and its error, shortened.
- **Parallel target**: *fetch-heavy* as compiled (its ten requests side by side in one task)
  next to the same workflow compiled with `parallel=False`, both on the embedded engine, best
  of {RUNS} runs each.
"""


def benchmarks_markdown(tables: list[Table], footnotes: list[str], targets: list[str]) -> str:
    parts = [
        "# Benchmarks",
        "Written by `make bench` (`bench/report.py`); run it again to refresh. Timings are "
        "from one machine and vary by a few tens of percent between runs.",
        "## Machine",
        "\n".join(f"- {line}" for line in machine()),
        "## Results",
    ]
    for table in tables:
        parts += [f"### {table.title}", table.as_markdown()]
    parts += footnotes
    parts += [
        "## Targets",
        "\n".join(f"- {target}" for target in targets),
        "## How it was measured",
        HOW_MEASURED.rstrip(),
        "## Prices used",
        "\n".join(f"- {line}" for line in PRICES),
    ]
    document = ROOT / "BENCHMARKS.md"
    kept = [
        section
        for heading in (SCALE_HEADING, BEFORE_HEADING, PEER_HEADING)
        for section in _kept_section(document, heading)
    ]
    return "\n\n".join([*parts, *kept]) + "\n"


def record_scale(title: str, lines: list[str], document: Path = ROOT / "BENCHMARKS.md") -> None:
    """Write `lines` as the part `title` of the scale section of BENCHMARKS.md (replacing the
    part of that title), dated, with the machine's load at the time."""
    load = os.getloadavg()[0]
    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, load {load:.1f}"
    part = [f"### {title}", "", f"Measured {when} on {os.cpu_count()} logical CPUs:", "", *lines]
    text = document.read_text(encoding="utf-8") if document.exists() else "# Benchmarks\n"
    if section_of(text, SCALE_HEADING) is None:
        # a new scale section goes before the hand-written and the peer's sections
        lines = text.rstrip("\n").split("\n")
        later = [lines.index(h) for h in (BEFORE_HEADING, PEER_HEADING) if h in lines]
        at = min(later, default=len(lines))
        text = "\n".join([*lines[:at], SCALE_HEADING, "", SCALE_INTRO, "", *lines[at:]]) + "\n"
    scale = section_of(text, SCALE_HEADING) or SCALE_HEADING
    scale = with_section(scale, f"### {title}", "\n".join(part))
    document.write_text(with_section(text, SCALE_HEADING, scale), encoding="utf-8")


def with_section(text: str, heading: str, section: str) -> str:
    """Markdown `text` with the section under `heading` (to the next heading of its level or
    above) replaced by `section`, or `section` appended when `text` has none."""
    lines = text.rstrip("\n").split("\n")
    new = section.strip("\n").split("\n")
    bounds = _bounds(lines, heading)
    if bounds is None:
        return "\n".join([*lines, "", *new]) + "\n"
    start, end = bounds
    after = lines[end:]
    return "\n".join([*lines[:start], *new, *([""] if after else []), *after]) + "\n"


def section_of(text: str, heading: str) -> str | None:
    """The section of markdown `text` under `heading`, heading included, or None."""
    lines = text.rstrip("\n").split("\n")
    bounds = _bounds(lines, heading)
    return None if bounds is None else "\n".join(lines[bounds[0] : bounds[1]]).strip("\n")


def _bounds(lines: list[str], heading: str) -> tuple[int, int] | None:
    """Where the section under `heading` starts and ends in `lines`."""
    if heading not in lines:
        return None
    start = lines.index(heading)
    level = len(heading.split(" ", 1)[0])
    for end in range(start + 1, len(lines)):
        marks = lines[end].split(" ", 1)[0]
        if marks and set(marks) == {"#"} and len(marks) <= level:
            return start, end
    return start, len(lines)


def _kept_section(document: Path, heading: str) -> list[str]:
    if not document.exists():
        return []
    found = section_of(document.read_text(encoding="utf-8"), heading)
    return [] if found is None else [found]


def machine() -> list[str]:
    """The platform, CPU, Python and moto the figures come from, and when."""
    return [
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"Platform: {platform.platform()}",
        f"CPU: {_cpu_model()} ({os.cpu_count()} logical CPUs)",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        f"moto: {metadata.version('moto')}",
    ]


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
