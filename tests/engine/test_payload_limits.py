"""Large data on Step Functions: states, items and messages stay under AWS limits, values intact."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lambdas.runtime.payload import encode
from local import cloud, interpreter
from local.embedded import EmbeddedEngine, EngineFailure
from tests.support.runs import Faults, Run, compact_size, run
from tests.support.workflows import edge, node, workflow

STATE_LIMIT = 256 * 1024  # Step Functions state input/output, bytes
ITEM_LIMIT = 400 * 1000  # DynamoDB item, bytes
MESSAGE_LIMIT = 128 * 1000  # API Gateway WebSocket frame, bytes
BIG = "stepthunk " * 500_000  # 5 MB of text


@pytest.fixture(scope="module")
def big_run(unit_per_node: EmbeddedEngine) -> Run:
    """The 5 MB text through three nodes, each a unit of its own."""
    flow = workflow(
        node("t", "text-input"),
        node("s", "to-string"),
        node("o", "output-text"),
        edges=[edge("t.value", "s.value"), edge("s.result", "o.value")],
    )
    return run(unit_per_node, flow, inputs={"t": {"value": BIG}})


def history_strings(finished: Run) -> list[tuple[str, str, int]]:
    """(event type, field, size in bytes) of every text field of every history event."""
    found = []
    for event in finished.history:
        for part, details in event.items():
            if not part.endswith("Details") or not isinstance(details, dict):
                continue
            for name, value in details.items():
                if isinstance(value, str):
                    found.append((event["type"], name, len(value.encode("utf-8"))))
    return found


def item_size(value: Any) -> int:
    """DynamoDB's size of an attribute value (names and values in UTF-8, numbers as text)."""
    if isinstance(value, dict) and len(value) == 1:
        [(kind, data)] = value.items()
        if kind in {"S", "N"}:
            return len(data.encode("utf-8"))
        if kind == "B":
            return len(data)
        if kind in {"BOOL", "NULL"}:
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode("utf-8")) + item_size(v) for k, v in data.items())
        if kind == "L":
            return 3 + sum(1 + item_size(v) for v in data)
    raise AssertionError(f"Not a DynamoDB attribute value: {value!r}")


def largest_items(engine: EmbeddedEngine) -> dict[str, int]:
    """Each table of the deployment -> the size of its largest item."""
    scan = engine.cloud.client("dynamodb").get_paginator("scan")
    sizes = {}
    for setting, table in engine.deployment.settings.items():
        if setting.endswith("_table"):
            items = [item for page in scan.paginate(TableName=table) for item in page["Items"]]
            sizes[table] = max(map(size_of_item, items), default=0)
    return sizes


def size_of_item(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + item_size(value) for name, value in item.items())


def test_a_5_mb_value_passes_through_three_units_intact(big_run: Run) -> None:
    record = big_run.record

    assert big_run.units == 3
    assert big_run.description["status"] == "SUCCEEDED"
    assert record.status == "completed"
    assert record.node("t").outputs == {"value": BIG}
    assert record.node("s").outputs == {"result": BIG}
    assert record.node("o").outputs == {"displayValue": BIG}


def test_no_state_in_the_history_of_a_5_mb_value_exceeds_256_kib(big_run: Run) -> None:
    fields = history_strings(big_run)

    assert any(name == "input" for _, name, _ in fields)  # the inspection saw the states
    assert [f for f in fields if f[2] > STATE_LIMIT] == []


def test_no_dynamodb_item_exceeds_400_kb_after_a_5_mb_value(big_run: Run) -> None:
    sizes = largest_items(big_run.engine)

    assert sizes  # the deployment's tables were scanned
    assert {table: size for table, size in sizes.items() if size > ITEM_LIMIT} == {}


def test_a_5_mb_value_is_stored_once_by_its_content(big_run: Run) -> None:
    engine = big_run.engine
    s3 = engine.cloud.client("s3")
    prefix = f"values/{big_run.record.organization_id}/"
    listed = s3.list_objects_v2(Bucket=engine.deployment.settings["blob_bucket"], Prefix=prefix)
    keys = [o["Key"] for o in listed.get("Contents", []) if o["Size"] >= len(BIG)]

    assert keys == [prefix + hashlib.sha256(encode(BIG)).hexdigest()]


