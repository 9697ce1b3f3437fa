"""Running a user's JavaScript in a sandbox: QuickJS-NG, with no file system, no network and
no host functions, within a time and a memory limit.

Each script gets a new QuickJS runtime of its own (0.3 ms), dropped when the script ends, so
one script's memory or globals never reach the next. The engine itself stops a script that
runs past its time (QuickJS's interrupt handler, checked while JavaScript runs) or allocates
past its memory limit: the script fails with a message, and the process carries on at once
(no thread is left running, nothing is killed). QuickJS has no I/O of its own: `fetch`,
`require`, `import` of a file and `XMLHttpRequest` do not exist in it.

A script runs as the body of an async function (as Dafthunk runs it): `await` works, the value
of an explicit `return` or, failing one, of the last expression is the result, passed back as
JSON. `console.log` (and `info`, `debug`) lines are kept as stdout, `console.warn` and
`console.error` lines as stderr. `setTimeout` and `clearTimeout` work: a timer fires when it is
due, if that is before the script's time runs out; one due later fails the script at once.

The time limit is QuickJS's: it counts the process's CPU time while JavaScript runs, so in a
process that runs other work in threads at the same time (the embedded engine under load) a
busy script can be stopped before its timeout; in a Lambda invocation it is the script's own.
Waiting for a timer counts wall time against the same timeout.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
STACK_LIMIT_BYTES = 1024 * 1024
TIMED_OUT = "Execution timed out"
OUT_OF_MEMORY = f"Out of memory: a script may use at most {MEMORY_LIMIT_BYTES // 2**20} MB"
STDERR_PREFIXES = ("[warn] ", "[error] ")

# The scope every script runs in: console capture and timers, then the script's bindings. The
# script is compiled by the AsyncFunction constructor, so that a syntax error is an error of
# the run (with its message) like any other: first with its last expression returned, then,
# if that does not compile (the last statement was not an expression: a loop, a block), as
# written.
_PRELUDE = r"""
const __logs = [];
const __line = (prefix, args) => { __logs.push(prefix + args.map(String).join(" ")); };
globalThis.console = {
  log: (...a) => __line("", a),
  info: (...a) => __line("", a),
  debug: (...a) => __line("", a),
  warn: (...a) => __line("[warn] ", a),
  error: (...a) => __line("[error] ", a),
};
const __timers = new Map();
let __nextTimer = 1;
globalThis.setTimeout = (callback, ms, ...args) => {
  const id = __nextTimer++;
  __timers.set(id, { callback, args, at: Date.now() + Math.max(0, Number(ms) || 0) });
  return id;
};
globalThis.clearTimeout = (id) => { __timers.delete(id); };
globalThis.__nextTimer = () => {
  let next = null;
  for (const [id, timer] of __timers) {
    if (next === null || timer.at < __timers.get(next).at) next = id;
  }
  return next === null ? null : JSON.stringify([next, __timers.get(next).at]);
};
globalThis.__fire = (id) => {
  const timer = __timers.get(id);
  __timers.delete(id);
  timer.callback(...timer.args);
};
const __message = (e) => {
  if (e instanceof InternalError) return `InternalError: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
};
globalThis.__outcome = null;
globalThis.__start = (names, values, body, asWritten) => {
  try {
    const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
    let run;
    try {
      run = new AsyncFunction(...names, body);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      run = new AsyncFunction(...names, asWritten);
    }
    run(...values).then(
      (value) => { __outcome = JSON.stringify({ value: JSON.stringify(value) }); },
      (e) => { __outcome = JSON.stringify({ error: __message(e) }); },
    );
  } catch (e) {
    __outcome = JSON.stringify({ error: __message(e) });
  }
};
globalThis.__logsJson = () => JSON.stringify(__logs);
"""


@dataclass(frozen=True)
class ScriptRun:
    """What a script left: its result (JSON; None for `undefined`) or its error message, and
    the lines it logged."""

    result: Any = None
    error: str | None = None
    stdout: str = ""
    stderr: str = ""


def with_last_expression_returned(script: str) -> str:
    """`script` with `return` before its last expression, unless it returns on its own.

    Scripts are written for their last expression's value (as in a console); the async
    function they run in returns only what `return` gives. Any `return` in the script (even in
    a string) leaves it as it is; an object literal alone is returned as an object, not read
    as a block; otherwise the part after the last `;` is returned, if any.
    """
    stripped = re.sub(r";\s*$", "", script).rstrip()
    trimmed = stripped.strip()
    if not trimmed or re.search(r"\breturn\b", trimmed):
        return script
    if (trimmed.startswith("{") and trimmed.endswith("}")) or (
        ";" not in stripped and "\n" not in stripped and "\r" not in stripped
    ):
        return f"return ({trimmed});"
    head, separator, tail = stripped.rpartition(";")
    if not separator:
        return f"return ({trimmed});"
    if not tail.strip():
        return head + separator
    return f"{head};\nreturn ({tail.strip()});"


def run_script(
    script: str,
    bindings: Mapping[str, Any],
    seconds: float,
    *,
    memory_limit: int = MEMORY_LIMIT_BYTES,
) -> ScriptRun:
    """Run `script` (an async function's body, its last expression returned) with `bindings`
    as constants in its scope, for at most `seconds`."""
    import quickjs  # 8 ms, on the first script only: most workflows run none

    deadline = time.monotonic() + seconds
    context = quickjs.Context()
    context.set_memory_limit(memory_limit)
    context.set_max_stack_size(STACK_LIMIT_BYTES)
    try:
        _within(context, deadline)
        context.eval(_PRELUDE)
        start = context.get("__start")
        _within(context, deadline)
        start(
            context.parse_json(json.dumps(list(bindings))),
            context.parse_json(json.dumps(list(bindings.values()), allow_nan=False)),
            with_last_expression_returned(script),
            script,
        )
        outcome = _settle(context, deadline)
        stdout, stderr = _logs(context)
    except _TimedOut:
        return ScriptRun(error=TIMED_OUT)
    except quickjs.JSException as error:
        return ScriptRun(error=_engine_error(str(error)))
    if "error" in outcome:
        return ScriptRun(error=_engine_error(str(outcome["error"])), stdout=stdout, stderr=stderr)
    value = outcome.get("value")
    return ScriptRun(
        result=None if value is None else json.loads(value), stdout=stdout, stderr=stderr
    )


class _TimedOut(Exception):
    pass


def _within(context: Any, deadline: float) -> None:
    """Let the next step of the script run for the time left, if any is."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _TimedOut
    context.set_time_limit(left)


def _settle(context: Any, deadline: float) -> dict[str, Any]:
    """Run the script's jobs and due timers until its promise settles."""
    next_timer = context.get("__nextTimer")
    fire = context.get("__fire")
    while True:
        _within(context, deadline)
        while context.execute_pending_job():
            _within(context, deadline)
        outcome = context.get("__outcome")
        if outcome is not None:
            return dict(json.loads(outcome))
        timer = next_timer()
        if timer is None:  # nothing left to run: the promise never settles
            return {"error": "The script's promise never settled (nothing left to wait for)"}
        timer_id, due_ms = json.loads(timer)
        wait = due_ms / 1000 - time.time()
        if time.monotonic() + wait >= deadline:
            raise _TimedOut
        if wait > 0:
            time.sleep(wait)
        _within(context, deadline)
        fire(timer_id)


def _logs(context: Any) -> tuple[str, str]:
    out: list[str] = []
    err: list[str] = []
    for line in json.loads(context.get("__logsJson")()):
        prefix = next((p for p in STDERR_PREFIXES if line.startswith(p)), None)
        if prefix is None:
            out.append(line)
        else:
            err.append(line[len(prefix) :])
    return "\n".join(out), "\n".join(err)


def _engine_error(message: str) -> str:
    """The first line of an error's message, or what the error of a limit means (QuickJS
    raises both as InternalError)."""
    first = message.strip().splitlines()[0] if message.strip() else message
    limits = {
        "InternalError: interrupted": TIMED_OUT,
        "InternalError: out of memory": OUT_OF_MEMORY,
    }
    return limits.get(first) or re.sub(r"^\w*Error: ", "", first)
