"""The IAM coverage test's own parts: what a call needs, and how policies are evaluated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.iam import SYNC_RULE, Call, Need, allows, machine_needs, needs

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/executions"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def call(service: str, operation: str, **params: Any) -> Call:
    return Call("fn", service, operation, params, "us-east-1")


def test_actions_match_without_case_and_with_wildcards():
    need = Need("fn", "dynamodb:GetItem", TABLE)
    assert allows([allow("DynamoDB:getitem", TABLE)], need)
    assert allows([allow(["s3:GetObject", "dynamodb:Get*"], TABLE)], need)
    assert not allows([allow("dynamodb:GetItems", TABLE)], need)
    assert not allows([allow("dynamodb:Put*", TABLE)], need)


def test_resources_match_with_iam_wildcards_only():
    index = f"{TABLE}/index/byOrganization"
    assert allows(
        [allow("dynamodb:Query", f"{TABLE}/index/*")], Need("fn", "dynamodb:Query", index)
    )
    assert not allows([allow("dynamodb:Query", TABLE)], Need("fn", "dynamodb:Query", index))
    assert not allows(
        [allow("dynamodb:Query", f"{TABLE}/index/*")], Need("fn", "dynamodb:Query", TABLE)
    )
    assert allows(
        [allow("s3:GetObject", "arn:aws:s3:::b/?.json")],
        Need("fn", "s3:GetObject", "arn:aws:s3:::b/a.json"),
    )
    # a regular expression's or fnmatch's syntax is literal text in IAM
    assert not allows(
        [allow("s3:GetObject", "arn:aws:s3:::b/[ab]")],
        Need("fn", "s3:GetObject", "arn:aws:s3:::b/a"),
    )
    assert not allows(
        [allow("s3:GetObject", "arn:aws:s3:::b.c/x")],
        Need("fn", "s3:GetObject", "arn:aws:s3:::bxc/x"),
    )


def test_a_deny_wins_and_not_action_excludes():
    need = Need("fn", "dynamodb:DeleteItem", TABLE)
    deny = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}
    assert not allows([allow("dynamodb:*", TABLE), deny], need)
    assert not allows([{"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": "*"}], need)
    assert allows([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}], need)
    assert not allows([], need)


def test_a_key_used_without_an_organization_in_its_context_is_refused():
    bound = allow(
        "kms:Decrypt", KEY, Condition={"Null": {"kms:EncryptionContext:organizationId": "false"}}
    )
    with_context = needs(
        call("kms", "Decrypt", KeyId=KEY, EncryptionContext={"organizationId": "o"})
    )
    without_context = needs(call("kms", "Decrypt", KeyId=KEY))
    assert [allows([bound], need) for need in with_context + without_context] == [True, False]


def test_string_conditions_and_if_exists():
    sender = {"Condition": {"StringEquals": {"ses:FromAddress": "bot@example.com"}}}
    statement = allow("ses:SendEmail", "*", **sender)
    assert allows(
        [statement], Need("fn", "ses:SendEmail", "x", (("ses:FromAddress", "bot@example.com"),))
    )
    assert not allows(
        [statement], Need("fn", "ses:SendEmail", "x", (("ses:FromAddress", "me@example.com"),))
    )
    assert not allows([statement], Need("fn", "ses:SendEmail", "x"))
    lenient = allow(
        "ses:SendEmail", "*", Condition={"StringLikeIfExists": {"ses:FromAddress": "*@example.com"}}
    )
    assert allows([lenient], Need("fn", "ses:SendEmail", "x"))
    assert allows(
        [lenient], Need("fn", "ses:SendEmail", "x", (("ses:FromAddress", "me@example.com"),))
    )


def test_an_operator_the_evaluator_does_not_know_fails_by_name():
    statement = allow(
        "s3:GetObject", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020"}}
    )
    with pytest.raises(AssertionError, match="DateGreaterThan"):
        allows([statement], Need("fn", "s3:GetObject", "arn:aws:s3:::b/k"))


def test_batches_and_transactions_need_each_table_and_each_item_action():
    batch = call("dynamodb", "BatchWriteItem", RequestItems={"a": [], "b": []})
    assert [(n.action, n.resource.rsplit("/", 1)[1]) for n in needs(batch)] == [
        ("dynamodb:BatchWriteItem", "a"),
        ("dynamodb:BatchWriteItem", "b"),
    ]
    items = [
        {"Put": {"TableName": "a"}},
        {"ConditionCheck": {"TableName": "b"}},
        {"Update": {"TableName": "a"}},
    ]
    transaction = call("dynamodb", "TransactWriteItems", TransactItems=items)
    assert [n.action for n in needs(transaction)] == [
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:UpdateItem",
    ]
    query = call("dynamodb", "Query", TableName="executions", IndexName="byOrganization")
    assert needs(query)[0].resource == f"{TABLE}/index/byOrganization"


def test_objects_connections_machines_and_keys_are_named_as_iam_names_them():
    deleted = call(
        "s3", "DeleteObjects", Bucket="b", Delete={"Objects": [{"Key": "x"}, {"Key": "y"}]}
    )
    assert [n.resource for n in needs(deleted)] == ["arn:aws:s3:::b/x", "arn:aws:s3:::b/y"]
    assert needs(call("s3", "ListObjectsV2", Bucket="b"))[0].action == "s3:ListBucket"
    posted = Call(
        "fn",
        "apigatewaymanagementapi",
        "PostToConnection",
        {"ConnectionId": "c1"},
        "us-east-1",
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
    )
    assert needs(posted) == [
        Need(
            "fn",
            "execute-api:ManageConnections",
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/@connections/c1",
        )
    ]
    created = call(
        "stepfunctions",
        "CreateStateMachine",
        name="m",
        roleArn="arn:aws:iam::123456789012:role/r",
        publish=True,
    )
    assert [(n.action, n.resource) for n in needs(created)] == [
        ("states:CreateStateMachine", "arn:aws:states:us-east-1:123456789012:stateMachine:m"),
        (
            "states:PublishStateMachineVersion",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m",
        ),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/r"),
    ]
    decrypted = Call(
        "fn", "kms", "Decrypt", {"CiphertextBlob": b"x"}, "us-east-1", answer={"KeyId": KEY}
    )
    assert needs(decrypted)[0].resource == KEY


def test_a_machine_needs_its_functions_and_what_a_sync_part_start_follows():
    function = "arn:aws:lambda:us-east-1:123456789012:function:run"
    part = "arn:aws:states:us-east-1:123456789012:stateMachine:wf-part-1"
    definition = {
        "States": {
            "Run": {"Type": "Task", "Resource": function},
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "States": {
                            "Part": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                                "Parameters": {"StateMachineArn": part},
                            }
                        }
                    }
                ],
            },
        }
    }
    found = {
        (n.action, n.resource) for n in machine_needs("m", definition, logs=False, traces=True)
    }
    execution = "arn:aws:states:us-east-1:123456789012:execution:wf-part-1:*"
    rule = f"arn:aws:events:us-east-1:123456789012:rule/{SYNC_RULE}"
    assert found >= {
        ("lambda:InvokeFunction", function),
        ("states:StartExecution", part),
        ("states:DescribeExecution", execution),
        ("states:StopExecution", execution),
        ("events:PutRule", rule),
        ("xray:PutTraceSegments", "*"),
    }
    assert not any(action.startswith("logs:") for action, _ in found)


def test_a_call_needs_to_start_and_follow_every_machine_it_may_run():
    child = "arn:aws:states:us-east-1:123456789012:stateMachine:stepthunk-abc-halver:3"
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn.$": "$.call.stateMachineArn"},
    }
    definition = {"States": {"Run workflow of call": task}}

    found = {
        (n.action, n.resource)
        for n in machine_needs("m", definition, logs=False, traces=False, children=[child])
    }

    execution = "arn:aws:states:us-east-1:123456789012:execution:stepthunk-abc-halver:*"
    assert found == {
        ("states:StartExecution", child),
        ("states:DescribeExecution", execution),
        ("states:StopExecution", execution),
        ("events:PutTargets", f"arn:aws:events:us-east-1:123456789012:rule/{SYNC_RULE}"),
        ("events:PutRule", f"arn:aws:events:us-east-1:123456789012:rule/{SYNC_RULE}"),
        ("events:DescribeRule", f"arn:aws:events:us-east-1:123456789012:rule/{SYNC_RULE}"),
    }
    with pytest.raises(AssertionError, match="name the machines its calls may start"):
        machine_needs("m", definition, logs=False, traces=False)
