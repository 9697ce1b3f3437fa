"""AWS's limits that moto does not check, enforced by the embedded engine and named when a
breach is refused: each test plants one.

Also enforced, and tested where the behaviour they bound is: a task's input or result over
256 KiB (`States.DataLimitExceeded`, tests/engine/test_payload_limits.py), a request body over
the 6 MB a Lambda payload takes (413 on serve) and an answer over the 6 MB it returns (500 on
serve, both in tests/api/test_bad_requests.py), a DynamoDB item over 400 KB (moto's
own check, below, since records rely on it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from statemachine import quotas
from statemachine.limits import HISTORY_EVENT_LIMIT

# A loop of Pass and Choice states: four events a turn, and turns enough to pass the limit.
COUNTING = {
    "StartAt": "Count",
    "States": {
        "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "More"},
        "More": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.i", "NumericLessThan": HISTORY_EVENT_LIMIT, "Next": "Count"}
            ],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud)


def create(
    engine: EmbeddedEngine, name: str, definition: dict[str, Any], kind: str = "STANDARD"
) -> str:
    machines = engine.cloud.client("stepfunctions")
    created = machines.create_state_machine(
        name=f"{engine.deployment.prefix}-{name}"[:80],
        definition=json.dumps(definition),
        roleArn=engine.cloud.role_arn,
        type=kind,
    )
    return str(created["stateMachineArn"])


def ended(engine: EmbeddedEngine, machine: str) -> dict[str, Any]:
    machines = engine.cloud.client("stepfunctions")
    execution = machines.start_execution(stateMachineArn=machine, input='{"i": 0}')["executionArn"]
    engine.cloud.wait_for_execution(execution, timeout=120)
    described: dict[str, Any] = machines.describe_execution(executionArn=execution)
    return described


def test_an_execution_whose_history_reaches_the_limit_fails_naming_it_uncaught_by_states_all(
    engine: EmbeddedEngine,
):
    caught = {
        "StartAt": "Guarded",
        "States": {
            "Guarded": {
                "Type": "Parallel",
                "Branches": [COUNTING],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    flat = ended(engine, create(engine, "history", COUNTING))
    assert (flat["status"], flat["error"]) == ("FAILED", "States.Runtime")
    assert f"Step Functions ends an execution at {HISTORY_EVENT_LIMIT:,}" in flat["cause"]
    # in a branch, the Parallel state's Catch of States.ALL does not catch it either (moto
    # words the cause of a branch's States.Runtime its own way)
    nested = ended(engine, create(engine, "history-caught", caught))
    assert (nested["status"], nested["error"]) == ("FAILED", "States.Runtime")


def test_a_state_name_over_80_characters_is_refused_wherever_it_is(engine: EmbeddedEngine):
    long_name = "n" * 81
    flat = {"StartAt": long_name, "States": {long_name: {"Type": "Succeed"}}}
    nested = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [flat], "End": True}},
    }
    for index, definition in enumerate((flat, nested)):
        with pytest.raises(ClientError) as refused:
            create(engine, f"long-{index}", definition)
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        assert f"State name '{long_name}' is longer than 80 characters" in str(refused.value)
    fits = "n" * 80
    create(engine, "fits", {"StartAt": fits, "States": {fits: {"Type": "Succeed"}}})


def test_a_dynamodb_item_over_400_kb_is_refused(engine: EmbeddedEngine):
    # AWS's 400 KB is 409,600 bytes of names and values; moto refuses past 405,000 (stricter)
    table = engine.deployment.settings["executions_table"]
    item = {"id": {"S": "big"}, "data": {"S": "x" * quotas.ITEM_BYTES}}
    with pytest.raises(ClientError) as refused:
        engine.cloud.client("dynamodb").put_item(TableName=table, Item=item)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size has exceeded the maximum allowed size" in str(refused.value)


def test_a_websocket_message_over_128_kb_is_refused(engine: EmbeddedEngine):
    posts = engine.cloud.client(
        "apigatewaymanagementapi", "https://local.execute-api.us-east-1.amazonaws.com/embedded"
    )
    engine.cloud.listen("listening", lambda data: None)
    try:
        posts.post_to_connection(ConnectionId="listening", Data=b"x" * (128 * 1024))
        with pytest.raises(ClientError) as refused:
            posts.post_to_connection(ConnectionId="listening", Data=b"x" * (128 * 1024 + 1))
    finally:
        engine.cloud.listen("listening", None)
    assert refused.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert "exceeds the 131,072 bytes a post may take" in str(refused.value)


def test_an_execution_name_over_80_characters_is_refused(engine: EmbeddedEngine):
    machine = create(engine, "named", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machines = engine.cloud.client("stepfunctions")
    machines.start_execution(stateMachineArn=machine, name="n" * 80, input="{}")
    with pytest.raises(ClientError) as refused:
        machines.start_execution(stateMachineArn=machine, name="n" * 81, input="{}")
    # AWS's input validation: "Member must have length less than or equal to 80"
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "less than or equal to 80" in str(refused.value)


PASSING = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def test_express_execution_names_are_not_deduplicated(engine: EmbeddedEngine):
    express = create(engine, "express-twice", PASSING, kind="EXPRESS")
    machines = engine.cloud.client("stepfunctions")

    first = machines.start_execution(stateMachineArn=express, name="same", input='{"n": 1}')
    again = machines.start_execution(stateMachineArn=express, name="same", input='{"n": 2}')

    # AWS: arn:aws:states:<region>:<account>:express:<machine>:<name>:<id>, a new one each time
    arns = [first["executionArn"], again["executionArn"]]
    assert arns[0] != arns[1]
    for arn in arns:
        assert arn.split(":")[5:8] == ["express", express.split(":")[6], "same"]
        assert engine.cloud.wait_for_execution(arn, timeout=60) == "SUCCEEDED"
    ran = engine.cloud.executions(express.split(":")[6])
    assert [json.loads(e.execution_input)["n"] for e in ran] == [1, 2]
    # a Standard machine still refuses a name it has run, as AWS does
    standard = create(engine, "standard-twice", PASSING)
    machines.start_execution(stateMachineArn=standard, name="same", input='{"n": 1}')
    with pytest.raises(ClientError) as refused:
        machines.start_execution(stateMachineArn=standard, name="same", input='{"n": 2}')
    assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_nothing_is_answered_about_an_express_execution(engine: EmbeddedEngine):
    express = create(engine, "express-asked", PASSING, kind="EXPRESS")
    machines = engine.cloud.client("stepfunctions")
    arn = machines.start_execution(stateMachineArn=express, name="asked", input="{}")[
        "executionArn"
    ]
    engine.cloud.wait_for_execution(arn, timeout=60)
    asks: dict[str, Callable[[], object]] = {
        "DescribeExecution": lambda: machines.describe_execution(executionArn=arn),
        "StopExecution": lambda: machines.stop_execution(executionArn=arn),
        "GetExecutionHistory": lambda: machines.get_execution_history(executionArn=arn),
        "DescribeStateMachineForExecution": lambda: machines.describe_state_machine_for_execution(
            executionArn=arn
        ),
    }
    for action, ask in asks.items():
        with pytest.raises(ClientError) as refused:
            ask()
        assert refused.value.response["Error"]["Code"] == "InvalidArn", action
        assert "Resource type not valid in this context: express" in str(refused.value)
    with pytest.raises(ClientError) as not_listed:
        machines.list_executions(stateMachineArn=express)
    assert not_listed.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
