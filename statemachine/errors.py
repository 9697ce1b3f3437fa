"""Exceptions raised by the pure workflow packages."""

from __future__ import annotations

from statemachine.problems import ProblemCode, ValidationProblem


class StateMachineError(Exception):
    """Root of every error raised by `statemachine`."""


# Problems an error lists: a workflow can have any number (20,000 duplicate edges are 19,999
# problems, a 1.3 MB message), and past the first hundred a reader learns nothing new.
MAX_LISTED_PROBLEMS = 100


class WorkflowValidationError(StateMachineError):
    """The workflow (or a run's input overrides) failed validation; never retried.

    `problems` lists the first MAX_LISTED_PROBLEMS problems found, each with its code;
    `problem_count` counts them all; the message summarises them.
    """

    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = problems[:MAX_LISTED_PROBLEMS]
        self.problem_count = len(problems)
        super().__init__(summarize(self.problems, self.problem_count))


def summarize(problems: list[ValidationProblem], count: int | None = None) -> str:
    """One line naming each problem listed and how many more were found (`count` in all),
    as persisted in a failed execution's `error`."""
    count = len(problems) if count is None else count
    details = "; ".join(f"[{p.code}] {p.message}" for p in problems)
    unlisted = count - len(problems)
    more = f"; and {unlisted} more" if unlisted > 0 else ""
    return f"Invalid workflow ({count} problem{'s' if count != 1 else ''}): {details}{more}"


class CompileError(StateMachineError):
    """The workflow is valid but cannot become a state machine; `code` names why (the HTTP
    API answers it as the error code, `stepthunk validate` as the problem's code)."""

    code = ProblemCode.NOT_COMPILABLE

    def problem(self) -> ValidationProblem:
        """This refusal as a validation problem, with its code."""
        return ValidationProblem(code=self.code, message=str(self))
