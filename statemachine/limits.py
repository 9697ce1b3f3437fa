"""The Step Functions limits a compiled workflow must fit, checked at compile time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from statemachine.errors import CompileError, KeyReadAsPath
from statemachine.model import Workflow

MAX_DEFINITION_BYTES = 1_048_576
HISTORY_EVENT_LIMIT = 25_000
# Retries add events the estimate does not count: refuse well before the hard limit.
HISTORY_EVENT_BUDGET = 20_000
EVENTS_PER_TASK = 5
EVENTS_PER_OTHER_STATE = 2
EVENTS_PER_EXECUTION = 2


class TooLarge(CompileError):
    """The workflow does not fit one state machine (definition size or execution history)."""

    code = "WORKFLOW_TOO_LARGE"


def history_events(*, tasks: int, other_states: int) -> int:
    """About how many history events a path through `tasks` Task states and `other_states`
    other states records (without retries)."""
    return EVENTS_PER_EXECUTION + EVENTS_PER_TASK * tasks + EVENTS_PER_OTHER_STATE * other_states


def check_history(units: int, *, tasks: int, other_states: int) -> None:
    """Refuse a workflow whose longest path would overflow the execution history."""
    events = history_events(tasks=tasks, other_states=other_states)
    if events > HISTORY_EVENT_BUDGET:
        raise TooLarge(
            f"The workflow has {units:,} units ({tasks:,} tasks in all): an execution would "
            f"record about {events:,} history events, more than the {HISTORY_EVENT_BUDGET:,} "
            f"this compiler allows (Step Functions' limit is {HISTORY_EVENT_LIMIT:,} events "
            "per execution, and retries need a margin); split the workflow or let more nodes "
            "share inline groups"
        )


def check_size(size: int, most: int = MAX_DEFINITION_BYTES) -> None:
    """Refuse a definition of `size` bytes (compact UTF-8 JSON) over `most` (by default what
    Step Functions accepts)."""
    if size > most:
        raise TooLarge(
            f"The state machine definition would take {size:,} bytes, more than the "
            f"{most:,} bytes a state machine may take (the nodes and their literals are "
            "part of it: give large values as inputs at run time)"
        )


def refuse_path_keys(workflow: Workflow) -> None:
    """Refuse a literal with a key ending in ".$": in `Parameters` it would be read as a path."""
    for node in workflow.nodes:
        for port in (*node.inputs, *node.outputs):
            for key in _keys(port.value):
                if key.endswith(".$"):
                    raise KeyReadAsPath(
                        f"Node '{node.id}' has a literal '{port.name}' with the key '{key}': "
                        "Step Functions reads keys ending in '.$' as paths, so this workflow "
                        "cannot be compiled; rename the key or give the value at run time"
                    )


def _keys(value: Any) -> Iterator[str]:
    """Every object key anywhere in a JSON value."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield from item
            pending += item.values()
        elif isinstance(item, list):
            pending += item
