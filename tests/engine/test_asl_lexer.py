"""The embedded engine's ASL lexer reads every definition into the tokens moto's own lexer
reads, long strings of any script included, only faster (local.asl_lexer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from antlr4 import InputStream  # type: ignore[import-untyped]
from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer

from local.asl_lexer import LONG, QuickStringLexer

GOLDEN = sorted(Path(__file__).parents[1].joinpath("golden").glob("*.asl.json"))


def tokens(lexer_class: type[ASLLexer], text: str) -> list[tuple[Any, ...]]:
    lexer = lexer_class(InputStream(text))
    found = []
    while True:
        token = lexer.nextToken()
        found.append((token.type, token.text, token.line, token.column, token.start, token.stop))
        if token.type == token.EOF:
            return found


def with_long_strings(body: str) -> dict[str, Any]:
    """A definition whose strings, long ones among them, start and end as each string rule
    of the grammar claims them (paths, variables, intrinsic functions, JSONata, `.$` keys)."""
    return {
        "Comment": body,
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Pass",
                "Parameters": {
                    "plain": body,
                    f"{body}.$": "$.x",
                    "path": f"${body}",
                    "context": f"$${body}",
                    "variable": f"$v{body}",
                    "intrinsic": f"States.Format({body})",
                    "jsonata": f"{{%{body}%}}",
                    "short": "a" * (LONG - 3),
                    "escapes": f'\\"\t\u00e9\U0001f600{body}',
                },
                "End": True,
            }
        },
    }


@pytest.mark.parametrize(
    "text", [path.read_text() for path in GOLDEN], ids=[p.name for p in GOLDEN]
)
def test_the_golden_definitions_lex_as_moto_lexes_them(text: str) -> None:
    assert tokens(QuickStringLexer, text) == tokens(ASLLexer, text)


@pytest.mark.parametrize("body", ["x" * 300, "é" * 300, "😀" * 300, "a b" * LONG])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_long_strings_lex_as_moto_lexes_them_whatever_rule_claims_them(
    body: str, ascii_only: bool
) -> None:
    text = json.dumps(with_long_strings(body), ensure_ascii=ascii_only, indent=1)
    assert tokens(QuickStringLexer, text) == tokens(ASLLexer, text)
