"""The Lambda package: each code asset's zipped size and each handler's cold import time.

Prints both next to their goals and asserts nothing. The assets come from a synth of the app,
as `cdk synth` makes them (ARM64 wheels), zipped as `cdk deploy` uploads them. Those wheels
do not run here, so the import times come from the same bundle built for this machine's
Python: the same requirements and file selection (cdk.bundling.assemble), bytecode compiled
by this interpreter. Each run is a fresh `python -X importtime` in that folder alone, with
the function's environment and the variables Lambda sets (tracing on, as deployed); the
figure is the median of the runs. A last row times, alike, what any handler imports at the
least (a pydantic model, Powertools' logger and metrics): on a loaded machine, it shows how
much of each figure the load makes. With `--instructions`, each import's instructions are also
counted (valgrind's callgrind), a figure no load moves. Run by `make bench` (with
`--instructions` when valgrind is installed), or `python -m bench.package`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.document import record_scale
from bench.tables import Table

ZIPPED_GOAL_MB = 10.0
IMPORT_GOAL_MS = 250.0
RUNS = 9
STACK = "Stepthunk"
# What every handler imports at the least: pydantic, with a model built, and Powertools'
# logger and metrics. Timed alike, it tells a loaded machine's share from our own code's.
FLOOR = (
    "from pydantic import BaseModel\n"
    "class Event(BaseModel):\n"
    "    id: str\n"
    "from aws_lambda_powertools import Logger, Metrics\n"
    "Logger(service='floor'); Metrics(namespace='floor', service='floor')"
)
_MARK = "-- handler import --"
# jsii prints a large end-of-life box for Node 20 on every start (cdk.bundling loads it).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Handler:
    """A function of the template: its handler module and the environment it runs with."""

    function: str
    module: str
    environment: dict[str, str]


def synthesize(outdir: Path) -> Path:
    """Synthesize the app into `outdir` (as the infrastructure tests do); returns `outdir`."""
    from cdk.app import create_app

    create_app(outdir=str(outdir)).synth()
    return outdir


def code_assets(outdir: Path) -> dict[str, Path]:
    """The folders that `cdk deploy` zips (the Lambda code), by asset hash."""
    manifest = json.loads((outdir / f"{STACK}.assets.json").read_text(encoding="utf-8"))
    return {
        asset_hash: outdir / asset["source"]["path"]
        for asset_hash, asset in manifest["files"].items()
        if asset["source"].get("packaging") == "zip"
    }


def handlers(outdir: Path) -> list[Handler]:
    """Every function of the stack, with the literal part of its environment."""
    template = json.loads((outdir / f"{STACK}.template.json").read_text(encoding="utf-8"))
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        variables = properties.get("Environment", {}).get("Variables", {})
        found.append(
            Handler(
                function=name,
                module=properties["Handler"].rsplit(".", 1)[0],
                # A reference to a resource (a table's name) reads as a placeholder.
                environment={k: v if isinstance(v, str) else "x" for k, v in variables.items()},
            )
        )
    return sorted(found, key=lambda handler: handler.module)


def zipped_bytes(folder: Path) -> int:
    """The size of `folder` zipped with deflate at level 9, as the CDK CLI zips assets."""
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(folder).as_posix())
        return archive.tell()


def host_bundle(folder: Path) -> Path:
    """The Lambda bundle built for this machine's Python into `folder` (which must not exist)."""
    from cdk import bundling

    dependencies = bundling.install(bundling.REQUIREMENTS, (), sys.executable, "host-dependencies")
    bundling.assemble(dependencies, folder, sys.executable)
    return folder


@dataclass(frozen=True)
class Import:
    """One cold import: the milliseconds `python -X importtime` counts for everything it
    brings in, and the CPU milliseconds the process spent on it (less hostage to the load
    of a shared machine than wall time)."""

    importtime_ms: float
    cpu_ms: float


