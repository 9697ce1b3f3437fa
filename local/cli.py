"""The `stepthunk` command line: validate, plan, list node types, run workflows, serve the
APIs locally, and use a deployed stack's (deploy, start, execution).

Exit codes of `run` and `start` (SPEC §9): 0 completed, 1 error, 2 invalid workflow or usage
(a request the API refused as the caller's: 4xx), 3 exhausted; a command against an API that
cannot be reached or fails (5xx) exits 1; any command stopped by Ctrl+C exits 130 (128 +
SIGINT, as shells report it).
Errors are printed as readable messages; a traceback is shown only with STEPTHUNK_DEBUG=1.

Here: `main`, which turns errors into those exit codes (local/cli_exits.py). The parser is
local/cli_parser.py; the commands are local/cli_local.py (this machine) and
local/cli_remote.py (a deployed stack); the parsing of `--input` and `--secret`,
local/cli_inputs.py.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from local.cli_exits import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK
from local.cli_inputs import UsageError
from local.cli_parser import DEFAULT_STACK as DEFAULT_STACK  # re-exported: tests use it
from local.cli_parser import parser
from local.display import print_problems, shown
from local.moto_start import MotoVersionMismatch
from local.remote import RemoteError
from statemachine.errors import CompileError, WorkflowValidationError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `stepthunk` script; returns the process exit code."""
    if argv is None:  # the command is the process: it ends with it
        # The interpreter's last collections would walk every object the command made
        # (moto's start leaves ~250,000): the process ends without them.
        atexit.register(gc.freeze)
    args = parser().parse_args(argv)
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    try:
        code: int = args.command(args, out, err)
    except UsageError as error:
        _complain(err, str(error))
        return EXIT_INVALID
    except WorkflowValidationError as error:
        print_problems(err, error.problems, error.problem_count)
        return EXIT_INVALID
    except CompileError as error:  # valid, but too large for one state machine
        _complain(err, str(error))
        return EXIT_INVALID
    except MotoVersionMismatch as error:  # the embedded engine cannot start
        _complain(err, str(error))
        return EXIT_ERROR
    except RemoteError as error:  # the deployed API refused or could not be reached
        _complain(err, str(error))
        return EXIT_INVALID if 400 <= error.status < 500 else EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl+C: a running execution is abandoned with the process
        _complain(err, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader left (`stepthunk compile ... | head`): say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # the CLI boundary: users get a message, not a traceback
        if os.environ.get("STEPTHUNK_DEBUG"):
            raise
        _complain(err, f"{type(error).__name__}: {error}", "stepthunk: internal error:")
        return EXIT_ERROR
    return code


def _complain(err: Console, message: str, prefix: str = "stepthunk:") -> None:
    """A message on stderr; it often quotes what the user gave, so it is shown as text."""
    err.print(Text.assemble((prefix, "bold red"), " ", shown(message)))


if __name__ == "__main__":
    sys.exit(main())
