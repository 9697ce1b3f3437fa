"""Regenerate the golden ASL files from the example workflows (run on purpose only)."""

from __future__ import annotations

from tests.golden import EXAMPLES, GOLDEN, ROOT, compile_example, golden_path, render


def main() -> None:
    expected = {golden_path(example) for example in EXAMPLES}
    for example in EXAMPLES:
        path = golden_path(example)
        text = render(compile_example(example))
        changed = not path.exists() or path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{'updated' if changed else 'unchanged'}: {path.relative_to(ROOT)}")
    for stale in sorted(set(GOLDEN.glob("*.asl.json")) - expected):
        stale.unlink()
        print(f"removed (no such example): {stale.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
