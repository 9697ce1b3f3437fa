"""The embedded engine answers a client's DynamoDB and Step Functions requests without the HTTP
round trip (local.direct): what a client sees must be what it sees over moto's HTTP stand-in,
answers and errors alike; and moto's DynamoDB costs what a request touches (local.moto_dynamodb):
a query its partition, not the table, an update expression its checks once."""

from __future__ import annotations

import datetime
import functools
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from local.cloud import REGION, LocalCloud

BLOB = bytes(range(256))


@pytest.fixture(scope="module")
def cloud() -> LocalCloud:
    return LocalCloud.shared()


def _client(cloud: LocalCloud, *, direct: bool) -> Any:
    client = boto3.client("dynamodb", region_name=REGION)
    assert cloud.direct is not None
    if not direct:
        cloud.direct.uninstall(client.meta.events)
    return client


def _table(client: Any) -> str:
    name = f"direct-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "byOwner", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "owner",
                "KeySchema": [
                    {"AttributeName": "byOwner", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _item(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **extra}


def _requests(table: str) -> Iterator[tuple[str, Callable[[Any], Any]]]:
    """Item requests of every kind the stores make, each as (name, call on a client)."""
    every_type = _item(
        "a",
        "1",
        blob={"B": BLOB},
        blobs={"BS": [b"\x00", b"\xff"]},
        number={"N": "-9007199254740993.5"},
        texts={"SS": ["x", "y"]},
        flag={"BOOL": True},
        nothing={"NULL": True},
        nested={"M": {"B": {"S": "a map key named B"}, "list": {"L": [{"B": b"\x01"}]}}},
        byOwner={"S": "owner-1"},
        at={"N": "3"},
    )
    yield "put every type", lambda c: c.put_item(TableName=table, Item=every_type)
    yield "get", lambda c: c.get_item(TableName=table, Key=_item("a", "1"))
    yield "get absent", lambda c: c.get_item(TableName=table, Key=_item("a", "none"))
    yield (
        "get projected",
        lambda c: c.get_item(
            TableName=table,
            Key=_item("a", "1"),
            ProjectionExpression="#b, nested.#l",
            ExpressionAttributeNames={"#b": "blob", "#l": "list"},
        ),
    )
    for index in range(2, 8):
        owned = _item("a", str(index), byOwner={"S": "owner-1"}, at={"N": str(10 - index)})
        yield f"put {index}", functools.partial(_put, table=table, item=owned)
    yield "put other partition", lambda c: c.put_item(TableName=table, Item=_item("b", "1"))
    yield (
        "update",
        lambda c: c.update_item(
            TableName=table,
            Key=_item("a", "2"),
            UpdateExpression="SET #v = :v ADD #n :one",
            ExpressionAttributeNames={"#v": "value", "#n": "count"},
            ExpressionAttributeValues={":v": {"B": b"\x02"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
    )
    yield (
        "conditional put refused",
        lambda c: c.put_item(
            TableName=table,
            Item=_item("a", "1"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
    )
    yield (
        "query a page backwards",
        lambda c: c.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "a"}},
            ScanIndexForward=False,
            Limit=3,
        ),
    )
    yield (
        "query the next page",
        lambda c: c.query(
            TableName=table,
            KeyConditionExpression="pk = :p AND sk > :s",
            ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"S": "1"}},
            ExclusiveStartKey=_item("a", "3"),
            Limit=2,
        ),
    )
    yield (
        "query an index",
        lambda c: c.query(
            TableName=table,
            IndexName="owner",
            KeyConditionExpression="byOwner = :o",
            ExpressionAttributeValues={":o": {"S": "owner-1"}},
        ),
    )
    yield (
        "query with a filter",
        lambda c: c.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            FilterExpression="attribute_exists(#c)",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":p": {"S": "a"}},
            Select="COUNT",
        ),
    )
    yield "scan", lambda c: c.scan(TableName=table)
    yield (
        "batch write",
        lambda c: c.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": _item("c", "1", blob={"B": b"\x03"})}},
                    {"DeleteRequest": {"Key": _item("a", "7")}},
                ]
            }
        ),
    )
    yield (
        "batch get",
        lambda c: c.batch_get_item(
            RequestItems={table: {"Keys": [_item("c", "1"), _item("a", "7"), _item("a", "1")]}}
        ),
    )
    yield (
        "transaction refused",
        lambda c: c.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _item("d", "1")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _item("a", "1"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        ),
    )
    yield (
        "transaction",
        lambda c: c.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _item("d", "1")}},
                {"Delete": {"TableName": table, "Key": _item("b", "1")}},
            ]
        ),
    )
    yield (
        "transactional get",
        lambda c: c.transact_get_items(
            TransactItems=[{"Get": {"TableName": table, "Key": _item("d", "1")}}]
        ),
    )
    yield (
        "delete returning the item",
        lambda c: c.delete_item(TableName=table, Key=_item("a", "2"), ReturnValues="ALL_OLD"),
    )
    yield (
        "a key of the wrong type",
        lambda c: c.get_item(TableName=table, Key={"pk": {"N": "1"}, "sk": {"S": "1"}}),
    )
    yield "a missing table", lambda c: c.get_item(TableName=f"{table}-x", Key=_item("a", "1"))
    yield "a request the client refuses", lambda c: c.get_item(TableName=table)


