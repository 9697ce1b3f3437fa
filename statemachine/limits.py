"""The Step Functions limits a compiled workflow must fit, checked at compile time."""

from __future__ import annotations

import json
from typing import Any

from statemachine import quotas
from statemachine.errors import CompileError
from statemachine.problems import ProblemCode

MAX_DEFINITION_BYTES = quotas.DEFINITION_BYTES
HISTORY_EVENT_LIMIT = quotas.HISTORY_EVENTS
# Retries add events the estimate does not count: refuse well before the hard limit.
HISTORY_EVENT_BUDGET = 20_000
EVENTS_PER_TASK = 5
EVENTS_PER_OTHER_STATE = 2
EVENTS_PER_EXECUTION = 2
# The most iterations an inline Map state runs (a for-each node refuses more items): the
# iterations are events of the execution's history, so the compiler counts a Map state as
# this many runs of its iteration.
MAX_MAP_ITERATIONS = 500
# An Express state machine stops an execution after 5 minutes.
EXPRESS_MAX_SECONDS = quotas.EXPRESS_SECONDS
# The timeout of a task running one node (Standard workflows).
INDIVIDUAL_TIMEOUT_SECONDS = 300
# What a task keeps of its time to report a node's result once the node is done or stopped.
REPORT_SECONDS = 10
# The most a node may wait (fetch's timeout, a script's): its task stops after
# INDIVIDUAL_TIMEOUT_SECONDS, and REPORT_SECONDS are left to report the result.
MAX_NODE_WAIT_MS = (INDIVIDUAL_TIMEOUT_SECONDS - REPORT_SECONDS) * 1000


# Step Functions refuses a task input over 256 KiB (States.DataLimitExceeded, which no Catch
# of States.ALL catches). A task's input is its Parameters with the state in them; the state
# carries packed values (lambdas.runtime.payload: results up to 96 KiB, inputs up to 32 KiB,
# Parallel branches up to 50 KiB), so what the definition adds to it must stay small.
TASK_INPUT_LIMIT = quotas.STATE_PAYLOAD_BYTES
TASK_PARAMETERS_BUDGET = 64 * 1024


class TooLarge(CompileError):
    """The workflow does not fit one state machine (definition size or execution history)."""

    code = ProblemCode.WORKFLOW_TOO_LARGE


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


def check_task_parameters(states: dict[str, Any]) -> None:
    """Refuse a task (in `states` or their Parallel branches) whose Parameters would leave
    too little of its input's 256 KiB to the state: the nodes and literals it carries."""
    for name, state in states.items():
        for branch in state.get("Branches", []):
            check_task_parameters(branch["States"])
        if state["Type"] != "Task":
            continue
        size = len(json.dumps(state.get("Parameters", {}), ensure_ascii=False).encode("utf-8"))
        if size > TASK_PARAMETERS_BUDGET:
            raise TooLarge(
                f"The task '{name}' would carry {size:,} bytes of node definitions, more than "
                f"the {TASK_PARAMETERS_BUDGET:,} bytes this compiler allows (a task's input, "
                f"its state included, may take {TASK_INPUT_LIMIT:,} bytes): deploy the "
                "workflow through the API, which stores it by content hash, or give large "
                "values as inputs at run time"
            )
