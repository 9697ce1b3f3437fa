"""Workflows that call workflows (`run-workflow` nodes): which workflows a workflow calls,
what validation refuses of a call, and the cycles of calls a deploy can see.

A call runs the called workflow as an execution of its own (a child), which the calling
node waits for: on Step Functions a `states:startExecution.sync:2` task (compiled by
statemachine.compiler), in-process the lifecycle runs the child before the node returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from statemachine.model import Node, Workflow
from statemachine.problems import ProblemCode, ValidationProblem

# The node type that calls a workflow (lambdas/nodes/calls.py declares it) and its ports.
RUN_WORKFLOW_TYPE = "run-workflow"
# The node type that runs a workflow once per item of a list (statemachine.for_each).
FOR_EACH_TYPE = "for-each"
WORKFLOW_ID_INPUT = "workflowId"
INPUTS_INPUT = "inputs"
# The task that starts a child and waits for its end (the one parts are run with).
START_CHILD_RESOURCE = "arn:aws:states:::states:startExecution.sync:2"
# The parameter that makes a unit's task complete its run-workflow node after the child.
FINISH_CALL = "finishCall"
# The same, for a for-each node after its items ran.
FINISH_FOR_EACH = "finishForEach"
# How deep calls may nest at run time: a child of a child ... of this depth fails its node
# (what a cycle of calls no deploy could see ends in).
MAX_CALL_DEPTH = 10


def is_call(node: Node) -> bool:
    """Whether `node` calls a workflow."""
    return node.type == RUN_WORKFLOW_TYPE


def calls_workflows(node: Node) -> bool:
    """Whether `node` runs child executions of a workflow: a call, or a for-each (one per
    item), which validation, cycles and the credit estimate treat alike."""
    return node.type in (RUN_WORKFLOW_TYPE, FOR_EACH_TYPE)


def literal_callee(node: Node) -> str | None:
    """The id of the workflow a call node names as a literal (None: an edge or a run's input
    gives it, known only when it runs)."""
    if not calls_workflows(node):
        return None
    port = node.input(WORKFLOW_ID_INPUT)
    value = None if port is None else port.value
    return value if isinstance(value, str) and value else None


def called_ids(workflow: Workflow) -> list[str]:
    """The ids of the workflows `workflow` calls by a literal, each once, in node order."""
    return list(dict.fromkeys(c for node in workflow.nodes if (c := literal_callee(node))))


def call_problems(
    workflow_id: str | None, nodes: Iterable[Node], *, short_lived: bool
) -> list[ValidationProblem]:
    """What validation refuses of call nodes: any in a short-lived workflow (Express cannot
    wait for a child: EXPRESS_UNSUPPORTED), a call of the workflow itself (CALL_CYCLE), and
    a retry policy or a timeout on one (its task is not what runs the child)."""
    problems = []
    for index, node in enumerate(nodes):
        if not calls_workflows(node):
            continue
        where = f"nodes[{index}]"
        if short_lived:
            problems.append(
                ValidationProblem(
                    code=ProblemCode.EXPRESS_UNSUPPORTED,
                    message=f"Node '{node.id}': a short-lived workflow runs on an Express state "
                    "machine, which cannot wait for another workflow's execution "
                    "(startExecution.sync); drop `shortLived` to call workflows",
                    node_id=node.id,
                    path=where,
                )
            )
        if workflow_id is not None and literal_callee(node) == workflow_id:
            problems.append(
                ValidationProblem(
                    code=ProblemCode.CALL_CYCLE,
                    message=f"Node '{node.id}' calls workflow '{workflow_id}', the workflow "
                    "itself: its calls would never end",
                    node_id=node.id,
                    node_ids=[node.id],
                    path=f"{where}.inputs",
                )
            )
        if node.has_policy:
            field = "retry" if node.retry is not None else "timeoutSeconds"
            code = (
                ProblemCode.INVALID_RETRY_POLICY
                if field == "retry"
                else ProblemCode.INVALID_TIMEOUT
            )
            problems.append(
                ValidationProblem(
                    code=code,
                    message=f"Node '{node.id}': a {node.type} node waits for executions of "
                    f"its own, not a task; it takes no {field}",
                    node_id=node.id,
                    path=f"{where}.{field}",
                )
            )
    return problems


def call_cycle(workflow: Workflow, calls_of: Callable[[str], list[str] | None]) -> list[str] | None:
    """A cycle of literal calls through `workflow` (`[a, b, a]`: a calls b, b calls a), if
    one is visible: `calls_of(id)` gives what the deployed workflow `id` calls (None when
    it is not deployed: its calls are unknown). The first cycle found, else None."""
    own = called_ids(workflow)

    def calls(workflow_id: str) -> list[str]:
        if workflow_id == workflow.id:
            return own
        return calls_of(workflow_id) or []

    path: list[str] = [workflow.id]
    on_path = {workflow.id}
    seen: set[str] = set()

    def visit(workflow_id: str) -> list[str] | None:
        for callee in calls(workflow_id):
            if callee in on_path:
                return [*path[path.index(callee) :], callee]
            if callee in seen:
                continue
            seen.add(callee)
            path.append(callee)
            on_path.add(callee)
            found = visit(callee)
            if found is not None:
                return found
            path.pop()
            on_path.discard(callee)
        return None

    return visit(workflow.id)


def cycle_problem(cycle: list[str]) -> ValidationProblem:
    """The problem a deploy reports for a cycle of calls."""
    chain = " → ".join(f"'{workflow_id}'" for workflow_id in cycle)
    return ValidationProblem(
        code=ProblemCode.CALL_CYCLE,
        message=f"The workflows call each other in a cycle ({chain}): its calls would never end",
    )


def continues_call(state: dict[str, Any]) -> bool:
    """Whether `state` is one of the states after a run-workflow node's task (the Choice,
    the task running the child, the task finishing the node), or a for-each node's (its
    Map state running the items): they stay with that task."""
    if state["Type"] in ("Choice", "Map") or state.get("Resource") == START_CHILD_RESOURCE:
        return True
    parameters = state.get("Parameters", {})
    return FINISH_CALL in parameters or FINISH_FOR_EACH in parameters
