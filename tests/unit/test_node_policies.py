"""A node's retry policy and timeout: validated with their own codes, run alone, compiled
into its task's Retry and TimeoutSeconds."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.compiler import compile_workflow
from statemachine.errors import WorkflowValidationError
from statemachine.model import RetryPolicy
from statemachine.node_policies import MAX_TIMEOUT_SECONDS, retry_delay
from statemachine.planner import IndividualUnit, InlineUnit, plan_workflow
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def with_policy(node_type: str = "fetch", **policy: Any) -> dict[str, Any]:
    literals = {"url": "https://example.test"} if node_type == "fetch" else {}
    carrying = node("n", node_type, **literals)
    carrying.update(policy)
    return workflow(carrying)


def problems_of(raw: dict[str, Any]) -> list[ValidationProblem]:
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(raw, CATALOG)
    return raised.value.problems


@pytest.mark.parametrize(
    ("retry", "field"),
    [
        ({"maxAttempts": 0}, "maxAttempts"),
        ({"maxAttempts": 11}, "maxAttempts"),
        ({"intervalSeconds": 0}, "intervalSeconds"),
        ({"intervalSeconds": 100_000_000}, "intervalSeconds"),
        ({"backoffRate": 0.5}, "backoffRate"),
        ({"backoffRate": 11}, "backoffRate"),
        ({"maxDelaySeconds": 0}, "maxDelaySeconds"),
        ({"maxDelaySeconds": 31_622_401}, "maxDelaySeconds"),
    ],
)
def test_a_retry_policy_out_of_bounds_is_refused_naming_the_field(
    retry: dict[str, Any], field: str
) -> None:
    [problem] = problems_of(with_policy(retry=retry))

    assert problem.code == ProblemCode.INVALID_RETRY_POLICY
    assert problem.node_id == "n"
    assert problem.path == f"nodes[0].retry.{field}"
    assert f"retry.{field} is" in problem.message


@pytest.mark.parametrize("seconds", [0, -5, MAX_TIMEOUT_SECONDS + 1])
def test_a_timeout_out_of_bounds_is_refused(seconds: int) -> None:
    [problem] = problems_of(with_policy(timeoutSeconds=seconds))

    assert problem.code == ProblemCode.INVALID_TIMEOUT
    assert problem.path == "nodes[0].timeoutSeconds"
    assert f"from 1 to {MAX_TIMEOUT_SECONDS}" in problem.message


def test_a_policy_of_the_wrong_shape_is_malformed_with_its_path() -> None:
    [attempts, timeout] = problems_of(with_policy(retry={"maxAttempts": "3"}, timeoutSeconds=True))

    assert attempts.code == ProblemCode.INVALID_WORKFLOW
    assert attempts.path == "nodes[0].retry.maxAttempts"
    assert timeout.code == ProblemCode.INVALID_WORKFLOW
    assert timeout.path == "nodes[0].timeoutSeconds"


def test_every_problem_of_a_policy_is_reported_together() -> None:
    problems = problems_of(
        with_policy(retry={"maxAttempts": 20, "backoffRate": 0}, timeoutSeconds=0)
    )

    assert [p.code for p in problems] == [
        ProblemCode.INVALID_RETRY_POLICY,
        ProblemCode.INVALID_RETRY_POLICY,
        ProblemCode.INVALID_TIMEOUT,
    ]


def test_a_valid_policy_is_kept_with_step_functions_defaults() -> None:
    valid = validate_workflow(with_policy(retry={"maxAttempts": 5}, timeoutSeconds=30), CATALOG)

    [carrying] = valid.nodes
    assert carrying.retry == RetryPolicy(max_attempts=5, interval_seconds=1, backoff_rate=2.0)
    assert carrying.timeout_seconds == 30


def test_a_node_with_a_policy_is_never_part_of_an_inline_group() -> None:
    add = node("add", "addition", b=1)
    add["retry"] = {"maxAttempts": 2}
    timed = node("timed", "multiplication", b=2)
    timed["timeoutSeconds"] = 5
    raw = workflow(
        node("a", "number-input", value=1),
        add,
        node("b", "number-input", value=2),
        timed,
        node("c", "subtraction", b=1),
        edges=[edge("a.value", "add.a"), edge("b.value", "timed.a"), edge("timed.result", "c.a")],
    )

    plan = plan_workflow(validate_workflow(raw, CATALOG), CATALOG)

    assert IndividualUnit(node_id="add") in plan.units
    assert IndividualUnit(node_id="timed") in plan.units
    groups = [unit.node_ids for unit in plan.units if isinstance(unit, InlineUnit)]
    assert all("add" not in group and "timed" not in group for group in groups)


def test_independent_fetches_with_a_policy_keep_tasks_of_their_own() -> None:
    plain = [node(f"p{i}", "fetch", url="https://example.test") for i in range(2)]
    retried = node("r", "fetch", url="https://example.test")
    retried["retry"] = {"maxAttempts": 3}
    raw = workflow(*plain, retried)

    definition = compile_workflow(validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS)

    assert "Run nodes [p0, p1]" in definition["States"]
    assert "Run node r" in definition["States"]


def task_of(definition: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = definition["States"]["Run node n"]
    return state


def test_the_task_of_a_node_with_a_policy_retries_its_failed_attempts_with_jitter() -> None:
    raw = with_policy(
        retry={"maxAttempts": 4, "intervalSeconds": 3, "backoffRate": 1.5, "maxDelaySeconds": 60},
        timeoutSeconds=45,
    )

    task = task_of(compile_workflow(validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS))

    first, service = task["Retry"]
    assert first == {
        "ErrorEquals": ["NodeAttemptFailed"],
        "IntervalSeconds": 3,
        "MaxAttempts": 3,
        "BackoffRate": 1.5,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    }
    assert "Lambda.TooManyRequestsException" in service["ErrorEquals"]
    assert task["TimeoutSeconds"] == 45 + 10  # the node stops at 45 s and reports
    assert "attempt.$" not in task["Parameters"]  # the progress store counts the attempts


def test_a_timeout_alone_sets_the_task_timeout_and_no_retry_of_the_node() -> None:
    raw = with_policy(timeoutSeconds=5)

    task = task_of(compile_workflow(validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS))

    assert task["TimeoutSeconds"] == 15
    assert all("NodeAttemptFailed" not in rule["ErrorEquals"] for rule in task["Retry"])


def test_a_node_with_a_policy_in_a_parallel_state_keeps_its_retry_in_its_branch() -> None:
    raw = with_policy(retry={"maxAttempts": 2})
    raw["nodes"].append(node("other", "fetch", url="https://example.test"))

    definition = compile_workflow(
        validate_workflow(raw, CATALOG), CATALOG, FUNCTIONS, parallel=True
    )

    [parallel] = [s for s in definition["States"].values() if s["Type"] == "Parallel"]
    branch = next(b for b in parallel["Branches"] if b["StartAt"] == "Run node n")
    rules = branch["States"]["Run node n"]["Retry"]
    assert rules[0]["ErrorEquals"] == ["NodeAttemptFailed"]


def test_retry_delays_grow_by_the_backoff_rate_up_to_the_maximum_delay() -> None:
    policy = RetryPolicy(max_attempts=5, interval_seconds=2, backoff_rate=3.0, max_delay_seconds=20)

    assert [retry_delay(policy, n) for n in (1, 2, 3, 4)] == [2.0, 6.0, 18.0, 20.0]


def test_a_wait_node_takes_no_retry_policy_nor_timeout() -> None:
    retried = node("w", "wait", seconds=1)
    retried["retry"] = {"maxAttempts": 2}
    timed = node("v", "wait", seconds=1)
    timed["timeoutSeconds"] = 5

    problems = problems_of(workflow(retried, timed))

    assert [(p.code, p.path) for p in problems] == [
        (ProblemCode.INVALID_RETRY_POLICY, "nodes[0].retry"),
        (ProblemCode.INVALID_TIMEOUT, "nodes[1].timeoutSeconds"),
    ]
    assert "a wait node is a Wait state" in problems[0].message


def test_a_short_lived_workflow_counts_every_attempt_and_the_delays_between_them() -> None:
    def short_lived(timeout: int) -> dict[str, Any]:
        fetch = node("n", "fetch", url="https://example.test", timeout=290_000)
        fetch.update(retry={"maxAttempts": 3}, timeoutSeconds=timeout)
        return {**workflow(fetch), "shortLived": True}

    validate_workflow(short_lived(99), CATALOG)  # 3 attempts of 99 s, 1 + 2 s between: 300 s
    [problem] = problems_of(short_lived(100))

    assert problem.code == ProblemCode.EXPRESS_DURATION_EXCEEDED
    assert problem.message.startswith("Node 'n' may take 303 s, more than the 300 s")
