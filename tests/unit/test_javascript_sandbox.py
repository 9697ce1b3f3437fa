"""The JavaScript sandbox on its own: how a script's result is found, and that its limits
stop it at once and leave the process as it was (that its memory stays bounded over many
scripts, measured in a process of its own: tests/reliability/test_javascript_sandbox.py)."""

from __future__ import annotations

import time

import pytest

from lambdas.runtime.javascript import (
    OUT_OF_MEMORY,
    TIMED_OUT,
    run_script,
    with_last_expression_returned,
)


@pytest.mark.parametrize(
    ("script", "rewritten"),
    [
        ("2 + 2", "return (2 + 2);"),
        ("2 + 2;", "return (2 + 2);"),
        ("{ a: 1 }", "return ({ a: 1 });"),
        ("const a = 1;\na * 2", "const a = 1;\nreturn (a * 2);"),
        ("const a = 1;\na * 2;\n", "const a = 1;\nreturn (a * 2);"),
        ("x = 1; return x", "x = 1; return x"),  # returns on its own
        ("", ""),
    ],
)
def test_the_last_expression_is_returned(script, rewritten):
    assert with_last_expression_returned(script) == rewritten


def test_a_script_whose_last_statement_is_not_an_expression_runs_as_written():
    run = run_script("let n = 0;\nwhile (n < 3) { n++; }", {}, 1.0)
    assert run.error is None
    assert run.result is None


def test_an_endless_loop_stops_within_its_limit_and_the_next_script_runs():
    # The bound: the next script runs within the limit plus one second.
    started = time.monotonic()
    stopped = run_script("while (true) {}", {}, 0.1)
    after = run_script("'next'", {}, 1.0)
    assert stopped.error == TIMED_OUT
    assert after.result == "next"
    assert time.monotonic() - started < 0.1 + 1.0


def test_an_endless_loop_after_an_await_stops_too():
    assert run_script("await null; for (;;) {}", {}, 0.2).error == TIMED_OUT


def test_a_catch_does_not_outlive_the_limit():
    run = run_script("for (;;) { try { while (true) {} } catch (e) {} }", {}, 0.2)
    assert run.error == TIMED_OUT


def test_a_limit_error_names_the_limit():
    assert run_script("new Array(1e9).fill(0)", {}, 5).error == OUT_OF_MEMORY
    assert OUT_OF_MEMORY == "Out of memory: a script may use at most 64 MB"


def test_a_thrown_value_that_is_not_an_error_is_its_text():
    assert run_script("throw 'plain'", {}, 1.0).error == "plain"


def test_a_user_message_mentioning_a_limit_is_kept():
    assert run_script("throw new Error('out of memory')", {}, 1.0).error == "out of memory"
