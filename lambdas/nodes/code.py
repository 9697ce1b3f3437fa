"""Code nodes: a user's JavaScript, run in the sandbox of lambdas.runtime.javascript.

`javascript` (Dafthunk's ports: `script`, `args`, `timeout` -> `result`, `stdout`, `stderr`)
binds `args` (an array, default empty) in the script's scope; `json-execute-javascript`
(`json`, `javascript`, `timeout` -> `result`) binds `json`. A script's failure (a thrown error,
a syntax error, its timeout, its memory) fails the node with Dafthunk's message,
`Script execution error: ...`. The hidden `error` output is declared for Dafthunk's workflows'
edges; a succeeding script does not produce it (Dafthunk's null, which is "not produced" here).
`timeout` is in milliseconds (default 5,000), bounded by what is left of the task's time.
Numbers are JavaScript's inside a script: an integer beyond 2^53 given to a script reaches it
rounded, as in Dafthunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.javascript import run_script
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import Duration
from statemachine.limits import INDIVIDUAL_TIMEOUT_SECONDS, MAX_NODE_WAIT_MS
from statemachine.model import ParameterType

family = NodeFamily("Code")

DEFAULT_TIMEOUT_MS = 5_000
MAX_TIMEOUT_MS = MAX_NODE_WAIT_MS
TIMEOUT = Duration(
    input="timeout",
    seconds_per_unit=0.001,
    unit="ms",
    maximum=MAX_TIMEOUT_MS,
    reason=f"a script runs in a task that stops after {INDIVIDUAL_TIMEOUT_SECONDS} s",
)
EMPTY_SCRIPT = "Missing or empty script."


def _timeout_port() -> Any:
    return port(
        "timeout",
        ParameterType.NUMBER,
        f"Milliseconds the script may run (default {DEFAULT_TIMEOUT_MS}, at most {MAX_TIMEOUT_MS})",
    )


def _error_port() -> Any:
    return port("error", ParameterType.STRING, "Not produced when the script succeeds", hidden=True)


@family.node(
    "javascript",
    "JavaScript",
    "Runs JavaScript in a sandbox (no network, no files, limited time and memory). `args` is "
    "bound as an array; the last expression, or an explicit `return`, is the result. "
    "console.log lines are `stdout`, console.warn and console.error lines `stderr`.",
    inputs=(
        port("script", ParameterType.STRING, "The JavaScript to run", required=True, fallback=True),
        port("args", ParameterType.JSON, "An array bound to `args` in the script"),
        _timeout_port(),
    ),
    outputs=(
        port("result", ParameterType.JSON, "The script's result (return value or last expression)"),
        port("stdout", ParameterType.STRING, "What console.log printed"),
        port("stderr", ParameterType.STRING, "What console.warn and console.error printed"),
        _error_port(),
    ),
    usage=10,
    duration=TIMEOUT,
)
def javascript(ctx: NodeContext) -> Mapping[str, Any]:
    script = _script(ctx.inputs.get("script"))
    args = ctx.inputs.get("args")
    if args is None:
        args = []
    if not isinstance(args, list):
        raise NodeError("Arguments must be an array of strings.")
    run = run_script(script, {"args": args}, _seconds(ctx))
    if run.error is not None:
        raise NodeError(f"Script execution error: {run.error}")
    return {"result": run.result, "stdout": run.stdout, "stderr": run.stderr}


@family.node(
    "json-execute-javascript",
    "JSON Execute Javascript",
    "Runs JavaScript on a JSON value bound as `json` (sandboxed like `javascript`); the last "
    "expression, or an explicit `return`, is the result.",
    inputs=(
        port("json", ParameterType.JSON, "The value bound to `json`", required=True, fallback=True),
        port(
            "javascript",
            ParameterType.STRING,
            "The JavaScript to run",
            required=True,
            fallback=True,
        ),
        _timeout_port(),
    ),
    outputs=(
        port("result", ParameterType.JSON, "The script's result"),
        _error_port(),
    ),
    duration=TIMEOUT,
)
def json_execute_javascript(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("json")
    if value is None:
        raise NodeError("Missing JSON input object.")
    script = _script(ctx.inputs.get("javascript"))
    run = run_script(script, {"json": value}, _seconds(ctx))
    if run.error is not None:
        raise NodeError(f"Script execution error: {run.error}")
    return {"result": run.result}


def _script(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NodeError(EMPTY_SCRIPT)
    return value


def _seconds(ctx: NodeContext) -> float:
    return ctx.timeout_seconds(TIMEOUT, DEFAULT_TIMEOUT_MS)
