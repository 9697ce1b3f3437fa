"""BENCHMARKS.md's scale section: each benchmark writes its own part, in place, and the
corpus report keeps it (with the hand-written before-and-after and the peer's sections)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import document
from bench.document import PEER_HEADING, SCALE_HEADING, record_scale, section_of


def test_each_benchmark_replaces_only_its_own_part(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\n## Results\n\ntables\n\n{PEER_HEADING}\n\nn8n\n")

    record_scale("Chains", ["- 10,000 nodes: 5.5 s"], path)
    record_scale("Serve", ["- 9.2/s"], path)
    record_scale("Chains", ["- 10,000 nodes: 4.9 s"], path)

    text = path.read_text()
    scale = section_of(text, SCALE_HEADING) or ""
    assert scale.index("### Chains") < scale.index("### Serve")
    assert "4.9 s" in scale
    assert "5.5 s" not in scale
    assert "- 9.2/s" in scale
    assert section_of(text, PEER_HEADING) == f"{PEER_HEADING}\n\nn8n"
    assert text.index("## Results") < text.index(SCALE_HEADING) < text.index(PEER_HEADING)


def test_the_report_keeps_the_scale_and_before_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "BENCHMARKS.md").write_text(
        f"# Benchmarks\n\n{SCALE_HEADING}\n\nchains\n\n{document.BEFORE_HEADING}\n\nbefore\n"
    )
    monkeypatch.setattr(document, "ROOT", tmp_path)

    rewritten = document.benchmarks_markdown([], [], ["a target"])

    assert section_of(rewritten, SCALE_HEADING) == f"{SCALE_HEADING}\n\nchains"
    assert section_of(rewritten, document.BEFORE_HEADING) == f"{document.BEFORE_HEADING}\n\nbefore"
