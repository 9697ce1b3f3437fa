"""Step Functions: state machines deployed at run time, and their executions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code, translated
from lambdas.runtime.ports import DeployedMachine, execution_arn
from lambdas.runtime.store_errors import ExecutionNameTaken, MachineMissing
from statemachine import quotas

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.literals import StateMachineTypeType
    from mypy_boto3_stepfunctions.type_defs import HistoryEventTypeDef

RUNNING = "RUNNING"
# What StopExecution accepts as a cause.
CAUSE_LIMIT = quotas.CAUSE_CHARACTERS
# Codes of an update aimed at a state machine that is not there (or not under that ARN).
_NOT_THERE = frozenset({"StateMachineDoesNotExist", "InvalidArn"})


@dataclass(frozen=True)
class Observability:
    """What every machine deployed gets: a CloudWatch Logs destination (`log_group_arn`,
    none: no logs) at `log_level`, execution data in its logs or not, and X-Ray tracing."""

    log_group_arn: str | None = None
    log_level: str = "ERROR"
    include_execution_data: bool = False
    tracing: bool = False

    def parameters(self) -> dict[str, Any]:
        """CreateStateMachine's and UpdateStateMachine's parameters for it."""
        parameters: dict[str, Any] = {}
        if self.log_group_arn is not None:
            destination = {"cloudWatchLogsLogGroup": {"logGroupArn": self.log_group_arn}}
            parameters["loggingConfiguration"] = {
                "level": self.log_level,
                "includeExecutionData": self.include_execution_data,
                "destinations": [destination],
            }
        if self.tracing:
            parameters["tracingConfiguration"] = {"enabled": True}
        return parameters


class StepFunctionsMachines:
    """StateMachines on the Step Functions API.

    A deploy updates the state machine at the ARN its name has in the role's account and the
    client's region, and creates it when there is none; either way it publishes a version.
    """

    def __init__(
        self, stepfunctions: SFNClient, observability: Observability | None = None
    ) -> None:
        self._client = stepfunctions
        self._observed = (observability or Observability()).parameters()

    def deploy(
        self, name: str, definition: str, role_arn: str, kind: str = "STANDARD"
    ) -> DeployedMachine:
        arn = self.arn_of(name, role_arn)
        present = None if arn is None else self._type_of(arn)
        if arn is not None and present not in (None, kind):
            self.delete(arn)  # a machine's type cannot change: replace it
            present = None
        # a machine known to be missing is created at once (no update to fail first)
        deployed = (
            None if arn is None or present is None else self._update(arn, definition, role_arn)
        )
        if deployed is not None:
            return deployed
        with translated(f"CreateStateMachine {name}"):
            try:
                created = self._client.create_state_machine(
                    name=name,
                    definition=definition,
                    roleArn=role_arn,
                    type=cast("StateMachineTypeType", kind),
                    publish=True,
                    **self._observed,
                )
            except ClientError as error:
                if error_code(error) != "StateMachineAlreadyExists":
                    raise
                created = None
        if created is None:
            # Created meanwhile, or not under the ARN guessed from the role: look it up.
            deployed = self._update(self._find(name), definition, role_arn)
            if deployed is None:
                raise MachineMissing(
                    f"State machine '{name}' vanished while deployed", action="UpdateStateMachine"
                )
            return deployed
        machine_arn = created["stateMachineArn"]
        return DeployedMachine(
            state_machine_arn=machine_arn,
            version_arn=created.get("stateMachineVersionArn") or machine_arn,
        )

    def definition_of(self, arn: str) -> str | None:
        """The definition of a state machine or one of its versions; None when there is
        none at `arn`."""
        with translated(f"DescribeStateMachine {arn}"):
            try:
                return self._client.describe_state_machine(stateMachineArn=arn)["definition"]
            except ClientError as error:
                if error_code(error) not in _NOT_THERE:
                    raise
                return None

    def publish(self, state_machine_arn: str, definition: str, role_arn: str) -> str:
        """Publish a version of the state machine with `definition` and return its ARN,
        leaving the machine's own definition as it was (an earlier definition run again:
        executions start versions, and the console shows the machine's definition)."""
        latest = self.definition_of(state_machine_arn)
        published = self._update(state_machine_arn, definition, role_arn)
        if published is None or latest is None:
            raise MachineMissing(
                f"State machine '{state_machine_arn}' not found", action="UpdateStateMachine"
            )
        with translated(f"UpdateStateMachine {state_machine_arn}"):
            # A deploy in between would have its definition replaced here: only the
            # console would show it, as its executions start the version it published.
            self._client.update_state_machine(
                stateMachineArn=state_machine_arn, definition=latest, publish=False
            )
        return published.version_arn

    def delete(self, state_machine_arn: str) -> None:
        """Delete a state machine (with its versions); a missing one is already deleted."""
        with translated(f"DeleteStateMachine {state_machine_arn}"):
            try:
                self._client.delete_state_machine(stateMachineArn=state_machine_arn)
            except ClientError as error:
                if error_code(error) != "StateMachineDoesNotExist":
                    raise

    def start(self, state_machine_arn: str, name: str, state: Mapping[str, Any]) -> str:
        """Start execution `name`. Starting it again with the same state returns the same
        execution even once it has finished; with another state raises ExecutionNameTaken."""
        data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        action = f"StartExecution {name}"
        with translated(action):
            try:
                started = self._client.start_execution(
                    stateMachineArn=state_machine_arn, name=name, input=data
                )
                return started["executionArn"]
            except ClientError as error:
                if error_code(error) != "ExecutionAlreadyExists":
                    raise
        existing = execution_arn(state_machine_arn, name)
        described = self._describe(existing)
        if described is not None and _parsed(described.get("input")) == json.loads(data):
            return existing
        raise ExecutionNameTaken(
            f"An execution named '{name}' already exists with another input",
            action=action,
            code="ExecutionAlreadyExists",
        )

    def stop(self, execution_arn: str, cause: str) -> bool:
        """Stop a running execution. False when it is not running (finished, or unknown),
        including when it finishes between the check and the stop."""
        described = self._describe(execution_arn)
        if described is None or described["status"] != RUNNING:
            return False
        with translated(f"StopExecution {execution_arn}"):
            try:
                self._client.stop_execution(executionArn=execution_arn, cause=cause[:CAUSE_LIMIT])
            except ClientError as error:
                if error_code(error) != "ExecutionDoesNotExist":
                    raise
                return False
        after = self._describe(execution_arn)
        return after is not None and after["status"] in {RUNNING, "ABORTED"}

    def start_state(self, execution_arn: str) -> dict[str, Any] | None:
        """The state document the execution was started with; None for an unknown one."""
        described = self._describe(execution_arn)
        return None if described is None else _parsed(described.get("input"))

    def last_state(self, execution_arn: str) -> dict[str, Any] | None:
        """The output of the last task that exited, else the execution's input; None for an
        unknown execution. Outputs that are truncated or not JSON objects are passed over.

        A task in a branch of a Parallel state returns its unit's results alone: those that
        exited after the last whole state are added to its `branches`, as the Parallel state
        would have added them.
        """
        paginator = self._client.get_paginator("get_execution_history")
        pages = paginator.paginate(executionArn=execution_arn, PaginationConfig={"PageSize": 1000})
        latest: dict[str, Any] | None = None
        branches: list[dict[str, Any]] = []
        with translated(f"GetExecutionHistory {execution_arn}"):
            try:
                for page in pages:
                    for event in page["events"]:
                        document = _document(event)
                        if document is None:
                            continue
                        if "execution" in document:  # a whole state
                            latest, branches = document, []
                        else:
                            branches.append(document)
            except ClientError as error:
                if error_code(error) != "ExecutionDoesNotExist":
                    raise
                return None
        if latest is None or not branches:
            return latest
        return {**latest, "branches": [*latest.get("branches", []), *branches]}

    def _type_of(self, arn: str) -> str | None:
        """STANDARD or EXPRESS; None when there is no state machine at `arn`."""
        with translated(f"DescribeStateMachine {arn}"):
            try:
                return self._client.describe_state_machine(stateMachineArn=arn)["type"]
            except ClientError as error:
                if error_code(error) not in _NOT_THERE:
                    raise
                return None

    def _update(self, arn: str, definition: str, role_arn: str) -> DeployedMachine | None:
        """Update the state machine at `arn` and publish a version; None when there is none."""
        with translated(f"UpdateStateMachine {arn}"):
            try:
                updated = self._client.update_state_machine(
                    stateMachineArn=arn,
                    definition=definition,
                    roleArn=role_arn,
                    publish=True,
                    **self._observed,
                )
            except ClientError as error:
                if error_code(error) not in _NOT_THERE:
                    raise
                return None
        return DeployedMachine(
            state_machine_arn=arn, version_arn=updated.get("stateMachineVersionArn") or arn
        )

    def arn_of(self, name: str, role_arn: str) -> str | None:
        """The ARN state machine `name` has in the role's account; None for an odd role ARN."""
        parts = role_arn.split(":")
        if len(parts) < 6 or parts[0] != "arn" or not parts[4]:
            return None
        region = self._client.meta.region_name
        return f"arn:{parts[1]}:states:{region}:{parts[4]}:stateMachine:{name}"

    def _find(self, name: str) -> str:
        paginator = self._client.get_paginator("list_state_machines")
        with translated("ListStateMachines"):
            for page in paginator.paginate():
                for machine in page["stateMachines"]:
                    if machine["name"] == name:
                        return machine["stateMachineArn"]
        raise MachineMissing(f"State machine '{name}' not found", action="ListStateMachines")

    def _describe(self, arn: str) -> dict[str, Any] | None:
        """DescribeExecution's answer; None for an unknown execution."""
        with translated(f"DescribeExecution {arn}"):
            try:
                return dict(self._client.describe_execution(executionArn=arn))
            except ClientError as error:
                if error_code(error) != "ExecutionDoesNotExist":
                    raise
                return None


def _document(event: HistoryEventTypeDef) -> dict[str, Any] | None:
    """The state document an ExecutionStarted or TaskStateExited event carries, if whole."""
    if event["type"] == "ExecutionStarted":
        details: Mapping[str, Any] = event.get("executionStartedEventDetails", {})
        text, more = details.get("input"), details.get("inputDetails", {})
    elif event["type"] == "TaskStateExited":
        details = event.get("stateExitedEventDetails", {})
        text, more = details.get("output"), details.get("outputDetails", {})
    else:
        return None
    if more.get("truncated"):
        return None
    return _parsed(text)


def _parsed(text: str | None) -> dict[str, Any] | None:
    """`text` as a JSON object; None when it is absent or not one."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