def test_three_hundred_nodes_with_2_kb_outputs_complete(engine: EmbeddedEngine) -> None:
    texts = {f"t{i}": f"{i:03}" + "x" * 2045 for i in range(150)}
    flow = workflow(
        *(node(t, "text-input") for t in texts),
        *(node(f"s{t}", "to-string") for t in texts),
        edges=[edge(f"{t}.value", f"s{t}.value") for t in texts],
    )
    updates: list[dict[str, Any]] = []

    finished = run(
        engine,
        flow,
        inputs={t: {"value": text} for t, text in texts.items()},
        on_update=updates.append,
    )

    assert finished.units > 1  # the results map crosses units
    assert finished.record.status == "completed"
    outputs = {e.node_id: e.outputs for e in finished.record.node_executions}
    assert {f"s{t}": outputs[f"s{t}"] for t in texts} == {
        f"s{t}": {"result": text} for t, text in texts.items()
    }
    assert [f for f in history_strings(finished) if f[2] > STATE_LIMIT] == []
    assert updates[-1]["status"] == "completed"
    assert max(compact_size(message) for message in updates) <= MESSAGE_LIMIT


def test_a_results_map_past_256_kib_in_small_values_is_carried_by_reference(
    engine: EmbeddedEngine,
) -> None:
    """19 values of 7 KiB stay inline one by one (under 8 KiB) but make a results map of
    about 270 KiB: over the state limit, so the map itself must move out of the state."""
    texts = {f"t{i}": f"{i:03}" + "y" * (7 * 1024) for i in range(19)}
    flow = workflow(
        *(node(t, "text-input") for t in texts),
        node("after", "random-number"),  # a unit of its own: the map crosses a task
        edges=[],
    )

    finished = run(engine, flow, inputs={t: {"value": text} for t, text in texts.items()})

    assert finished.units == 2
    assert finished.record.status == "completed"
    assert {t: finished.record.node(t).outputs for t in texts} == {
        t: {"value": text} for t, text in texts.items()
    }
    assert [f for f in history_strings(finished) if f[2] > STATE_LIMIT] == []


def test_a_unit_whose_literals_pass_256_kib_runs_by_content_hash(engine: EmbeddedEngine) -> None:
    documents = {f"j{i}": {"text": f"{i:03}" + "z" * (7 * 1024)} for i in range(40)}
    flow = workflow(*(node(j, "json-input", json=document) for j, document in documents.items()))

    finished = run(engine, flow)

    assert finished.units == 1
    assert finished.record.status == "completed"
    assert {j: finished.record.node(j).outputs for j in documents} == {
        j: {"json": document} for j, document in documents.items()
    }
    assert [f for f in history_strings(finished) if f[2] > STATE_LIMIT] == []


def test_a_task_result_over_256_kib_fails_the_execution_uncaught_as_on_aws(
    engine: EmbeddedEngine, faults: Faults
) -> None:
    """What AWS does to a state over 256 KiB (States.DataLimitExceeded, beyond any Catch of
    States.ALL) the embedded engine does too, so no test passes here that would fail there."""
    real_name = str(engine.deployment.functions.run_inline_group).rsplit(":", 1)[-1]
    real, timeout = engine.cloud.functions[real_name]

    def oversized(event: dict[str, Any], deadline: float) -> dict[str, Any]:
        return {**real(event, deadline), "padding": "p" * STATE_LIMIT}

    faults.replaced.append((engine.cloud, real_name, (real, timeout)))
    engine.cloud.functions[real_name] = (oversized, timeout)

    with pytest.raises(EngineFailure, match=r"States\.DataLimitExceeded.*262,144 bytes"):
        run(engine, workflow(node("a", "number-input", value=1), node("b", "addition", b=1)))