def _put(client: Any, table: str, item: dict[str, Any]) -> Any:
    return client.put_item(TableName=table, Item=item)


def _seen(client: Any, call: Callable[[Any], Any], table: str) -> Any:
    """What a caller sees of `call`: the answer, or the error's class, code, message and
    fields, with the table's name taken out."""
    try:
        answer = dict(call(client))
    except ClientError as error:
        answer = {"raised": type(error).__name__, **error.response}
    except ParamValidationError as error:
        answer = {"raised": type(error).__name__, "message": str(error)}
    answer.pop("ResponseMetadata", None)
    return _without(answer, table)


def _without(value: Any, table: str) -> Any:
    if isinstance(value, dict):
        return {_without(key, table): _without(item, table) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, table) for item in value]
    return value.replace(table, "TABLE") if isinstance(value, str) else value


def test_a_client_sees_the_same_answers_and_errors_without_the_round_trip(
    cloud: LocalCloud,
) -> None:
    direct, whole = _client(cloud, direct=True), _client(cloud, direct=False)
    sent: list[str] = []
    direct.meta.events.register("before-send.dynamodb", lambda **kwargs: sent.append("direct"))
    ours, theirs = _table(direct), _table(whole)
    sent.clear()
    for (name, call), (_, same_call) in zip(_requests(ours), _requests(theirs), strict=True):
        assert _seen(direct, call, ours) == _seen(whole, same_call, theirs), name
    assert sent == []  # not one of them went over (moto's) HTTP
    assert direct.get_item(TableName=ours, Key=_item("a", "1"))["Item"]["blob"] == {"B": BLOB}


def test_a_request_answered_here_is_not_made_for_the_wire_but_still_validated(
    cloud: LocalCloud,
) -> None:
    """No endpoint resolved, no body serialized for a request answered directly (a client
    sent the whole way serializes its own); its parameters are validated all the same, and
    the events a test or the IAM record listens to are emitted."""
    direct, whole = _client(cloud, direct=True), _client(cloud, direct=False)
    bodies: dict[str, list[bytes]] = {"direct": [], "whole": []}
    called: list[str] = []
    for name, client in (("direct", direct), ("whole", whole)):
        client.meta.events.register(
            "before-call.dynamodb",
            lambda params, name=name, **_: bodies[name].append(params["body"]),
        )
    direct.meta.events.register(
        "after-call.dynamodb", lambda event_name, **_: called.append(event_name)
    )
    ours, theirs = _table(direct), _table(whole)
    for client, table in ((direct, ours), (whole, theirs)):
        client.put_item(TableName=table, Item=_item("a", "1", blob={"B": BLOB}))
        assert client.get_item(TableName=table, Key=_item("a", "1"))["Item"]["blob"] == {"B": BLOB}
    assert bodies["direct"][-2:] == [b"", b""]
    assert all(b'"TableName"' in body for body in bodies["whole"][-2:])
    assert called[-2:] == ["after-call.dynamodb.PutItem", "after-call.dynamodb.GetItem"]
    with pytest.raises(ParamValidationError, match=r"Unknown parameter in Key\.pk"):
        direct.get_item(TableName=ours, Key={"pk": {"Q": "a"}})


