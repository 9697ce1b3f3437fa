"""Exceptions raised by the pure workflow packages."""

from __future__ import annotations

from statemachine.problems import ProblemCode, ValidationProblem


class StateMachineError(Exception):
    """Root of every error raised by `statemachine`."""


class WorkflowValidationError(StateMachineError):
    """The workflow (or a run's input overrides) failed validation; never retried.

    `problems` lists every problem found, each with its code; the message summarises them.
    """

    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = problems
        super().__init__(summarize(problems))


def summarize(problems: list[ValidationProblem]) -> str:
    """One line naming every problem, as persisted in a failed execution's `error`."""
    count = len(problems)
    details = "; ".join(f"[{p.code}] {p.message}" for p in problems)
    return f"Invalid workflow ({count} problem{'s' if count != 1 else ''}): {details}"


class CompileError(StateMachineError):
    """The workflow is valid but cannot become a state machine; `code` names why (the HTTP
    API answers it as the error code, `stepthunk validate` as the problem's code)."""

    code = ProblemCode.NOT_COMPILABLE

    def problem(self) -> ValidationProblem:
        """This refusal as a validation problem, with its code."""
        return ValidationProblem(code=self.code, message=str(self))