def _task_input_of(engine: EmbeddedEngine, text: str) -> dict[str, Any]:
    """How a Lambda task fares whose input is `text` three times over (the execution's
    description): the input is measured as Step Functions counts it, in UTF-8."""
    function = str(engine.deployment.functions.run_inline_group)
    three = {"a.$": "$.x", "b.$": "$.x", "c.$": "$.x"}
    task = {"Type": "Task", "Resource": function, "Parameters": three, "End": True}
    machines = engine.cloud.client("stepfunctions")
    machine = machines.create_state_machine(
        name=f"{engine.deployment.prefix}-input-{hashlib.sha256(text.encode()).hexdigest()[:8]}",
        definition=json.dumps({"StartAt": "Task", "States": {"Task": task}}),
        roleArn=engine.cloud.role_arn,
    )["stateMachineArn"]
    started = machines.start_execution(stateMachineArn=machine, input=json.dumps({"x": text}))
    engine.cloud.wait_for_execution(started["executionArn"], timeout=120)
    described: dict[str, Any] = machines.describe_execution(executionArn=started["executionArn"])
    return described


def test_a_task_input_over_256_kib_fails_naming_its_size(engine: EmbeddedEngine) -> None:
    ended = _task_input_of(engine, "a" * 90_000)

    assert ended["status"] == "FAILED"
    assert ended["error"] == "States.DataLimitExceeded"
    assert "The task's input of 270,027 bytes exceeds the 262,144 bytes" in ended["cause"]


def test_a_task_input_under_256_kib_in_utf_8_reaches_its_function(engine: EmbeddedEngine) -> None:
    """240,000 bytes in UTF-8, 720,000 as escaped ASCII: the task runs (and its function
    refuses what it was given, which is not a unit's input)."""
    ended = _task_input_of(engine, "\u00e9" * 40_000)

    assert ended["error"] != "States.DataLimitExceeded"
    assert "validation error" in ended["cause"]


# JSON as anything may write it: compact, numbers in exponent form, strings escaped or not.
_NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.builds("{}e{}".format, st.integers(1, 9), st.integers(-20, 20) | st.just(400)),
    st.builds("{}.{}E{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(-9, 30)),
    st.sampled_from(["-0", "0.0", "-1e15", "1e-7", "123456789012345678e-3"]),
)
_PIECES = ["a", " ", "é", "😀", "\\u00e9", "\\ud83d\\ude00", "\\u0001", '\\"', "\\\\", "\\/", "\\n"]
_STRINGS = st.lists(st.sampled_from(_PIECES), max_size=8).map(lambda p: '"' + "".join(p) + '"')
_JSON_TEXT = st.recursive(
    st.one_of(_NUMBERS, _STRINGS, st.sampled_from(["true", "false", "null"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(_STRINGS, inner), max_size=6).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_TEXT)
@example("1e15")  # the most a text grows: 4 bytes written as 18
@example('{"a":1e400}')
def test_an_event_sent_in_an_eighth_of_the_limit_needs_no_measuring(text: str) -> None:
    """The engine measures a task's input only when it was sent in more than an eighth of
    the limit: JSON parsed and written again takes at most 4.5 times the bytes it came in."""
    sent = text.encode("utf-8")
    written = interpreter.data_size(json.dumps(json.loads(sent), ensure_ascii=False))

    assert written <= 4.5 * len(sent)
    assert cloud._FITS_UNMEASURED * 4.5 <= interpreter.STATE_DATA_LIMIT


def test_a_reference_written_by_a_user_never_reads_another_organizations_value(
    engine: EmbeddedEngine, big_run: Run
) -> None:
    """A stored value's key is its organization and content hash; a user who writes a
    reference to another organization's key gets that object back, not the value."""
    owner = big_run.record.organization_id
    stolen = {"@stepthunk/ref": f"values/{owner}/{hashlib.sha256(encode(BIG)).hexdigest()}"}
    flow = workflow(
        node("literal", "json-input", json=stolen),
        node("given", "json-input"),
        node("s", "to-string"),
        edges=[edge("literal.json", "s.value")],
    )

    finished = run(engine, flow, inputs={"given": {"json": stolen}})

    assert finished.record.status == "completed"
    assert finished.record.node("literal").outputs == {"json": stolen}
    assert finished.record.node("given").outputs == {"json": stolen}
    assert BIG[:100] not in json.dumps(finished.record.to_json())