def test_an_error_is_raised_as_the_class_the_client_names(cloud: LocalCloud) -> None:
    direct = _client(cloud, direct=True)
    table = _table(direct)
    direct.put_item(TableName=table, Item=_item("a", "1"))
    with pytest.raises(direct.exceptions.ConditionalCheckFailedException) as refused:
        direct.put_item(
            TableName=table,
            Item=_item("a", "1"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert refused.value.response["Item"] == _item("a", "1")
    with pytest.raises(direct.exceptions.TransactionCanceledException) as cancelled:
        direct.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": _item("a", "1"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        )
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["ConditionalCheckFailed"]


def test_the_caller_keeps_its_own_request(cloud: LocalCloud) -> None:
    direct = _client(cloud, direct=True)
    table = _table(direct)
    item = _item("a", "1", nested={"M": {"x": {"S": "before"}}})
    direct.put_item(TableName=table, Item=item)
    item["nested"]["M"]["x"]["S"] = "changed by the caller afterwards"
    stored = direct.get_item(TableName=table, Key=_item("a", "1"))["Item"]
    assert stored["nested"] == {"M": {"x": {"S": "before"}}}


def test_a_direct_write_is_recorded_as_changed(cloud: LocalCloud) -> None:
    direct = _client(cloud, direct=True)
    table = _table(direct)
    cloud.changes.watch([table])
    direct.put_item(TableName=table, Item=_item("a", "1"))
    direct.get_item(TableName=table, Key=_item("a", "2"))
    direct.transact_write_items(
        TransactItems=[{"Delete": {"TableName": table, "Key": _item("a", "3")}}]
    )
    changed = cloud.changes.take(tables=[table])
    assert changed.items == {
        table: {'{"pk":{"S":"a"},"sk":{"S":"1"}}', '{"pk":{"S":"a"},"sk":{"S":"3"}}'}
    }


def test_a_query_reads_its_partition_not_the_table(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    direct = _client(cloud, direct=True)
    table = _table(direct)
    for index in (5, 1, 9, 3, 7):  # out of order
        direct.put_item(
            TableName=table,
            Item=_item("wanted", str(index), byOwner={"S": "o"}, at={"N": str(index % 4)}),
        )

    def query() -> list[str]:
        items = direct.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "wanted"}},
        )["Items"]
        return [item["sk"]["S"] for item in items]

    def compared() -> int:
        comparisons = 0
        original = DynamoType.__lt__

        def counting(self: DynamoType, other: DynamoType) -> bool:
            nonlocal comparisons
            comparisons += 1
            return original(self, other)

        with monkeypatch.context() as patch:
            patch.setattr(DynamoType, "__lt__", counting)
            assert query() == ["1", "3", "5", "7", "9"]
        return comparisons

    alone = compared()
    for index in range(2_000):
        direct.put_item(TableName=table, Item=_item(f"other-{index}", "1"))
    assert compared() == alone  # the other partitions' 2,000 items were not sorted
    by_owner = direct.query(
        TableName=table,
        IndexName="owner",
        KeyConditionExpression="byOwner = :o",
        ExpressionAttributeValues={":o": {"S": "o"}},
    )["Items"]
    assert [(item["at"]["N"], item["sk"]["S"]) for item in by_owner] == [
        ("1", "1"),
        ("1", "5"),
        ("1", "9"),
        ("3", "3"),
        ("3", "7"),
    ]


