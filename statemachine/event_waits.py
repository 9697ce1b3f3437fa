"""A `wait-for-event` node: its type, its timeout (required, the wait's) and what validation
refuses of it. The states it compiles to are statemachine.event_wait_states'; its life on every
engine is lambdas.lifecycle.event_wait's.
"""

from __future__ import annotations

from statemachine.model import Node
from statemachine.problems import ProblemCode, ValidationProblem

WAIT_FOR_EVENT_TYPE = "wait-for-event"
# A Standard execution runs at most a year: a wait cannot outlast it.
MAX_EVENT_WAIT_SECONDS = 365 * 24 * 3600
# Step Functions' own name for a task that outlived its TimeoutSeconds.
STATES_TIMEOUT = "States.Timeout"
# The service integration that invokes a function and waits for its task token.
WAIT_FOR_TOKEN_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def is_event_wait(node: Node) -> bool:
    return node.type == WAIT_FOR_EVENT_TYPE


def event_wait_problems(node: Node, index: int) -> list[ValidationProblem]:
    """The problems of a wait-for-event node's policy fields: `timeoutSeconds` is required
    (the wait's timeout, from 1 s to a year) and it takes no retry policy (INVALID_TIMEOUT,
    INVALID_RETRY_POLICY)."""
    where = f"nodes[{index}]"
    problems = []
    if node.retry is not None:
        problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_RETRY_POLICY,
                message=f"Node '{node.id}': a wait-for-event node waits once; it takes no retry",
                node_id=node.id,
                path=f"{where}.retry",
            )
        )
    seconds = node.timeout_seconds
    if seconds is None or not 1 <= seconds <= MAX_EVENT_WAIT_SECONDS:
        said = "is missing" if seconds is None else f"is {seconds}"
        problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_TIMEOUT,
                message=f"Node '{node.id}': timeoutSeconds {said}; a wait-for-event node "
                f"needs one, from 1 to {MAX_EVENT_WAIT_SECONDS:,} (a year), the most it waits",
                node_id=node.id,
                path=f"{where}.timeoutSeconds",
            )
        )
    return problems


def short_lived_problems(nodes: list[Node]) -> list[ValidationProblem]:
    """A short-lived workflow runs on an Express state machine, which cannot wait for a task
    token: each wait-for-event node is EXPRESS_UNSUPPORTED."""
    return [
        ValidationProblem(
            code=ProblemCode.EXPRESS_UNSUPPORTED,
            message=f"Node '{node.id}' waits for an event, which an Express state machine "
            "cannot do: drop `shortLived` to run the workflow on a Standard machine",
            node_id=node.id,
            path=f"nodes[{i}].type",
        )
        for i, node in enumerate(nodes)
        if is_event_wait(node)
    ]
