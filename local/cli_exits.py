"""The exit codes of the `stepthunk` command (SPEC §9; local/cli.py says which command exits
with which), shared by `main` and the commands that return them.
"""

from __future__ import annotations

from lambdas.runtime.record import ExecutionStatus

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_EXHAUSTED = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
RUN_EXIT_CODES = {ExecutionStatus.COMPLETED: EXIT_OK, ExecutionStatus.EXHAUSTED: EXIT_EXHAUSTED}
