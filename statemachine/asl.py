"""Amazon States Language pieces the compiler assembles: tasks with our retry and catch
rules, Choice and Fail states, and the definition's JSON text."""

from __future__ import annotations

import json
import re
from typing import Any

from statemachine import state_names as names
from statemachine.error_names import ALL_ERRORS, LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR
from statemachine.limits import MAX_MAP_ITERATIONS
from statemachine.path_keys import escape_keys

State = dict[str, Any]


def definition_json(definition: dict[str, Any]) -> str:
    """The definition as compact JSON: same definition, same text, byte for byte.

    Exponents are written without leading zeros (`1e-6`, where Python writes `1e-06`): the
    same JSON number, and the only form some ASL parsers (moto's grammar) accept.
    """
    text = json.dumps(definition, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _EXPONENT_ZERO.search(text) is None:  # the common case: nothing to rewrite
        return text
    return _STRING_OR_EXPONENT.sub(_plain_exponent, text)


# A JSON string (left alone) or the exponent of a number (`e-06`: sign kept, zeros dropped).
_EXPONENT_ZERO = re.compile(r"[0-9][eE][+-]?0")
_STRING_OR_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<=[0-9])([eE][+-]?)0+(?=[0-9])')


def _plain_exponent(match: re.Match[str]) -> str:
    return match.group(1) if match.group(1) is not None else match.group(0)


def task(
    resource: str, parameters: dict[str, Any], timeout: int | None = None, *, catch: bool = True
) -> State:
    state: State = {
        "Type": "Task",
        "Resource": resource,
        # The state is the one path; every other key is data (a literal's "a.$" too).
        "Parameters": {"state.$": "$", **escape_keys(parameters)},
        "ResultPath": "$",
    }
    if timeout is not None:
        state["TimeoutSeconds"] = timeout
    state["Retry"] = [
        {
            "ErrorEquals": [*LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR],
            "IntervalSeconds": 1,
            "MaxAttempts": 3,
            "BackoffRate": 2.0,
        }
    ]
    if catch:
        state["Catch"] = [
            {"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}
        ]
    return state


def choice(variable: str, value: bool | str, then: str) -> State:
    test = "BooleanEquals" if isinstance(value, bool) else "StringEquals"
    return {"Type": "Choice", "Choices": [{"Variable": variable, test: value, "Next": then}]}


def fail(error: str, **cause: str) -> State:
    return {"Type": "Fail", "Error": error, **cause}


def unique(states: list[tuple[str, State]]) -> dict[str, State]:
    """The states by name; their names are distinct by construction (`StateNames`)."""
    named: dict[str, State] = {}
    for name, state in states:
        if name in named:
            raise ValueError(f"The compiler named two states '{name}'")
        named[name] = state
    return named


def task_count(state: State) -> int:
    """The Task states `state` is or holds (one per branch of a Parallel state)."""
    if state["Type"] == "Parallel":
        return sum(task_count(s) for branch in state["Branches"] for s in branch["States"].values())
    return int(state["Type"] == "Task")


def path_counts(states: list[tuple[str, State]]) -> dict[str, int]:
    """The Task states and the other states a path through `states` enters; a Parallel
    state records as many events as two other states; an inline Map state as many as its
    iteration (every state of it, and its start and end: one more other state) run
    MAX_MAP_ITERATIONS times."""
    tasks = sum(task_count(state) for _, state in states)
    others = sum({"Task": 0, "Parallel": 2}.get(state["Type"], 1) for _, state in states)
    for _, state in states:
        processor = state.get("ItemProcessor", {}).get("ProcessorConfig", {})
        # a Distributed Map's iterations are executions of their own, outside this history
        if state["Type"] == "Map" and processor.get("Mode") != "DISTRIBUTED":
            iteration = path_counts(list(state["ItemProcessor"]["States"].items()))
            tasks += MAX_MAP_ITERATIONS * iteration["tasks"]
            others += MAX_MAP_ITERATIONS * (iteration["other_states"] + 1)
    return {"tasks": tasks, "other_states": others}


def state_size(name: str, state: State) -> int:
    return len(definition_json({name: state}).encode("utf-8"))
