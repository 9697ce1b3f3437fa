"""What can stop the CDK app from synthesizing: one root error and its precise cases."""

from __future__ import annotations

from pathlib import Path


class SynthError(Exception):
    """The app cannot be synthesized as configured."""


class InvalidConfig(SynthError):
    """A context value (`-c key=value` or cdk.json) is not usable."""

    def __init__(self, key: str, value: object, expected: str) -> None:
        super().__init__(f"Context '{key}' is {value!r}; expected {expected}")
        self.key = key
        self.value = value


class InvalidWorkflowFile(SynthError):
    """A workflow file cannot become a state machine: its problems, one per line."""

    def __init__(self, path: Path, problems: str) -> None:
        super().__init__(f"{path}: {problems}")
        self.path = path


class BundlingFailed(SynthError):
    """Installing the Lambda bundle's dependencies failed; `output` is pip's."""

    def __init__(self, command: list[str], output: str) -> None:
        super().__init__(f"{' '.join(command)} failed:\n{output}")
        self.command = command
        self.output = output
