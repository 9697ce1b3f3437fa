"""Plain tables of strings, rendered for the terminal or as Markdown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A title, headers and rows of cells; columns in `left` are left-aligned, others right."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    left: frozenset[int] = frozenset({0})

    def as_text(self) -> str:
        widths = [
            max(len(cell) for cell in column)
            for column in zip(self.headers, *self.rows, strict=True)
        ]

        def line(cells: tuple[str, ...]) -> str:
            aligned = (
                cell.ljust(width) if i in self.left else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
            return "  ".join(aligned).rstrip()

        rule = "  ".join("-" * width for width in widths)
        return "\n".join([self.title, line(self.headers), rule, *map(line, self.rows)])

    def as_markdown(self) -> str:
        rule = tuple(":--" if i in self.left else "--:" for i in range(len(self.headers)))
        lines = [_markdown_row(self.headers), _markdown_row(rule)]
        lines += [_markdown_row(row) for row in self.rows]
        return "\n".join(lines)


def _markdown_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
