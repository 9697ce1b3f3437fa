"""Checking how long nodes may take before a run: each duration input within its node type's
maximum, and a short-lived workflow's waits and timeouts (a node with a retry policy: every
attempt and the delays between them) within Express's 5 minutes.

Only what is known before the run counts: a literal, or a run's input override. An input
fed by an edge is checked by the node when it runs (see the README).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from statemachine.catalog import Catalog, Duration
from statemachine.event_waits import is_event_wait
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import Edge, InputOverrides, Node, ParameterType
from statemachine.node_policies import most_seconds
from statemachine.port_types import fits
from statemachine.problems import ProblemCode, ValidationProblem


def duration_problems(
    nodes: Iterable[Node],
    edges: Iterable[Edge],
    catalog: Catalog,
    *,
    short_lived: bool,
    overrides: InputOverrides | None = None,
) -> list[ValidationProblem]:
    """The problems of the nodes' known durations (`nodes` completed from the catalog)."""
    connected = {(edge.target, edge.target_input) for edge in edges}
    problems: list[ValidationProblem] = []
    taken: list[tuple[Node, float]] = []  # seconds each node may take, when known
    for node in nodes:
        spec = catalog.get(node.type)
        seconds: float | None = None
        if spec is not None and spec.duration is not None:
            value = _known(node, spec.duration, connected, overrides or {})
            if value is not None:
                problem = _out_of_range(node, spec.duration, value)
                if problem is not None:
                    problems.append(problem)
                    continue
                seconds = value * spec.duration.seconds_per_unit
                seconds = math.ceil(seconds) if spec.duration.whole_seconds else seconds
        if is_event_wait(node):  # refused in a short-lived workflow (statemachine.event_waits)
            continue
        if node.has_policy:  # every attempt, and the delays between them
            seconds = most_seconds(node, seconds)
        if seconds is not None:
            taken.append((node, seconds))
    if short_lived and not problems:
        problems += _express_problems(taken)
    return problems


def _known(
    node: Node, duration: Duration, connected: set[tuple[str, str]], overrides: InputOverrides
) -> float | None:
    """The input's number before the run: an edge's value replaces both override and literal."""
    if (node.id, duration.input) in connected:
        return None
    value = overrides.get(node.id, {}).get(duration.input)
    if value is None:
        port = node.input(duration.input)
        value = None if port is None else port.value
    if value is None or not fits(value, ParameterType.NUMBER):
        return None  # absent, or not a number: reported as such elsewhere
    number: float = value
    return number


def _out_of_range(node: Node, duration: Duration, value: float) -> ValidationProblem | None:
    if value < 0:
        message = (
            f"Node '{node.id}' input '{duration.input}' cannot be negative, got {_number(value)}"
        )
    elif value > duration.maximum:
        message = (
            f"Node '{node.id}' input '{duration.input}' is {_number(value)} {duration.unit}, "
            f"more than the {_number(duration.maximum)} {duration.unit} it may be "
            f"({duration.reason})"
        )
    else:
        return None
    return ValidationProblem(code=ProblemCode.INVALID_VALUE, message=message, node_id=node.id)


def _express_problems(taken: list[tuple[Node, float]]) -> list[ValidationProblem]:
    """A node that alone passes Express's limit, else the total that does."""
    limit = f"the {EXPRESS_MAX_SECONDS} s an Express state machine lets a short-lived workflow run"
    too_long = [(node, seconds) for node, seconds in taken if seconds > EXPRESS_MAX_SECONDS]
    if too_long:
        return [
            ValidationProblem(
                code=ProblemCode.EXPRESS_DURATION_EXCEEDED,
                message=(
                    f"Node '{node.id}' may take {_number(seconds)} s, more than {limit}; "
                    "shorten it, or drop shortLived"
                ),
                node_id=node.id,
            )
            for node, seconds in too_long
        ]
    total = sum(seconds for _, seconds in taken)
    if total <= EXPRESS_MAX_SECONDS:
        return []
    counted = [node.id for node, seconds in taken if seconds > 0]
    listed = ", ".join(f"'{node_id}'" for node_id in counted)
    return [
        ValidationProblem(
            code=ProblemCode.EXPRESS_DURATION_EXCEEDED,
            message=(
                f"The waits and timeouts of nodes {listed} add up to {_number(total)} s "
                f"(counted one after another), more than {limit}; shorten them, "
                "or drop shortLived"
            ),
            node_id=counted[0],
            node_ids=counted,
        )
    ]


def _number(value: float) -> str:
    """A number as a message shows it: whole numbers without a fraction, huge ones with an
    exponent (a number fits a double: validation refuses any larger)."""
    text = str(int(value)) if value == int(value) else str(round(value, 3))
    return text if len(text) <= 20 else f"{float(value):.6g}"
