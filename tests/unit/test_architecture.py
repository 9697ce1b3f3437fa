"""ARCHITECTURE.md names the module of each part of SPEC: each path it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "ARCHITECTURE.md"


def named_paths() -> list[str]:
    return sorted(
        set(re.findall(r"`((?:statemachine|lambdas|local|cdk)/[\w/]+\.py)`", MAP.read_text()))
    )


def test_every_module_the_architecture_names_exists() -> None:
    paths = named_paths()

    assert len(paths) > 20
    assert [path for path in paths if not (ROOT / path).is_file()] == []


def test_the_map_covers_every_section_of_spec() -> None:
    sections = set(re.findall(r"^\| §(\d+) \|", MAP.read_text(), flags=re.MULTILINE))

    assert sections == {str(number) for number in range(1, 11)}


LIFECYCLE = sorted((ROOT / "lambdas" / "lifecycle").glob("*.py"))
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def oversized(source: str) -> list[str]:
    """The module's length when over MAX_MODULE_LINES, and each function over
    MAX_FUNCTION_LINES (docstring included), by name."""
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{lines} lines")
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (item.end_lineno or item.lineno) - item.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{item.name}: {length} lines")
    return found


def test_the_lifecycle_keeps_small_modules_and_functions() -> None:
    assert len(LIFECYCLE) >= 10
    found = {path.name: problems for path in LIFECYCLE if (problems := oversized(path.read_text()))}
    assert found == {}


def test_a_long_function_is_named() -> None:
    body = "\n".join(f"    x = {n}" for n in range(MAX_FUNCTION_LINES))
    assert oversized(f"def long():\n{body}\n") == [f"long: {MAX_FUNCTION_LINES + 1} lines"]
    assert oversized("x = 1\n" * (MAX_MODULE_LINES + 1)) == [f"{MAX_MODULE_LINES + 1} lines"]
