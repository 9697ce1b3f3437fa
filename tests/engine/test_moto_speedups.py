"""moto, made cheaper where the embedded engine spends its time, answers what it answered
before: update expressions walked directly give moto's own items and errors, a condition
parsed once decides each later write as a parse of its own would, a state's
literals evaluated once still reach every run exactly as written, whatever an earlier run
did with them, a Lambda task's input written once serves its history and its function,
and an ended execution, keeping only what it needs, answers its history and a stop as
before. And what the engine replaces in moto is exactly local.moto_patches' table,
each target with the signature it has in the pinned moto."""

from __future__ import annotations

import copy
import decimal
import gc
import importlib
import inspect
import json
import time
import types
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.exceptions import ExecutionAlreadyExists
from moto.stepfunctions.parser import utils as moto_utils
from moto.stepfunctions.parser.asl.utils import encoding
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from bench.foundation import chain
from local import moto_patches, moto_stepfunctions
from local.cloud import ACCOUNT, REGION, LocalCloud
from local.embedded import EmbeddedEngine
from local.moto_stepfunctions import json_copy


@pytest.fixture(scope="module")
def cloud() -> LocalCloud:
    return LocalCloud.shared()


def _table(client: Any) -> str:
    name = f"walk-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


START = {
    "pk": {"S": "a"},
    "n": {"N": "5"},
    "tags": {"SS": ["x", "y"]},
    "list": {"L": [{"S": "first"}, {"N": "2"}]},
    "map": {"M": {"inner": {"M": {"deep": {"S": "old"}}}, "count": {"N": "1"}}},
    "text": {"S": "hello"},
}


ONE, NEW = {":one": {"N": "1"}}, {":s": {"S": "new"}}
# (what it does, its update expression, values, names) for expressions of every kind; those
# from "a key attribute" on are refused
UPDATES: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    (
        "SET, nested paths, arithmetic",
        "SET #n = #n + :one, #map.#in.deep = :s, #list[1] = :s",
        ONE | NEW,
        {"#n": "n", "#map": "map", "#in": "inner", "#list": "list"},
    ),
    (
        "functions",
        "SET #list = list_append(#list, :l), fresh = if_not_exists(fresh, :s)",
        NEW | {":l": {"L": [{"S": "more"}]}},
        {"#list": "list"},
    ),
    (
        "REMOVE, ADD, DELETE in one",
        "REMOVE #text, #map.#count ADD n :one DELETE tags :t",
        ONE | {":t": {"SS": ["x"]}},
        {"#text": "text", "#map": "map", "#count": "count"},
    ),
    ("a key attribute", "SET pk = :s", NEW, {}),
    ("overlapping paths", "SET #a = :s, #b = :s", NEW, {"#a": "text", "#b": "text"}),
    ("a type mismatch", "SET #text = #text + :one", ONE, {"#text": "text"}),
    ("an undefined value", "SET fresh = :missing, other = :s", NEW, {}),
    ("a path into nothing", "SET nothing.below = :s", NEW, {}),
]
REFUSED_FROM = 3


def _answers(client: Any) -> list[Any]:
    """What each update answers on a fresh item: the item it leaves, or its error."""
    table = _table(client)
    answers: list[Any] = []
    for what, expression, values, names in UPDATES:
        client.put_item(TableName=table, Item=START)
        parameters: dict[str, Any] = {"UpdateExpression": expression}
        parameters["ExpressionAttributeValues"] = values
        if names:
            parameters["ExpressionAttributeNames"] = names
        try:
            client.update_item(TableName=table, Key={"pk": {"S": "a"}}, **parameters)
        except ClientError as error:
            answers.append((what, error.response["Error"]))
        else:
            item = client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
            answers.append((what, item))
    return answers


