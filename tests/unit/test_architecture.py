"""ARCHITECTURE.md names the module of each part of SPEC: each path it names exists."""

from __future__ import annotations

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
