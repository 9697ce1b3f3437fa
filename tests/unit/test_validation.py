"""Workflow validation (SPEC §2): every problem code, reported together, and completed ports."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from lambdas.nodes import default_registry
from statemachine.catalog import NodeTypeSpec, PortSpec
from statemachine.errors import WorkflowValidationError
from statemachine.model import ParameterType, Workflow
from statemachine.port_types import types_compatible
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.validation import parse_workflow_json, validate_overrides, validate_workflow
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog
T = ParameterType


def problems_of(raw: Any, catalog: Any = CATALOG) -> list[ValidationProblem]:
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(raw, catalog)
    return raised.value.problems


def only_problem(raw: Any, catalog: Any = CATALOG) -> ValidationProblem:
    problems = problems_of(raw, catalog)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_workflow_without_nodes_is_empty():
    assert only_problem(workflow()).code == ProblemCode.EMPTY_WORKFLOW


def test_a_node_id_used_twice_is_reported_once_with_the_id():
    problem = only_problem(workflow(node("a", "addition"), node("a", "subtraction")))
    assert problem.code == ProblemCode.DUPLICATE_NODE_ID
    assert problem.node_id == "a"
    assert "'a'" in problem.message


def test_an_unknown_node_type_is_named():
    problem = only_problem(workflow(node("a", "teleport")))
    assert problem.code == ProblemCode.UNKNOWN_NODE_TYPE
    assert problem.node_id == "a"
    assert "teleport" in problem.message


def test_a_cycle_names_the_nodes_on_it_and_only_those():
    raw = workflow(
        node("start", "number-input"),
        node("a", "addition"),
        node("b", "addition"),
        node("c", "addition"),
        edges=[
            edge("start.value", "a.b"),
            edge("a.result", "b.a"),
            edge("b.result", "c.a"),
            edge("c.result", "a.a"),
        ],
    )
    problem = only_problem(raw)
    assert problem.code == ProblemCode.CYCLE_DETECTED
    assert problem.node_ids == ["a", "b", "c"]
    assert all(f"'{n}'" in problem.message for n in "abc")
    assert "start" not in problem.message


def test_a_self_loop_is_a_cycle():
    problem = only_problem(workflow(node("a", "addition", b=1), edges=[edge("a.result", "a.a")]))
    assert problem.code == ProblemCode.CYCLE_DETECTED
    assert problem.node_ids == ["a"]


def test_two_separate_cycles_are_both_reported():
    raw = workflow(
        node("a", "addition"),
        node("b", "addition"),
        node("x", "addition"),
        edges=[edge("a.result", "b.a"), edge("b.result", "a.a"), edge("x.result", "x.a")],
    )
    cycles = [p.node_ids for p in problems_of(raw)]
    assert cycles == [["a", "b"], ["x"]]


@pytest.mark.parametrize(
    ("connection", "named"),
    [
        (edge("ghost.result", "a.a"), "ghost"),
        (edge("a.result", "ghost.a"), "ghost"),
        (edge("a.total", "b.a"), "total"),
        (edge("a.result", "b.c"), "'c'"),
    ],
)
def test_a_connection_to_something_that_does_not_exist_is_invalid(connection, named):
    problem = only_problem(
        workflow(node("a", "addition"), node("b", "addition"), edges=[connection])
    )
    assert problem.code == ProblemCode.INVALID_CONNECTION
    assert problem.edge_index == 0
    assert named in problem.message


@pytest.mark.parametrize(
    ("source", "target", "compatible"),
    [
        (T.NUMBER, T.NUMBER, True),
        (T.JSON, T.JSON, True),
        (T.ANY, T.NUMBER, True),
        (T.STRING, T.ANY, True),
        (T.BLOB, T.IMAGE, True),
        (T.AUDIO, T.BLOB, True),
        (T.IMAGE, T.AUDIO, False),
        (T.JSON, T.STRING, False),
        (T.STRING, T.JSON, False),
        (T.NUMBER, T.STRING, False),
        (T.STRING, T.SECRET, False),
        (T.DATE, T.STRING, False),
        (T.BLOB, T.STRING, False),
    ],
)
def test_type_compatibility_rules(source, target, compatible):
    assert types_compatible(source, target) is compatible


def _media(type_id: str, type: ParameterType) -> NodeTypeSpec:
    port = PortSpec(name="media", type=type)
    return NodeTypeSpec(id=type_id, name=type_id, inputs=(port,), outputs=(port,), inlinable=True)


MEDIA_CATALOG = {
    **CATALOG,
    **{f"{t}-node": _media(f"{t}-node", t) for t in (T.BLOB, T.IMAGE, T.AUDIO)},
}


@pytest.mark.parametrize(
    ("source", "target", "mismatch"),
    [
        ("number-input.value", "addition.a", False),
        ("json-input.json", "output-text.value", True),
        ("text-input.value", "output-json.value", True),
        ("conditional-fork.true", "addition.a", False),
        ("json-input.json", "output-any.value", False),
        ("image-node.media", "blob-node.media", False),
        ("blob-node.media", "audio-node.media", False),
        ("image-node.media", "audio-node.media", True),
    ],
)
def test_connections_between_incompatible_types_are_mismatches(source, target, mismatch):
    source_type, source_port = source.split(".")
    target_type, target_port = target.split(".")
    raw = workflow(
        node("s", source_type),
        node("t", target_type),
        edges=[edge(f"s.{source_port}", f"t.{target_port}")],
    )
    if not mismatch:
        validate_workflow(raw, MEDIA_CATALOG)
        return
    problem = only_problem(raw, MEDIA_CATALOG)
    assert problem.code == ProblemCode.TYPE_MISMATCH
    assert problem.edge_index == 0


def test_the_same_connection_twice_is_a_duplicate():
    link = edge("a.result", "b.a")
    problem = only_problem(
        workflow(node("a", "addition"), node("b", "addition"), edges=[link, link])
    )
    assert problem.code == ProblemCode.DUPLICATE_CONNECTION
    assert problem.edge_index == 1


@pytest.mark.parametrize(
    ("node_type", "literals"),
    [
        ("number-compare", {"a": "1"}),
        ("number-compare", {"a": True}),
        ("number-compare", {"a": 10**400}),
        ("number-input", {"min": "1"}),
        ("output-text", {"value": 1}),
        ("boolean-and", {"a": "true"}),
    ],
)
def test_a_literal_that_does_not_fit_its_port_is_an_invalid_value(node_type, literals):
    problem = only_problem(workflow(node("n", node_type, **literals)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert problem.node_id == "n"
    assert f"'{next(iter(literals))}'" in problem.message


@pytest.mark.parametrize(
    ("node_type", "literals"),
    [
        ("addition", {"a": "1", "b": True}),
        ("sum", {"numbers": [1, "two"]}),
        ("text-input", {"value": 1}),
        ("conditional-fork", {"condition": "true"}),
        ("output-number", {"value": "42"}),
    ],
)
def test_a_literal_of_another_type_is_valid_where_the_node_type_reads_it_itself(
    node_type, literals
):
    valid = validate_workflow(workflow(node("n", node_type, **literals)), CATALOG)
    given = {p.name: p.value for p in valid.nodes[0].inputs}
    assert all(given[name] == value for name, value in literals.items())


def test_a_literal_nested_too_deeply_is_invalid_even_where_the_node_type_reads_it_itself():
    deep: list[object] = []
    for _ in range(100):
        deep = [deep]
    problem = only_problem(workflow(node("n", "addition", a=deep, b=1)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert "nested deeper" in problem.message


def test_a_literal_for_an_undeclared_port_is_an_invalid_value():
    problem = only_problem(workflow(node("n", "addition", c=1)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert "'c'" in problem.message


def test_every_problem_is_reported_together():
    raw = workflow(
        node("a", "number-compare", a="x"),
        node("a", "addition"),
        node("u", "unknown"),
        node("b", "addition"),
        node("j", "json-input"),
        node("t", "output-text"),
        edges=[
            edge("b.result", "b.a"),
            edge("b.result", "zz.a"),
            edge("j.json", "t.value"),
            edge("j.json", "t.value"),
        ],
    )
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(raw, CATALOG)
    codes = {p.code for p in raised.value.problems}
    assert codes == {
        ProblemCode.INVALID_VALUE,
        ProblemCode.DUPLICATE_NODE_ID,
        ProblemCode.UNKNOWN_NODE_TYPE,
        ProblemCode.CYCLE_DETECTED,
        ProblemCode.INVALID_CONNECTION,
        ProblemCode.TYPE_MISMATCH,
        ProblemCode.DUPLICATE_CONNECTION,
    }
    assert all(code in str(raised.value) for code in codes)


def test_a_required_input_without_value_or_edge_is_not_a_validation_problem():
    validate_workflow(workflow(node("a", "addition")), CATALOG)


def test_missing_ports_are_completed_from_the_catalog():
    valid = validate_workflow(
        workflow(node("n", "number-input"), node("add", "addition", b=2)), CATALOG
    )
    number_input, add = valid.nodes
    assert [(p.name, p.type, p.value, p.required) for p in number_input.inputs] == [
        ("value", T.NUMBER, 0, False),
        ("min", T.NUMBER, None, False),
        ("max", T.NUMBER, None, False),
        ("step", T.NUMBER, None, False),
        ("placeholder", T.STRING, None, False),
    ]
    assert [(p.name, p.type, p.value) for p in add.inputs] == [
        ("a", T.NUMBER, None),
        ("b", T.NUMBER, 2),
    ]
    assert [(p.name, p.type) for p in add.outputs] == [("result", T.NUMBER)]
    assert add.name == "add"


def test_the_catalog_decides_port_types_whatever_the_workflow_says():
    raw = workflow(node("add", "addition"))
    raw["nodes"][0]["inputs"] = [{"name": "a", "type": "string", "value": 1, "required": False}]
    (add,) = validate_workflow(raw, CATALOG).nodes
    assert (add.inputs[0].type, add.inputs[0].required, add.inputs[0].value) == (T.NUMBER, True, 1)


def test_dynamic_ports_are_accepted_by_number():
    valid = validate_workflow(
        workflow(
            node("t", "text-input", value="x"),
            node("cat", "string-concat", input_1="a", input_5="e"),
            node("sw", "switch-fork", value=1, selector="k", case_3="k"),
            edges=[edge("t.value", "cat.input_2")],
        ),
        CATALOG,
    )
    concat, switch = valid.nodes[1], valid.nodes[2]
    assert {"input_1", "input_5"} <= {p.name for p in concat.inputs}
    assert "case_3" in [p.name for p in switch.inputs]


def test_the_validated_workflow_keeps_declaration_order():
    raw = workflow(
        node("z", "output-number"),
        node("m", "addition", b=1),
        node("a", "number-input", value=1),
        edges=[edge("a.value", "m.a"), edge("m.result", "z.value")],
    )
    valid = validate_workflow(raw, CATALOG)
    assert isinstance(valid, Workflow)
    assert [n.id for n in valid.nodes] == ["z", "m", "a"]
    assert [(e.source, e.target) for e in valid.edges] == [("a", "m"), ("m", "z")]


VALID = validate_workflow(
    workflow(
        node("add", "number-compare"),
        node("j", "json-input"),
        node("s", "boolean-not"),
        node("sum", "sum"),
    ),
    CATALOG,
)


def test_valid_overrides_are_returned_as_given_like_the_literals_they_replace():
    # A json port's JSON text stays text: the executor parses it once, as it does a literal's
    # (returned parsed, it would be parsed again, and '"1"' would reach the node as 1).
    overrides = {
        "add": {"a": 1, "b": 2.5},
        "j": {"json": '{"k": "[1]"}'},
        "s": {"value": True},
        "sum": {"numbers": [1, 2]},
    }
    assert validate_overrides(VALID, overrides, CATALOG) == overrides


def test_validating_overrides_again_changes_nothing():
    # The API validates a run's overrides, then Initialize does again: no step may read them anew
    overrides = {"j": {"json": '"\\"1\\""'}}
    once = validate_overrides(VALID, overrides, CATALOG)
    assert validate_overrides(VALID, once, CATALOG) == once == overrides


def test_an_override_of_another_type_is_kept_as_given_where_the_node_reads_it_itself():
    overrides = {"sum": {"numbers": [1, "2"]}}
    assert validate_overrides(VALID, overrides, CATALOG) == overrides


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"ghost": {"a": 1}}, "ghost"),
        ({"add": {"c": 1}}, "'c'"),
        ({"add": {"a": "one"}}, "add.a"),
        ({"s": {"value": "yes"}}, "s.value"),
        ({"add": 5}, "add"),
        ([1, 2], "object"),
    ],
)
def test_bad_overrides_are_validation_errors(overrides, named):
    with pytest.raises(WorkflowValidationError) as raised:
        validate_overrides(VALID, overrides, CATALOG)
    (problem,) = raised.value.problems
    assert problem.code == ProblemCode.INVALID_VALUE
    assert named in problem.message


def test_every_bad_override_is_reported_together():
    with pytest.raises(WorkflowValidationError) as raised:
        validate_overrides(VALID, {"ghost": {}, "add": {"c": 1, "a": "x"}}, CATALOG)
    assert len(raised.value.problems) == 3


@pytest.mark.parametrize("digits", [10, 120])  # longer names are TOO_LONG
def test_a_dynamic_port_with_an_absurd_number_is_not_a_port(digits):
    problem = only_problem(workflow(node("cat", "string-concat", **{"input_" + "9" * digits: "x"})))
    assert problem.code == ProblemCode.INVALID_VALUE


@pytest.mark.parametrize(
    "text",
    [
        b"{not json",
        b'{"id": "w", "name": NaN}',
        b'{"id": "w", "value": 1e400}',
        b'{"id": "w", "value": 1%s}' % (b"0" * 400),
        b'{"id": "w", "value": [-%s]}' % (b"9" * 5000),
        b'{"id": "w", "name": "\\ud800"}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
    ids=[
        "malformed",
        "nan",
        "beyond-a-double",
        "integer-beyond-a-double",
        "integer-past-what-int-reads",
        "lone-surrogate",
        "not-utf8",
        "deeply-nested",
    ],
)
def test_workflow_text_that_no_store_could_hold_is_invalid_json(text):
    with pytest.raises(WorkflowValidationError) as raised:
        parse_workflow_json(text)
    assert [p.code for p in raised.value.problems] == [ProblemCode.INVALID_WORKFLOW]


def test_a_number_beyond_a_double_is_named_and_the_largest_ones_are_kept():
    with pytest.raises(WorkflowValidationError) as raised:
        parse_workflow_json(b'{"value": [1, -1.5e400]}')
    assert raised.value.problems[0].message == (
        "Not valid JSON: the number -1.5e400 is beyond the range of a number (at most about "
        "1.8e308)"
    )
    kept = parse_workflow_json(
        b'{"value": [1e308, -1.7976931348623157e308, 1e-400, %d, %d, %d]}'
        % (LARGEST_INTEGER, -LARGEST_INTEGER, 2**53 + 1)
    )
    assert kept == {
        "value": [1e308, -1.7976931348623157e308, 0.0, LARGEST_INTEGER, -LARGEST_INTEGER, 2**53 + 1]
    }
    assert type(kept["value"][3]) is int  # every digit kept


LARGEST_INTEGER = int(sys.float_info.max)  # 309 digits


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (b"%d" % (LARGEST_INTEGER + 1), str(LARGEST_INTEGER + 1)[:30] + "\u2026 (309 digits)"),
        (b"[1, -%d]" % 2**1100, "-" + str(2**1100)[:29] + "\u2026 (332 digits)"),
        (b"1%s" % (b"0" * 5000), "1" + "0" * 29 + "\u2026 (5001 digits)"),
    ],
    ids=["just-past-the-largest", "negative", "past-what-int-reads"],
)
def test_an_integer_beyond_a_double_is_named_as_a_decimal_beyond_one_is(text, named):
    # JSON gives no integer that JavaScript, DynamoDB or any other reader could hold beyond a
    # double's range: refused as 1e400 is, not a Python int that fails later where it meets
    # a float (OverflowError) or int()'s limit of 4,300 digits
    with pytest.raises(WorkflowValidationError) as raised:
        parse_workflow_json(b'{"value": %s}' % text)
    assert raised.value.problems[0].message == (
        f"Not valid JSON: the number {named} is beyond the range of a number (at most about "
        "1.8e308)"
    )


def test_digits_in_a_string_are_text_however_many():
    digits = "9" * 5000
    assert parse_workflow_json(b'{"name": "%s"}' % digits.encode()) == {"name": digits}


def test_a_surrogate_pair_escape_is_ordinary_text():
    assert parse_workflow_json(b'{"name": "\\ud83d\\ude00"}') == {"name": "\U0001f600"}


def test_an_input_listed_twice_on_a_node_is_a_duplicate_input():
    raw = node("n", "addition", a=1)
    raw["inputs"] += [{"name": "b", "value": 2}, {"name": "a", "value": 3}, {"name": "a"}]
    problem = only_problem(workflow(raw))
    assert problem.code == ProblemCode.DUPLICATE_INPUT
    assert problem.node_id == "n"
    assert problem.path == "nodes[0].inputs[2]"
    assert problem.message == "Node 'n' lists input 'a' more than once"


def test_an_output_listed_twice_on_a_node_is_a_duplicate_output():
    raw = {**node("n", "addition"), "outputs": [{"name": "result"}, {"name": "result"}]}
    problem = only_problem(workflow(node("m", "addition"), raw))
    assert problem.code == ProblemCode.DUPLICATE_OUTPUT
    assert problem.path == "nodes[1].outputs[1]"
    assert "'result'" in problem.message


def short_lived(*nodes: dict[str, Any], edges: list[dict[str, str]] | None = None) -> Any:
    return {**workflow(*nodes, edges=edges or []), "shortLived": True}


def test_a_fetch_timeout_above_what_its_task_allows_is_refused_naming_the_limit():
    validate_workflow(workflow(node("f", "fetch", url="https://x.test", timeout=290_000)), CATALOG)
    problem = only_problem(workflow(node("f", "fetch", url="https://x.test", timeout=400_000)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert problem.node_id == "f"
    assert problem.message == (
        "Node 'f' input 'timeout' is 400000 ms, more than the 290000 ms it may be "
        "(a fetch runs in a task that stops after 300 s)"
    )


def test_a_negative_or_too_long_wait_is_refused():
    negative = only_problem(workflow(node("w", "wait", seconds=-1)))
    assert negative.code == ProblemCode.INVALID_VALUE
    assert negative.message == "Node 'w' input 'seconds' cannot be negative, got -1"
    too_long = only_problem(workflow(node("w", "wait", seconds=40_000_000)))
    assert "more than the 31536000 s it may be" in too_long.message


def test_a_fetch_timeout_override_above_the_limit_stops_the_run_before_it_starts():
    valid = validate_workflow(workflow(node("f", "fetch", url="https://x.test")), CATALOG)
    with pytest.raises(WorkflowValidationError) as raised:
        validate_overrides(valid, {"f": {"timeout": 300_000}}, CATALOG)
    [problem] = raised.value.problems
    assert problem.code == ProblemCode.INVALID_VALUE
    assert "300000 ms, more than the 290000 ms" in problem.message


def test_a_short_lived_workflow_with_a_wait_past_express_limit_is_refused():
    validate_workflow({**short_lived(node("w", "wait", seconds=300))}, CATALOG)
    validate_workflow({**workflow(node("w", "wait", seconds=301)), "shortLived": False}, CATALOG)
    problem = only_problem(short_lived(node("w", "wait", seconds=301)))
    assert problem.code == ProblemCode.EXPRESS_DURATION_EXCEEDED
    assert problem.node_id == "w"
    assert problem.message == (
        "Node 'w' may take 301 s, more than the 300 s an Express state machine lets a "
        "short-lived workflow run; shorten it, or drop shortLived"
    )


def test_a_short_lived_workflow_whose_waits_and_timeouts_add_up_past_express_limit_is_refused():
    # on separate branches, yet a workflow with waits runs its nodes one after another
    waits = [node("w1", "wait", seconds=150), node("w2", "wait", seconds=100)]
    validate_workflow(short_lived(*waits, node("f", "fetch", url="https://x.test")), CATALOG)
    slow = node("f", "fetch", url="https://x.test", timeout=60_000)
    problem = only_problem(short_lived(*waits, slow, node("zero", "wait", seconds=0)))
    assert problem.code == ProblemCode.EXPRESS_DURATION_EXCEEDED
    assert problem.node_ids == ["w1", "w2", "f"]
    assert problem.message.startswith(
        "The waits and timeouts of nodes 'w1', 'w2', 'f' add up to 310 s (counted one after "
        "another), more than the 300 s an Express state machine lets a short-lived workflow run"
    )


def test_express_limit_counts_waits_in_whole_seconds_as_they_run():
    # 299.2 + 0.2 = 299.4 s of literals, but a wait rounds a fraction up: 300 + 1 s
    problem = only_problem(
        short_lived(node("a", "wait", seconds=299.2), node("b", "wait", seconds=0.2))
    )
    assert problem.code == ProblemCode.EXPRESS_DURATION_EXCEEDED
    assert "add up to 301 s" in problem.message


def test_a_wait_fed_by_an_edge_is_left_to_the_run_and_an_override_is_checked_before_it():
    fed = short_lived(
        node("n", "number-input", value=1000),
        node("w", "wait"),
        node("v", "wait", seconds=10),
        edges=[edge("n.value", "w.seconds")],
    )
    valid = validate_workflow(fed, CATALOG)
    validate_overrides(valid, {"v": {"seconds": 290}, "w": {"seconds": 5000}}, CATALOG)
    with pytest.raises(WorkflowValidationError) as raised:
        validate_overrides(valid, {"v": {"seconds": 301}}, CATALOG)
    [problem] = raised.value.problems
    assert problem.code == ProblemCode.EXPRESS_DURATION_EXCEEDED
    assert problem.node_id == "v"


def test_a_huge_duration_is_named_briefly():
    problem = only_problem(workflow(node("w", "wait", seconds=1e300)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert problem.message.startswith("Node 'w' input 'seconds' is 1e+300 s, more than the")


def test_a_lenient_input_takes_a_literal_of_any_type_for_its_node_to_judge():
    # `extract-item` answers "Index must be an integer" itself, as Dafthunk's node does.
    validate_workflow(workflow(node("x", "extract-item", values=[1], index="0")), CATALOG)
    problem = only_problem(workflow(node("x", "number-compare", a="0", b=1)))  # strict
    assert problem.code == ProblemCode.INVALID_VALUE


def test_a_lenient_input_still_refuses_a_value_nested_too_deep():
    deep: Any = 0
    for _ in range(70):
        deep = [deep]
    problem = only_problem(workflow(node("x", "extract-item", values=[1], index=deep)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert "nested deeper than 64 levels" in problem.message


BEYOND = "a number beyond the range of a number (at most about 1.8e308)"


@pytest.mark.parametrize(
    ("node_type", "literals", "port", "holds"),
    [
        ("json-input", {"json": {"a": [1, 2**1100]}}, "json", BEYOND),
        ("addition", {"a": -(2**1100), "b": 1.5}, "a", BEYOND),  # lenient: read by the node
        ("sum", {"numbers": [1, 2**1100]}, "numbers", BEYOND),  # repeated
        ("number-compare", {"a": 10**400}, "a", BEYOND),  # strict
        ("json-input", {"json": [math.inf]}, "json", BEYOND),
        ("number-input", {"value": -math.inf}, "value", BEYOND),
        ("json-input", {"json": {"a": math.nan}}, "json", "NaN, which is not valid JSON"),
    ],
)
def test_a_literal_holding_a_number_json_cannot_is_invalid_on_any_port(
    node_type, literals, port, holds
):
    # A workflow given as data rather than text (the engines' run(), a test) is refused where
    # its text would be: not run with an int that fails in a node with OverflowError, nor
    # with Infinity or NaN recorded as null
    problem = only_problem(workflow(node("n", node_type, **literals)))
    assert problem.code == ProblemCode.INVALID_VALUE
    assert problem.node_id == "n"
    assert problem.message == f"Node 'n' input '{port}' holds {holds}"


def test_the_largest_integers_a_double_holds_are_valid_literals():
    largest = int(sys.float_info.max)
    valid = validate_workflow(
        workflow(node("n", "json-input", json=[largest, -largest, 2**53 + 1])), CATALOG
    )
    assert valid.nodes[0].inputs[0].value == [largest, -largest, 2**53 + 1]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"j": {"json": [2**1100]}}, "j.json"),
        ({"add": {"a": -(2**1100)}}, "add.a"),
        ({"sum": {"numbers": [1, math.inf]}}, "sum.numbers"),
    ],
)
def test_an_override_holding_a_number_json_cannot_is_invalid(overrides, named):
    with pytest.raises(WorkflowValidationError) as raised:
        validate_overrides(VALID, overrides, CATALOG)
    (problem,) = raised.value.problems
    assert problem.code == ProblemCode.INVALID_VALUE
    assert problem.message == f"Input override {named} holds {BEYOND}"


def test_a_lenient_override_is_passed_as_given():
    valid = validate_workflow(workflow(node("x", "extract-item", values=[1])), CATALOG)
    assert validate_overrides(valid, {"x": {"index": "first"}}, CATALOG) == {
        "x": {"index": "first"}
    }