def test_an_update_expression_is_checked_as_before_once_it_has_passed(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its clause, path and key checks run once per expression and names, never skipped for
    the same expression with other names."""
    from moto.dynamodb.parsing.validators import ActionCountValidator

    direct = _client(cloud, direct=True)
    table = _table(direct)
    counted: list[str] = []
    count = ActionCountValidator.verify_action_counts

    def counting(self: Any, node: Any) -> Any:
        counted.append("clauses")
        return count(self, node)

    monkeypatch.setattr(ActionCountValidator, "verify_action_counts", counting)

    def update(names: dict[str, str], expression: str = "SET #a = :v, #b = :v") -> Any:
        return direct.update_item(
            TableName=table,
            Key=_item("a", "1"),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": {"S": "x"}},
            ReturnValues="ALL_NEW",
        )

    assert update({"#a": "first", "#b": "second"})["Attributes"]["second"] == {"S": "x"}
    first = len(counted)
    for _ in range(2):
        assert update({"#a": "first", "#b": "second"})["Attributes"]["second"] == {"S": "x"}
    assert first > 0
    assert len(counted) == first  # the clauses were counted for the first of the three only
    with pytest.raises(ClientError, match="Cannot update attribute pk"):
        update({"#a": "first", "#b": "pk"})  # the same expression, a key attribute named
    with pytest.raises(ClientError, match="overlap"):
        update({"#a": "first", "#b": "first"})
    for _ in range(2):
        with pytest.raises(ClientError, match='The "SET" section can only be used once'):
            update({"#a": "first", "#b": "second"}, "SET #a = :v SET #b = :v")
    assert direct.get_item(TableName=table, Key=_item("a", "1"))["Item"]["first"] == {"S": "x"}


def _step_functions(cloud: LocalCloud, *, direct: bool) -> Any:
    client = boto3.client("stepfunctions", region_name=REGION)
    assert cloud.direct is not None
    if not direct:
        cloud.direct.uninstall(client.meta.events)
    return client


def _machine_requests(cloud: LocalCloud, name: str) -> Iterator[tuple[str, Callable[[Any], Any]]]:
    """Requests of every kind the engine makes of Step Functions, each on a client."""
    definition = '{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}'
    arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:{name}"
    yield (
        "create",
        lambda c: c.create_state_machine(
            name=name, definition=definition, roleArn=cloud.role_arn, type="STANDARD"
        ),
    )
    yield (
        "create again",
        lambda c: c.create_state_machine(
            name=name, definition=definition.replace("Done", "Other"), roleArn=cloud.role_arn
        ),
    )
    yield "describe", lambda c: c.describe_state_machine(stateMachineArn=arn)
    yield (
        "publish",
        lambda c: c.update_state_machine(stateMachineArn=arn, definition=definition, publish=True),
    )
    yield "start", lambda c: c.start_execution(stateMachineArn=arn, name="once", input="{}")
    yield (
        "start the same name",
        lambda c: c.start_execution(stateMachineArn=arn, name="once", input='{"other": 1}'),
    )
    yield (
        "describe the execution",
        lambda c: _finished(c, f"{arn}:once".replace("stateMachine", "execution")),
    )
    yield "a machine that is not", lambda c: c.start_execution(stateMachineArn=f"{arn}-x")
    yield (
        "a definition refused",
        lambda c: c.create_state_machine(
            name=f"{name}-bad", definition="{}", roleArn=cloud.role_arn
        ),
    )
    yield "the client refuses", lambda c: c.start_execution(name="no machine")


def _finished(client: Any, execution_arn: str) -> Any:
    for _ in range(200):
        described = client.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.01)
    return described


def _dated(value: Any) -> Any:
    """`value` with each date replaced by its type: two runs have their own moments."""
    if isinstance(value, dict):
        return {key: _dated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dated(item) for item in value]
    return type(value).__name__ if isinstance(value, datetime.datetime) else value


def test_step_functions_answers_as_over_http(cloud: LocalCloud) -> None:
    direct, whole = _step_functions(cloud, direct=True), _step_functions(cloud, direct=False)
    sent: list[str] = []
    direct.meta.events.register("before-send.sfn", lambda **kwargs: sent.append("direct"))
    ours, theirs = f"direct-{uuid.uuid4().hex[:8]}", f"whole-{uuid.uuid4().hex[:8]}"
    pairs = zip(_machine_requests(cloud, ours), _machine_requests(cloud, theirs), strict=True)
    for (name, call), (_, same_call) in pairs:
        seen = _dated(_seen(direct, call, ours))
        assert seen == _dated(_without(_seen(whole, same_call, theirs), theirs)), name
    assert sent == []
    started = direct.describe_execution(
        executionArn=f"arn:aws:states:{REGION}:123456789012:execution:{ours}:once"
    )
    assert isinstance(started["startDate"], datetime.datetime)
    assert started["status"] == "SUCCEEDED"


def test_a_kms_key_made_without_its_key_pair_still_signs(cloud: LocalCloud) -> None:
    """The engine's start leaves a key's RSA pair unmade until something uses it."""
    kms = cloud.client("kms")
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    algorithm = "RSASSA_PSS_SHA_256"
    signed = kms.sign(KeyId=key, Message=b"stepthunk", SigningAlgorithm=algorithm)["Signature"]
    verified = kms.verify(
        KeyId=key, Message=b"stepthunk", Signature=signed, SigningAlgorithm=algorithm
    )
    assert verified["SignatureValid"] is True
    assert kms.get_public_key(KeyId=key)["PublicKey"]
