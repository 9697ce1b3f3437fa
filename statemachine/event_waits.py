"""A `wait-for-event` node, and Dafthunk's `wait-for-form`, which waits the same way for a
form's answer: their types, their timeout (the wait's: required of a wait-for-event node, a
week by default for a wait-for-form node) and what validation refuses of them. The states
they compile to are statemachine.event_wait_states'; their life on every engine is
lambdas.lifecycle.event_wait's.
"""

from __future__ import annotations

from statemachine.model import Node
from statemachine.problems import ProblemCode, ValidationProblem

WAIT_FOR_EVENT_TYPE = "wait-for-event"
WAIT_FOR_FORM_TYPE = "wait-for-form"
# The node types that wait for a task token, each compiled as statemachine.event_wait_states says.
TOKEN_WAIT_TYPES = frozenset({WAIT_FOR_EVENT_TYPE, WAIT_FOR_FORM_TYPE})
# A Standard execution runs at most a year: a wait cannot outlast it.
MAX_EVENT_WAIT_SECONDS = 365 * 24 * 3600
# How long a wait-for-form node waits without a `timeoutSeconds` (Dafthunk's node has none):
# a week, long enough for a person to answer, short enough that a forgotten form expires.
DEFAULT_FORM_WAIT_SECONDS = 7 * 24 * 3600
# Step Functions' own name for a task that outlived its TimeoutSeconds.
STATES_TIMEOUT = "States.Timeout"
# The service integration that invokes a function and waits for its task token.
WAIT_FOR_TOKEN_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def is_event_wait(node: Node) -> bool:
    """Whether `node` waits for a task token: a wait-for-event node, or a wait-for-form node
    (a form's answer is delivered as an event is)."""
    return node.type in TOKEN_WAIT_TYPES


def is_form_wait(node: Node) -> bool:
    return node.type == WAIT_FOR_FORM_TYPE


def wait_seconds(node: Node) -> int:
    """The most a token-waiting node waits: its `timeoutSeconds`, else (a wait-for-form
    node) DEFAULT_FORM_WAIT_SECONDS."""
    if node.timeout_seconds is not None:
        return node.timeout_seconds
    if is_form_wait(node):
        return DEFAULT_FORM_WAIT_SECONDS
    raise ValueError(f"Node '{node.id}' has no timeoutSeconds")  # validation requires one


def event_wait_problems(node: Node, index: int) -> list[ValidationProblem]:
    """The problems of a token-waiting node's policy fields: `timeoutSeconds` is the wait's
    timeout, from 1 s to a year, required of a wait-for-event node, and it takes no retry
    policy (INVALID_TIMEOUT, INVALID_RETRY_POLICY)."""
    where = f"nodes[{index}]"
    kind = node.type
    problems = []
    if node.retry is not None:
        problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_RETRY_POLICY,
                message=f"Node '{node.id}': a {kind} node waits once; it takes no retry",
                node_id=node.id,
                path=f"{where}.retry",
            )
        )
    seconds = node.timeout_seconds
    missing = seconds is None and not is_form_wait(node)
    if missing or (seconds is not None and not 1 <= seconds <= MAX_EVENT_WAIT_SECONDS):
        said = "is missing" if seconds is None else f"is {seconds}"
        problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_TIMEOUT,
                message=f"Node '{node.id}': timeoutSeconds {said}; a {kind} node "
                f"{'needs' if missing else 'takes'} one, from 1 to "
                f"{MAX_EVENT_WAIT_SECONDS:,} (a year), the most it waits",
                node_id=node.id,
                path=f"{where}.timeoutSeconds",
            )
        )
    return problems


def short_lived_problems(nodes: list[Node]) -> list[ValidationProblem]:
    """A short-lived workflow runs on an Express state machine, which cannot wait for a task
    token: each wait-for-event and wait-for-form node is EXPRESS_UNSUPPORTED."""
    return [
        ValidationProblem(
            code=ProblemCode.EXPRESS_UNSUPPORTED,
            message=f"Node '{node.id}' waits for "
            f"{'a form' if is_form_wait(node) else 'an event'}, which an Express state machine "
            "cannot do: drop `shortLived` to run the workflow on a Standard machine",
            node_id=node.id,
            path=f"nodes[{i}].type",
        )
        for i, node in enumerate(nodes)
        if is_event_wait(node)
    ]