def test_an_update_walked_directly_answers_as_moto_walks_it(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]

    client = boto3.client("dynamodb", region_name=REGION)
    walked = _answers(client)
    own_walk: Callable[[Any, Any], Any] = DepthFirstTraverser.traverse_node_recursively
    monkeypatch.setattr(DepthFirstTraverser, "traverse", lambda self, node: own_walk(self, node))
    assert _answers(client) == walked
    errors = [what for what, answer in walked if "Code" in answer]
    assert errors == [update[0] for update in UPDATES[REFUSED_FROM:]]  # as DynamoDB refuses them


# (its condition, values, names): the same expression again with other values and names, and
# one that does not parse
CONDITIONS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("#n = :v", {":v": {"N": "5"}}, {"#n": "n"}),
    ("#n = :v", {":v": {"N": "6"}}, {"#n": "n"}),
    ("#n = :v", {":v": {"N": "5"}}, {"#n": "text"}),
    ("#n = :v", {":v": {"S": "hello"}}, {"#n": "text"}),
    (
        "attribute_not_exists(#k) OR NOT (#t IN (:a, :b))",
        {":a": {"S": "x"}, ":b": {"S": "hello"}},
        {"#k": "pk", "#t": "text"},
    ),
    (
        "attribute_not_exists(#k) OR NOT (#t IN (:a, :b))",
        {":a": {"S": "x"}, ":b": {"S": "y"}},
        {"#k": "pk", "#t": "text"},
    ),
    ("#n = :v-1", {":v-1": {"N": "5"}}, {"#n": "n"}),
    ("#n = :v-1", {":v-1": {"N": "6"}}, {"#n": "n"}),
    ("#n = = :v", {":v": {"N": "5"}}, {"#n": "n"}),
]


