"""moto's ASL lexer, reading a long plain JSON string in one step instead of one character
at a time.

moto parses a state machine definition with ANTLR's Python runtime, which walks every
character of a token through its automaton (about 3 µs a character, and for characters past
ASCII, which its cache leaves out, about 100 µs): a definition carrying a workflow with a
600 kB literal, or a 100,000-character name in another script, took from seconds to minutes
to deploy. A string token is recognised here by a regular expression when the grammar can
only read it as a plain `STRING`: it is long (no keyword is), and it has none of the
beginnings and ends by which other rules claim a string (`"$…`, `"States.…`, `"{%…`,
`….$"`, see the ASL grammar's string rules). Every other token goes through ANTLR as before.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from antlr4.atn.LexerATNSimulator import LexerATNSimulator  # type: ignore[import-untyped]
from antlr4.InputStream import InputStream  # type: ignore[import-untyped]
from antlr4.PredictionContext import PredictionContextCache  # type: ignore[import-untyped]
from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer

from local.moto_patches import replace

# The grammar's STRING: '"' (ESC | SAFECODEPOINT)* '"'.
JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
# The starts and the end of a string that rules other than STRING match.
CLAIMED_STARTS = ('"$', '"States.', '"{%')
CLAIMED_END = '.$"'
# Far longer than any keyword of the grammar ("States.ExceedToleratedFailureThreshold").
LONG = 256


def plain_string_length(text: str, start: int) -> int:
    """The length of the plain STRING token at `start` of `text` when it is long, else 0."""
    if not text.startswith('"', start) or text.startswith(CLAIMED_STARTS, start):
        return 0
    found = JSON_STRING.match(text, start)
    if found is None or found.end() - start < LONG or text.endswith(CLAIMED_END, 0, found.end()):
        return 0
    return found.end() - start


class _Simulator(LexerATNSimulator):  # type: ignore[misc]
    def match(self, input: InputStream, mode: int) -> int:
        length = plain_string_length(input.strdata, input.index)
        if not length:
            return int(super().match(input, mode))
        # As ANTLR leaves a match: the stream after the token, the position moved on (a
        # JSON string holds no line break).
        self.mode = mode
        self.startIndex = input.index
        input.seek(input.index + length)
        self.column += length
        return int(ASLLexer.STRING)


class QuickStringLexer(ASLLexer):
    """ASLLexer, but long plain strings are matched by a regular expression."""

    def __init__(self, input: InputStream | None = None, output: TextIO = sys.stdout) -> None:
        super().__init__(input, output)
        self._interp = _Simulator(self, self.atn, self.decisionsToDFA, PredictionContextCache())


def install() -> None:
    """Make moto's ASL parser lex with QuickStringLexer."""
    from moto.stepfunctions.parser.asl.parse import asl_parser

    replace(asl_parser, "ASLLexer", QuickStringLexer)
