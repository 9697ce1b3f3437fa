"""StepFunctionsMachines on moto, executing for real: deploys publish versions, executions
start once per name, stop only while running, and their last state is read from history."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core.config import DefaultConfig

from lambdas.adapters.state_machines import Observability, StepFunctionsMachines
from lambdas.runtime.errors import TransientError
from lambdas.runtime.ports import DeployedMachine
from lambdas.runtime.store_errors import ExecutionNameTaken, MachineMissing
from tests.component.conftest import Aws, failing

STATE = {"execution": {"id": "exec-1"}, "inputs": {"a": {"b": 1}}}


@pytest.fixture
def moto_config() -> DefaultConfig:
    return {"stepfunctions": {"execute_state_machine": True}}


@pytest.fixture
def machines(aws: Aws) -> StepFunctionsMachines:
    return StepFunctionsMachines(aws.stepfunctions)


def definition(*states: tuple[str, dict[str, Any]]) -> str:
    """A chain of `states` (name, state), each leading to the next."""
    chained = {
        name: {**state, **({"Next": states[i + 1][0]} if i + 1 < len(states) else {"End": True})}
        for i, (name, state) in enumerate(states)
    }
    return json.dumps({"StartAt": states[0][0], "States": chained})


PASS = definition(("Mark", {"Type": "Pass", "Result": "passed", "ResultPath": "$.mark"}))
WAIT = definition(("Wait", {"Type": "Wait", "Seconds": 100_000}))


def deploy(machines: StepFunctionsMachines, aws: Aws, text: str = PASS) -> DeployedMachine:
    return machines.deploy(f"component-{aws.suffix}", text, aws.role_arn)


def finished(aws: Aws, execution_arn: str) -> str:
    """The status of the execution once it has stopped running."""
    give_up = time.monotonic() + 5
    while True:
        status = aws.stepfunctions.describe_execution(executionArn=execution_arn)["status"]
        if status != "RUNNING" or time.monotonic() > give_up:
            return status
        time.sleep(0.01)


@pytest.fixture
def running(machines: StepFunctionsMachines, aws: Aws) -> Iterator[str]:
    """An execution waiting for a day; stopped after the test whatever happens."""
    machine = deploy(machines, aws, WAIT)
    arn = machines.start(machine.state_machine_arn, "waiting", STATE)
    yield arn
    if aws.stepfunctions.describe_execution(executionArn=arn)["status"] == "RUNNING":
        aws.stepfunctions.stop_execution(executionArn=arn)


def test_deploying_again_updates_the_machine_and_publishes_a_new_version(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    first = deploy(machines, aws)
    second = deploy(machines, aws, WAIT)
    assert second.state_machine_arn == first.state_machine_arn
    assert first.state_machine_arn.endswith(f":stateMachine:component-{aws.suffix}")
    assert second.version_arn != first.version_arn
    for machine, text in ((first, PASS), (second, WAIT)):
        published = aws.stepfunctions.describe_state_machine(stateMachineArn=machine.version_arn)
        assert published["definition"] == text


def test_the_last_state_is_the_last_task_output(machines: StepFunctionsMachines, aws: Aws) -> None:
    table = aws.tables["apiKeys"]
    text = definition(
        (
            "Store",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table, "Item": {"keyHash": {"S": "h"}}},
                "ResultSelector": {"stored": True},
                "ResultPath": "$.task",
            },
        ),
        ("After", {"Type": "Pass", "Result": "later", "ResultPath": "$.after"}),
    )
    machine = deploy(machines, aws, text)
    arn = machines.start(machine.state_machine_arn, "exec-1", STATE)
    assert finished(aws, arn) == "SUCCEEDED"
    assert machines.last_state(arn) == {**STATE, "task": {"stored": True}}


def test_without_a_task_the_last_state_is_the_input(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    machine = deploy(machines, aws)
    arn = machines.start(machine.state_machine_arn, "exec-1", STATE)
    assert finished(aws, arn) == "SUCCEEDED"
    assert machines.last_state(arn) == STATE


def test_an_unknown_execution_has_no_last_state(machines: StepFunctionsMachines, aws: Aws) -> None:
    machine = deploy(machines, aws)
    unknown = machine.state_machine_arn.replace(":stateMachine:", ":execution:") + ":nope"
    assert machines.last_state(unknown) is None
    assert machines.stop(unknown, "no such execution") is False


def test_starting_the_same_execution_again_returns_it(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    machine = deploy(machines, aws)
    first = machines.start(machine.state_machine_arn, "exec-1", STATE)
    assert finished(aws, first) == "SUCCEEDED"
    assert machines.start(machine.state_machine_arn, "exec-1", dict(STATE)) == first
    listed = aws.stepfunctions.list_executions(stateMachineArn=machine.state_machine_arn)
    assert [execution["name"] for execution in listed["executions"]] == ["exec-1"]


def test_reusing_a_name_with_another_state_is_refused(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    machine = deploy(machines, aws)
    machines.start(machine.state_machine_arn, "exec-1", STATE)
    with pytest.raises(ExecutionNameTaken) as raised:
        machines.start(machine.state_machine_arn, "exec-1", {**STATE, "inputs": {}})
    assert raised.value.code == "ExecutionAlreadyExists"


def test_a_running_execution_is_stopped_once(
    machines: StepFunctionsMachines, aws: Aws, running: str
) -> None:
    assert machines.stop(running, "Cancelled by the user") is True
    assert finished(aws, running) == "ABORTED"
    assert machines.stop(running, "Cancelled by the user") is False


def test_a_finished_execution_is_not_stopped(machines: StepFunctionsMachines, aws: Aws) -> None:
    machine = deploy(machines, aws)
    arn = machines.start(machine.state_machine_arn, "exec-1", STATE)
    assert finished(aws, arn) == "SUCCEEDED"
    assert machines.stop(arn, "too late") is False
    assert finished(aws, arn) == "SUCCEEDED"


def test_a_deleted_machine_cannot_start_and_deleting_again_is_harmless(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    machine = deploy(machines, aws)
    machines.delete(machine.state_machine_arn)
    machines.delete(machine.state_machine_arn)
    with pytest.raises(MachineMissing):
        machines.start(machine.state_machine_arn, "exec-1", STATE)


def test_a_throttled_start_is_transient(machines: StepFunctionsMachines, aws: Aws) -> None:
    arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:component-{aws.suffix}"
    with (
        failing(aws.stepfunctions, "start_execution", "ThrottlingException"),
        pytest.raises(TransientError),
    ):
        machines.start(arn, "exec-1", STATE)


def test_an_earlier_definition_published_again_leaves_the_machine_as_it_was(
    machines: StepFunctionsMachines, aws: Aws
) -> None:
    first = deploy(machines, aws)
    deploy(machines, aws, WAIT)
    again = machines.publish(first.state_machine_arn, PASS, aws.role_arn)
    assert again != first.version_arn
    assert machines.definition_of(again) == PASS
    assert machines.definition_of(first.state_machine_arn) == WAIT
    missing = first.state_machine_arn.replace(aws.suffix, f"{aws.suffix}-none")
    assert machines.definition_of(missing) is None
    with pytest.raises(MachineMissing):
        machines.publish(missing, PASS, aws.role_arn)


def test_every_machine_deployed_and_each_update_gets_its_logs_and_tracing(aws: Aws) -> None:
    group = f"arn:aws:logs:us-east-1:123456789012:log-group:machines-{aws.suffix}:*"
    observability = Observability(log_group_arn=group, log_level="ERROR", tracing=True)
    machines = StepFunctionsMachines(aws.stepfunctions, observability)
    for text in (PASS, WAIT):  # a create, then an update
        machine = deploy(machines, aws, text)
        described = aws.stepfunctions.describe_state_machine(
            stateMachineArn=machine.state_machine_arn
        )
        assert described["loggingConfiguration"] == {
            "level": "ERROR",
            "includeExecutionData": False,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
        }
        assert described["tracingConfiguration"] == {"enabled": True}