def _decided(client: Any) -> list[Any]:
    """What each conditional update answers on a fresh item: the item it leaves, or its error."""
    table = _table(client)
    answers: list[Any] = []
    for condition, values, names in CONDITIONS * 2:  # each expression seen before, the 2nd time
        client.put_item(TableName=table, Item=START)
        try:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": "a"}},
                UpdateExpression="SET #fresh = :fresh",
                ConditionExpression=condition,
                ExpressionAttributeValues={**values, ":fresh": {"S": "written"}},
                ExpressionAttributeNames={**names, "#fresh": "fresh"},
            )
        except ClientError as error:
            answers.append(error.response["Error"])
        except ValueError as error:  # moto raises what does not parse as it is
            answers.append(str(error))
        else:
            answers.append(client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"])
    return answers


def test_a_condition_parsed_once_decides_each_write_as_its_own_parse_would(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    client = boto3.client("dynamodb", region_name=REGION)
    kept = _decided(client)
    target = "moto.dynamodb.comparisons.ConditionExpressionParser.parse"
    monkeypatch.setattr(ConditionExpressionParser, "parse", moto_patches.REPLACED[target])
    assert _decided(client) == kept
    written = ["fresh" in answer for answer in kept[: len(CONDITIONS)]]
    assert written == [True, False, False, True, False, True, True, False, False]
    assert kept[: len(CONDITIONS)] == kept[len(CONDITIONS) :]


BIG = "x" * 300_000
# (what it does, its update expression, values, names, condition, whether the item exists,
# whether moto's own path must take it): updates of the simple form a record write has, and
# requests that look simple but moto must refuse or decide
SIMPLE: list[tuple[str, str, dict[str, Any], dict[str, str], str | None, bool, bool]] = [
    (
        "SET",
        "SET #t = :s, #n = :n",
        NEW | {":n": {"N": "-12"}},
        {"#t": "text", "#n": "n"},
        None,
        True,
        False,
    ),
    ("SET a new item", "SET #t = :s", NEW, {"#t": "text"}, None, False, False),
    (
        "set if absent",
        "SET #t = if_not_exists(#t, :s), #f = if_not_exists(#f, :s)",
        NEW,
        {"#t": "text", "#f": "fresh"},
        None,
        True,
        False,
    ),
    (
        "REMOVE",
        "SET #t = :s REMOVE #n, #gone",
        NEW,
        {"#t": "text", "#n": "n", "#gone": "gone"},
        None,
        True,
        False,
    ),
    (
        "a condition met",
        "SET #t = :s",
        NEW | {":v": {"N": "5"}},
        {"#t": "text", "#n": "n"},
        "#n = :v",
        True,
        False,
    ),
    (
        "a condition not met",
        "SET #t = :s",
        NEW | {":v": {"N": "6"}},
        {"#t": "text", "#n": "n"},
        "#n = :v",
        True,
        False,
    ),
    (
        "a condition on no item",
        "SET #t = :s",
        NEW,
        {"#t": "text", "#k": "pk"},
        "attribute_exists(#k)",
        False,
        False,
    ),
    (
        "too large",
        "SET #b = :b, #c = :b",
        {":b": {"S": BIG}},
        {"#b": "big", "#c": "copy"},
        None,
        True,
        False,
    ),
    ("a key attribute", "SET #k = :s", NEW, {"#k": "pk"}, None, True, True),
    (
        "one attribute twice",
        "SET #a = :s REMOVE #b",
        NEW,
        {"#a": "text", "#b": "text"},
        None,
        True,
        True,
    ),
    (
        "a value not given",
        "SET #t = :s, #u = :none",
        NEW,
        {"#t": "text", "#u": "u"},
        None,
        True,
        True,
    ),
    ("a list value", "SET #t = :l", {":l": {"L": [{"S": "a"}]}}, {"#t": "text"}, None, True, True),
    ("a number as text", "SET #n = :n", {":n": {"N": "1e3"}}, {"#n": "n"}, None, True, True),
    (
        "if_not_exists of another",
        "SET #t = if_not_exists(#n, :s)",
        NEW,
        {"#t": "text", "#n": "n"},
        None,
        True,
        True,
    ),
    ("a nested path", "SET #m.#i = :s", NEW, {"#m": "map", "#i": "inner"}, None, True, True),
]


def _updated(client: Any) -> list[Any]:
    """What each simple update answers: its return value and the item it leaves, or its
    error and the item as it stays."""
    table = _table(client)
    answers: list[Any] = []
    for what, expression, values, names, condition, exists, _ in SIMPLE:
        client.delete_item(TableName=table, Key={"pk": {"S": "a"}})
        if exists:
            client.put_item(TableName=table, Item=START)
        parameters: dict[str, Any] = {
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
            "ExpressionAttributeNames": names,
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if condition is not None:
            parameters["ConditionExpression"] = condition
        try:
            answer = client.update_item(TableName=table, Key={"pk": {"S": "a"}}, **parameters)
            answer = answer["Attributes"]
        except ClientError as error:
            answer = (error.response["Error"], error.response.get("Item"))
        item = client.get_item(TableName=table, Key={"pk": {"S": "a"}}).get("Item")
        answers.append((what, answer, item))
    return answers


def test_a_simple_update_applied_directly_answers_as_moto_does(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    client = boto3.client("dynamodb", region_name=REGION)
    validate = UpdateExpressionValidator.validate
    validated: list[str] = []  # moto's own path validates the expression's tree

    def counted(validator: Any) -> Any:
        validated.append(validator.stepthunk_expression)
        return validate(validator)

    monkeypatch.setattr(UpdateExpressionValidator, "validate", counted)
    direct = _updated(client)
    # only what is not of the simple form, or would be refused, took moto's own path
    assert len(validated) == len([update for update in SIMPLE if update[6]])
    own = moto_patches.REPLACED["moto.dynamodb.models.DynamoDBBackend.update_item"]
    monkeypatch.setattr(DynamoDBBackend, "update_item", own)
    owns = _updated(client)
    assert [answer for _, answer, _ in owns] == [answer for _, answer, _ in direct]
    # the items left alike, but where moto writes half of an update too large: DynamoDB
    # writes all of an update or nothing
    too_large = [update[0] for update in SIMPLE].index("too large")
    assert owns[:too_large] + owns[too_large + 1 :] == direct[:too_large] + direct[too_large + 1 :]
    assert direct[too_large][2] == START
    refused = [what for what, answer, _ in direct if isinstance(answer, tuple)]
    assert refused == [
        "a condition not met",
        "a condition on no item",
        "too large",
        "a key attribute",
        "one attribute twice",
        "a value not given",
    ]
    item = dict(direct[0][2])
    assert (item["text"], item["n"]) == ({"S": "new"}, {"N": "-12"})
    assert direct[5][1][1] == START  # the item as it was, for ReturnValuesOnConditionCheckFailure


def test_a_simple_update_is_sized_as_the_item_it_leaves(cloud: LocalCloud) -> None:
    # DynamoDB limits the item an update leaves; moto adds each new value to the size of the
    # item it replaces it in, and would refuse this one
    client = boto3.client("dynamodb", region_name=REGION)
    table = _table(client)
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "big": {"S": BIG}})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET #b = :b",
        ExpressionAttributeNames={"#b": "big"},
        ExpressionAttributeValues={":b": {"S": BIG.upper()}},
    )
    item = client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert item["big"]["S"] == BIG.upper()


LITERALS = {
    "numbers": [-3, -9007199254740993, 0.1, 1e300, -0.0, 12, 2.5],
    "nested": {"a": [{"b": None, "c": True, "d": False}, []], "s": "x", "empty": {}},
    "text": "ünïcödé",
}
DEFINITION = {
    "StartAt": "Literals",
    "States": {
        "Literals": {
            "Type": "Pass",
            "Parameters": {**LITERALS, "given.$": "$.given"},
            "ResultPath": "$.made",
            "Next": "Seen",
        },
        "Seen": {
            "Type": "Pass",
            "Parameters": {"s.$": "$.made.nested.s", "first.$": "$.made.nested.a[0]"},
            "ResultPath": "$.seen",
            "Next": "Changed",
        },
        "Changed": {
            "Type": "Pass",
            "Result": "changed",
            "ResultPath": "$.made.nested.s",
            "Next": "Grown",
        },
        "Grown": {
            "Type": "Pass",
            "Result": {"e": 1},
            "ResultPath": "$.made.nested.a[0].grown",
            "End": True,
        },
    },
}


def _machine(cloud: LocalCloud, name: str, definition: dict[str, Any]) -> tuple[Any, str]:
    """A Step Functions client and a new state machine of `definition`, named after `name`."""
    client = cloud.client("stepfunctions")
    machine = client.create_state_machine(
        name=f"{name}-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=cloud.role_arn,
    )["stateMachineArn"]
    return client, str(machine)


def _run(client: Any, machine: str, given: Any) -> Any:
    arn = client.start_execution(
        stateMachineArn=machine, name=uuid.uuid4().hex, input=json.dumps({"given": given})
    )["executionArn"]
    for _ in range(500):
        described = client.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            return json.loads(described["output"])
        time.sleep(0.01)
    raise AssertionError("the execution did not end")


def test_literals_reach_every_run_as_written(cloud: LocalCloud) -> None:
    client, machine = _machine(cloud, "literals", DEFINITION)
    for given in (1, [2]):  # the first run changes what its literals made; the second reads them
        output = _run(client, machine, given)
        made = output["made"]
        assert {name: made[name] for name in LITERALS if name != "nested"} == {
            name: value for name, value in LITERALS.items() if name != "nested"
        }
        assert [type(n) for n in made["numbers"]] == [type(n) for n in LITERALS["numbers"]]
        assert made["given"] == given
        assert output["seen"] == {"s": "x", "first": {"b": None, "c": True, "d": False}}
        assert made["nested"]["s"] == "changed"
        assert made["nested"]["a"][0]["grown"] == {"e": 1}


def test_a_lambda_task_reads_its_literals_uncopied(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Lambda task's parameters are only serialized (its payload, its history): their
    literals reach every run as written without a copy (a Pass state's, which enter the
    state, are copied: test_literals_reach_every_run_as_written)."""
    received: list[Any] = []

    def receive(event: Any, deadline: float) -> dict[str, int]:
        received.append(event)
        return {"seen": len(received)}

    function = cloud.add_function(f"literals-{uuid.uuid4().hex[:8]}", receive)
    task = {"literals": LITERALS, "given.$": "$.given"}
    definition = {
        "StartAt": "Task",
        "States": {"Task": {"Type": "Task", "Resource": function, "Parameters": task, "End": True}},
    }
    copies: list[Any] = []
    copy_json = moto_stepfunctions.json_copy

    def counted(value: Any, memo: Any = None) -> Any:
        if value == LITERALS:
            copies.append(value)
        return copy_json(value, memo)

    monkeypatch.setattr(moto_stepfunctions, "json_copy", counted)
    client, machine = _machine(cloud, "task-literals", definition)
    for given in (1, 2):
        assert _run(client, machine, given) == {"seen": given}
    assert [event["literals"] for event in received] == [LITERALS, LITERALS]
    assert [event["given"] for event in received] == [1, 2]
    assert copies == []


def test_a_lambda_task_input_is_written_once_for_its_history_and_its_function(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input a function receives is what the history says the task was given, written
    to JSON once for both; a later run, whose input differs, gets its own."""
    received: list[Any] = []

    def receive(event: Any, deadline: float) -> dict[str, Any]:
        received.append(event)
        event["given"] = "changed by the function"  # its own copy: nothing else sees it
        return {"seen": len(received)}

    function = cloud.add_function(f"written-{uuid.uuid4().hex[:8]}", receive)
    task = {"Type": "Task", "Resource": function, "End": True}
    task["Parameters"] = {"given.$": "$.given", "fixed": {"a": [1, 2.5]}}
    definition = {"StartAt": "Task", "States": {"Task": task}}
    written: list[Any] = []

    def counted(value: Any, **options: Any) -> str:
        if isinstance(value, dict) and "fixed" in value:
            written.append(value)
        return json.dumps(value, **options)

    monkeypatch.setattr(encoding, "json", types.SimpleNamespace(dumps=counted))
    client, machine = _machine(cloud, "written", definition)
    scheduled = []
    for given in (1, [2, {"b": "é"}]):
        assert _run(client, machine, given) == {"seen": len(received)}
        arn = client.list_executions(stateMachineArn=machine)["executions"][0]["executionArn"]
        history = client.get_execution_history(executionArn=arn)["events"]
        events = [e for e in history if e["type"] == "LambdaFunctionScheduled"]
        scheduled += [json.loads(e["lambdaFunctionScheduledEventDetails"]["input"]) for e in events]

    fixed = {"a": [1, 2.5]}
    assert scheduled == [{"given": 1, "fixed": fixed}, {"given": [2, {"b": "é"}], "fixed": fixed}]
    assert [{**event, "given": None} for event in received] == [{"given": None, "fixed": fixed}] * 2
    assert len(written) == 2  # once a run


def test_a_json_copy_shares_nothing_with_its_original() -> None:
    original = {"a": [{"b": [1, 2.5, "x", None, True]}], "c": {}}
    copied = json_copy(original)
    assert copied == original
    copied["a"][0]["b"].append(3)
    copied["c"]["d"] = 1
    assert original == {"a": [{"b": [1, 2.5, "x", None, True]}], "c": {}}


def test_a_json_copy_copies_other_values_as_deepcopy_does() -> None:
    shared = [decimal.Decimal("1.5")]
    original = {"kept": (shared, shared), "set": {1, 2}}
    copied = json_copy(original)
    assert copied == copy.deepcopy(original)
    assert copied["kept"][0] is copied["kept"][1]  # a tuple's memo kept, as deepcopy keeps it
    assert copied["kept"][0] is not shared


def _ended(engine: EmbeddedEngine, execution_id: str) -> Any:
    """moto's execution of `execution_id` (named by it), once it has ended."""
    backend = stepfunctions_parser_backends[ACCOUNT][REGION]
    for machine in backend.state_machines:
        for execution in machine.executions:
            if execution.name == execution_id:
                return execution
    raise AssertionError(f"no execution named {execution_id}")


def test_an_ended_execution_answers_the_history_it_recorded(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[Any] = []
    freeze = moto_stepfunctions.FrozenHistory.__init__

    def recording(history: Any, manager: Any) -> None:
        recorded.append(copy.deepcopy(manager.get_event_history()))
        freeze(history, manager)

    monkeypatch.setattr(moto_stepfunctions.FrozenHistory, "__init__", recording)
    execution_id = str(uuid.uuid4())
    assert engine.run(chain("addition", 3, b=1), execution_id=execution_id).status == "completed"
    ended = _ended(engine, execution_id)
    first = ended.to_history_output()["events"]
    assert [first] == recorded
    assert len(first) > 10
    first[0]["id"] = -1  # each read is a copy of its own, as moto's reads are
    assert ended.to_history_output()["events"] == recorded[0]
    client = engine.cloud.client("stepfunctions")
    events = client.get_execution_history(executionArn=ended.exec_arn)["events"]
    assert [e["type"] for e in events] == [e["type"] for e in recorded[0]]


def test_stopping_an_ended_execution_leaves_it_as_it_ended(engine: EmbeddedEngine) -> None:
    execution_id = str(uuid.uuid4())
    assert engine.run(chain("addition", 2, b=1), execution_id=execution_id).status == "completed"
    arn = _ended(engine, execution_id).exec_arn
    client = engine.cloud.client("stepfunctions")
    ended = client.describe_execution(executionArn=arn)
    client.stop_execution(executionArn=arn, cause="too late")
    described = client.describe_execution(executionArn=arn)
    assert described["status"] == ended["status"] == "SUCCEEDED"
    assert described["output"] == ended["output"]
    assert described["stopDate"] == ended["stopDate"]


def test_what_an_ended_execution_keeps_does_not_grow_with_what_it_ran(
    engine: EmbeddedEngine,
) -> None:
    """`serve` keeps every execution it ran: the threads the interpreter started for each
    task, its states' data, frames and stacks went with it (242 objects a 20-node chain,
    each walked by every full garbage collection); its history and how it ended remain."""
    twenty = chain("addition", 20, b=1)
    for _ in range(3):  # caches filled
        assert engine.run(twenty).status == "completed"
    gc.collect()
    before = len(gc.get_objects())
    runs = 20
    for _ in range(runs):
        engine.run(twenty)
    gc.collect()
    assert (len(gc.get_objects()) - before) / runs < 150
    for name in moto_stepfunctions.THREAD_KEEPING_MODULES:
        assert list(importlib.import_module(name).TMP_THREADS) == []
    assert moto_utils.TMP_THREADS == []


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_history_that_cannot_be_frozen_is_kept_as_recorded(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unpicklable(history: Any, manager: Any) -> None:
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr(moto_stepfunctions.FrozenHistory, "__init__", unpicklable)
    execution_id = str(uuid.uuid4())
    assert engine.run(chain("addition", 2, b=1), execution_id=execution_id).status == "completed"
    events = _ended(engine, execution_id).to_history_output()["events"]
    assert events[0]["type"] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionSucceeded"


class CountedExecutions(moto_stepfunctions.ExecutionList):
    """Executions that count how often they are read in full."""

    def __init__(self, executions: Any = ()) -> None:
        self.reads = 0
        super().__init__(executions)

    def __iter__(self) -> Any:
        self.reads += 1
        return super().__iter__()


def _execution(name: str, given: str, status: str) -> Any:
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:machine:{name}"
    return types.SimpleNamespace(name=name, execution_input=given, status=status, execution_arn=arn)


def test_a_start_looks_its_name_up_among_the_executions_as_moto_decides(
    engine: EmbeddedEngine,
) -> None:
    """moto's rule for a start with a name already used (the same input while that
    execution runs: the same execution; else ExecutionAlreadyExists), without reading every
    execution the state machine ran: `serve` keeps them all."""
    execution_id = str(uuid.uuid4())
    assert engine.run(chain("addition", 2, b=1), execution_id=execution_id).status == "completed"
    # what the execution ran is a copy of its state machine, under the same ARN
    machine_arn = _ended(engine, execution_id).state_machine.arn
    source = stepfunctions_parser_backends[ACCOUNT][REGION].describe_state_machine(machine_arn)
    assert isinstance(source.executions, moto_stepfunctions.ExecutionList)
    assert source.executions.by_name[execution_id].name == execution_id

    past = [_execution(f"past-{n}", "{}", "SUCCEEDED") for n in range(1000)]
    running = _execution("running", '{"a": 1}', "RUNNING")
    source.executions, kept = CountedExecutions([*past, running]), source.executions
    try:
        assert source._handle_name_input_idempotency("running", '{"a": 1}') is running
        assert source._handle_name_input_idempotency("new", "{}") is None
        for name, given in (("running", '{"a": 2}'), ("past-7", "{}")):
            with pytest.raises(ExecutionAlreadyExists, match=name):
                source._handle_name_input_idempotency(name, given)
        assert source.executions.reads == 0
    finally:
        source.executions = kept


def test_the_engine_replaces_exactly_the_listed_moto_internals_with_their_pinned_signatures(
    cloud: LocalCloud,
) -> None:
    cloud.client("lambda")  # the one replacement made when a Lambda client is first made
    assert set(moto_patches.REPLACED) == set(moto_patches.TARGETS)
    for target, parameters in moto_patches.TARGETS.items():
        # each target resolves in the installed packages, from its module down
        parts = target.split(".")
        for split in range(len(parts) - 1, 0, -1):
            try:
                owner: Any = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            for name in parts[split:-1]:
                owner = getattr(owner, name)
            assert hasattr(owner, parts[-1]), target
            break
        else:
            raise AssertionError(f"{target} resolves to no module")
        original = moto_patches.REPLACED[target]
        if parameters is not None:
            assert tuple(inspect.signature(original).parameters) == parameters, target


def test_a_target_is_replaced_once():
    holder = types.SimpleNamespace(__name__="holder", value=1)
    moto_patches.replace(holder, "value", 2)
    try:
        with pytest.raises(RuntimeError, match=r"holder\.value is replaced twice"):
            moto_patches.replace(holder, "value", 3)
        assert holder.value == 2
    finally:
        moto_patches.REPLACED.pop("holder.value")


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_tasks_run_on_kept_threads_and_a_busy_one_holds_none_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One after another, tasks run on the same kept thread; a task still running (past its
    timeout, say) makes the next start a thread of its own; idle threads end."""
    import threading

    monkeypatch.setattr(moto_stepfunctions, "KEPT_THREAD_IDLE_S", 0.2)
    threads = moto_stepfunctions.KeptThreads()
    ran: list[int] = []
    done = threading.Event()

    def task() -> None:
        ran.append(threading.get_ident())
        done.set()

    for _ in range(5):
        done.clear()
        threads.run(task)
        assert done.wait(10)
        assert _until(lambda: threads.idle() == 1)  # back among the idle
    assert len(set(ran)) == 1

    release, started = threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        release.wait(10)

    threads.run(busy)
    assert started.wait(10)
    done.clear()
    threads.run(task)
    assert done.wait(10)  # not held back by the busy one
    release.set()
    assert len(set(ran)) == 2

    def ended() -> bool:
        return not {thread.ident for thread in threading.enumerate()} & set(ran)

    assert _until(ended)  # both ended once idle
    assert threads.idle() == 0


def test_an_execution_runs_on_kept_threads(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An execution's program and its tasks start no thread of their own once threads are
    kept: a run of a chain after a first one starts one, the execution's own (moto makes
    its environment there, which a stop right after the start needs)."""
    import threading

    engine = EmbeddedEngine(cloud=cloud)
    workflow = chain("addition", 3, b=1)
    engine.run(workflow)  # threads kept by now
    started: list[threading.Thread] = []
    original_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread)
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    record = engine.run(workflow)
    monkeypatch.undo()
    assert record.status == "completed"
    assert len(started) == 1
