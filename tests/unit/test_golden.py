"""Each example workflow compiles to exactly its golden ASL definition (tests/golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import EXAMPLES, GOLDEN, REGENERATE, compile_example, golden_path, render

HOW_TO_REGENERATE = (
    f"if the compiler changed on purpose, regenerate the golden files with `{REGENERATE}` "
    "and review the diff"
)


def test_there_are_examples_to_compare():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_compiles_to_its_golden_definition(example: Path):
    golden = golden_path(example)
    assert golden.exists(), f"{golden.name} is missing: {HOW_TO_REGENERATE}"
    compiled = render(compile_example(example))
    assert compiled == golden.read_text(encoding="utf-8"), (
        f"{example.name} no longer compiles to {golden.name}: {HOW_TO_REGENERATE}"
    )


def test_every_golden_file_belongs_to_an_example():
    stale = {path.name for path in GOLDEN.glob("*.asl.json")} - {
        golden_path(example).name for example in EXAMPLES
    }
    assert not stale, f"golden files without an example: {sorted(stale)}; {HOW_TO_REGENERATE}"