def _environment(bundle: Path, handler: Handler) -> dict[str, str]:
    """What `handler`'s process has in its environment, as Lambda gives it."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "LAMBDA_TASK_ROOT": str(bundle),
        "AWS_LAMBDA_FUNCTION_NAME": handler.function,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **handler.environment,
    }


def cold_import(bundle: Path, handler: Handler, code: str | None = None) -> Import:
    """One cold import of `handler`'s module (or `code` in its environment) from `bundle`,
    in a fresh interpreter."""
    environment = _environment(bundle, handler)
    timed = (
        f"import sys, time; sys.stderr.write({_MARK!r} + '\\n'); start = time.process_time()\n"
        f"{f'import {handler.module}' if code is None else code}\n"
        "print((time.process_time() - start) * 1000)"
    )
    # -S: nothing but the bundle on the path; -B: Lambda's file system is read-only.
    command = [sys.executable, "-S", "-B", "-X", "importtime", "-c", timed]
    result = subprocess.run(
        command, cwd=bundle, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {handler.module} failed:\n{result.stderr[-3000:]}")
    microseconds = _top_level_microseconds(result.stderr.split(_MARK, 1)[1])
    return Import(microseconds / 1000, float(result.stdout.split()[-1]))


def _top_level_microseconds(importtime: str) -> int:
    """The sum of the cumulative times of the outermost imports in `-X importtime` output."""
    total = 0
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  "):  # nested imports are indented further
            total += int(cumulative)
    return total


def asset_table(assets: dict[str, Path]) -> Table:
    rows: list[tuple[str, ...]] = []
    for asset_hash, folder in assets.items():
        megabytes = zipped_bytes(folder) / 1e6
        rows.append(
            (
                asset_hash[:12],
                f"{megabytes:.1f}",
                f"≤ {ZIPPED_GOAL_MB:.0f}",
                "ok" if megabytes <= ZIPPED_GOAL_MB else "NOT MET YET",
            )
        )
    return Table("Lambda code assets", ("asset", "zipped MB", "goal", ""), rows)


def import_table(bundle: Path, found: list[Handler], runs: int) -> Table:
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for handler in found:
        if handler.module in seen:
            continue
        seen.add(handler.module)
        print(f"importing {handler.module} ...", file=sys.stderr, flush=True)
        rows.append(
            _import_row(handler.module, [cold_import(bundle, handler) for _ in range(runs)])
        )
    if found:
        floor = [cold_import(bundle, found[0], FLOOR) for _ in range(runs)]
        rows.append(_import_row("(pydantic and Powertools alone)", floor, goal=False))
    title = f"Cold import per handler (median of {runs}, this machine's Python, load {_load()})"
    return Table(title, ("handler", "importtime ms", "range", "CPU ms", "goal", ""), rows)


def instructions(bundle: Path, handler: Handler, code: str | None = None) -> int:
    """The instructions a fresh interpreter executes to start and import `handler`'s module
    (or run `code`), counted by valgrind's callgrind: the same on every run, however loaded
    the machine is (timings here have varied by 2x from one hour to the next)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, "-S", "-B", "-c", code or f"import {handler.module}"]
    environment = {**_environment(bundle, handler), "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        command, cwd=bundle, env=environment, capture_output=True, text=True, check=False
    )
    counted = [line for line in result.stderr.splitlines() if "Collected :" in line]
    if result.returncode != 0 or not counted:
        raise RuntimeError(f"counting {handler.module} failed:\n{result.stderr[-3000:]}")
    return int(counted[-1].rsplit(":", 1)[1].strip())


def instruction_table(bundle: Path, found: list[Handler]) -> Table:
    """Each handler's import in instructions, and as a multiple of the reference's (pydantic
    and Powertools alone): a ratio the machine's load does not move."""
    handlers_once = list({handler.module: handler for handler in found}.values())
    floor = instructions(bundle, found[0], FLOOR)
    rows: list[tuple[str, ...]] = []
    for handler in handlers_once:
        print(f"counting {handler.module} ...", file=sys.stderr, flush=True)
        count = instructions(bundle, handler)
        rows.append((handler.module, f"{count / 1e6:,.1f}", f"{count / floor:.2f}"))
    rows.append(("(pydantic and Powertools alone)", f"{floor / 1e6:,.1f}", "1.00"))
    title = "Instructions to start Python and import each handler (callgrind)"
    return Table(title, ("handler", "M instructions", "x the reference"), rows)


def _import_row(name: str, imports: list[Import], *, goal: bool = True) -> tuple[str, ...]:
    times = [one.importtime_ms for one in imports]
    median = statistics.median(times)
    return (
        name,
        f"{median:.0f}",
        f"{min(times):.0f} to {max(times):.0f}",
        f"{statistics.median(one.cpu_ms for one in imports):.0f}",
        f"≤ {IMPORT_GOAL_MS:.0f}" if goal else "",
        ("ok" if median <= IMPORT_GOAL_MS else "NOT MET YET") if goal else "(reference)",
    )


def _load() -> str:
    """The machine's load average over the last minute, next to its cores."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS, help="imports timed per handler")
    parser.add_argument("--record", action="store_true", help="write them to BENCHMARKS.md")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each import's instructions with valgrind (a few minutes)",
    )
    options = parser.parse_args(arguments)
    with tempfile.TemporaryDirectory(prefix="bench-package-") as scratch:
        outdir = synthesize(Path(scratch, "cdk.out"))
        assets = asset_table(code_assets(outdir))
        print(assets.as_text())
        print()
        bundle = host_bundle(Path(scratch, "bundle"))
        found = handlers(outdir)
        imports = import_table(bundle, found, options.runs)
        print(imports.as_text())
        counts = instruction_table(bundle, found) if options.instructions else None
        if counts is not None:
            print()
            print(counts.as_text())
    if options.record:
        record_scale(
            "Lambda package (bench/package.py)",
            [
                f"{assets.title}:",
                "",
                assets.as_markdown(),
                "",
                f"{imports.title}:",
                "",
                imports.as_markdown(),
                *([] if counts is None else ["", f"{counts.title}:", "", counts.as_markdown()]),
            ],
        )


if __name__ == "__main__":
    main()
