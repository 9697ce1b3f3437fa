"""Input/output, math and logic nodes on good and bad input, as a user sees them run."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow

LARGEST = int(sys.float_info.max)  # the largest integer a double holds (309 digits)
BIG = "1" + "0" * 400  # an integer's text beyond a double: Infinity to JavaScript's Number()


def run_one(engine, node_type: str, **literals: Any):
    """Run a workflow of one node of `node_type`, given `literals`."""
    return engine.run(workflow(node("it", node_type, **literals)))


@pytest.mark.parametrize(
    ("node_type", "port", "value"),
    [
        ("number-input", "value", 2.5),
        ("text-input", "value", "héllo"),
        ("boolean-input", "value", True),
        ("json-input", "json", {"a": [1, None, "x"]}),
    ],
)
def test_input_nodes_give_their_literal(engine, node_type, port, value):
    assert run_one(engine, node_type, **{port: value}).output("it", port) == value


@pytest.mark.parametrize(
    ("node_type", "port", "default"),
    [
        ("number-input", "value", 0),
        ("boolean-input", "value", False),
        ("date-input", "value", ""),
        ("slider-input", "value", 0),
    ],
)
def test_input_nodes_without_a_literal_give_their_default(engine, node_type, port, default):
    assert run_one(engine, node_type).output("it", port) == default


@pytest.mark.parametrize(
    ("node_type", "message"),
    [
        ("text-input", "Value must be a string"),
        ("json-input", "No JSON value provided"),
        ("secret-input", "No secret selected"),
    ],
)
def test_input_nodes_that_need_a_value_fail_without_one(engine, node_type, message):
    assert run_one(engine, node_type).error("it") == message


def test_a_text_input_without_a_literal_takes_its_per_run_value(engine):
    result = engine.run(workflow(node("it", "text-input")), inputs={"it": {"value": "hi"}})
    assert result.output("it", "value") == "hi"


def test_a_number_input_reads_a_per_run_text_as_a_number_within_its_bounds(engine):
    flow = workflow(node("it", "number-input", min=1, max=10))
    assert engine.run(flow, inputs={"it": {"value": "7"}}).output("it", "value") == 7
    too_big = engine.run(flow, inputs={"it": {"value": 11}})
    assert too_big.error("it") == "Value must be less than or equal to 10"
    assert engine.run(flow, inputs={"it": {"value": "seven"}}).error("it") == (
        "Value must be a number"
    )


# Number() reads ASCII digits only: digits of other scripts are NaN in JavaScript
OTHER_SCRIPTS_DIGITS = [
    "\u0661",  # ARABIC-INDIC DIGIT ONE
    "\uff17",  # FULLWIDTH DIGIT SEVEN
    "1\u0966",  # 1 and DEVANAGARI DIGIT ZERO
    "1e\u0662",
]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e400", "The result is not a finite number"),  # Infinity, as JavaScript reads it
        ("1" + "0" * 400, "The result is not a finite number"),  # so is this integer
        (str(LARGEST + 1), "The result is not a finite number"),
        ("1" + "0" * 5000, "The result is not a finite number"),  # past what int() reads
        ("-" + "9" * 5000, "The result is not a finite number"),
    ],
)
def test_a_number_input_refuses_text_beyond_a_double(engine, text, message):
    assert run_one(engine, "number-input", value=text).error("it") == message


def test_a_number_input_reads_the_largest_integer_a_double_holds_exactly(engine):
    assert run_one(engine, "number-input", value=f" {LARGEST} ").output("it", "value") == LARGEST


@pytest.mark.parametrize("text", OTHER_SCRIPTS_DIGITS)
def test_a_number_input_refuses_digits_of_other_scripts_as_javascripts_number_does(engine, text):
    assert run_one(engine, "number-input", value=text).error("it") == "Value must be a number"


def test_a_secret_input_passes_on_the_name_never_the_secret(engine):
    result = engine.run(
        workflow(
            node("name", "secret-input", value="API_KEY"),
            node("out", "output-secret"),
            edges=[edge("name.value", "out.value")],
        ),
        secrets={"API_KEY": "s3cr3t-plaintext"},
    )
    assert result.output("out", "displayValue") == "API_KEY"
    assert "s3cr3t-plaintext" not in json.dumps(result.record)


def test_input_node_value_can_be_overridden_per_run(engine):
    result = engine.run(workflow(node("it", "number-input", value=1)), inputs={"it": {"value": 7}})
    assert result.output("it", "value") == 7


def test_json_input_given_json_text_gives_the_parsed_value(engine):
    assert run_one(engine, "json-input", json='{"k": [1, 2]}').output("it", "json") == {"k": [1, 2]}


@pytest.mark.parametrize(
    ("source", "port", "value", "output"),
    [
        ("text-input", "value", "hi", "output-text"),
        ("number-input", "value", -3, "output-number"),
        ("boolean-input", "value", False, "output-boolean"),
        ("json-input", "json", [1, {"b": 2}], "output-json"),
        ("number-input", "value", 9, "output-any"),
        ("json-input", "json", {"deep": {"x": None}}, "output-any"),
    ],
)
def test_output_nodes_show_what_they_receive(engine, source, port, value, output):
    result = engine.run(
        workflow(
            node("src", source, **{port: value}),
            node("out", output),
            edges=[edge(f"src.{port}", "out.value")],
        )
    )
    assert result.output("out", "displayValue") == value


@pytest.mark.parametrize(
    ("node_type", "empty"),
    [
        ("output-text", ""),
        ("output-number", 0),
        ("output-boolean", False),
        ("output-json", {}),
    ],
)
def test_an_output_node_with_nothing_to_show_shows_its_types_empty_value(engine, node_type, empty):
    result = run_one(engine, node_type)
    assert result.node("it")["status"] == "completed"
    assert result.output("it", "displayValue") == empty
    assert json.dumps(result.output("it", "displayValue")) == json.dumps(empty)


def test_an_any_output_with_nothing_to_show_completes_showing_nothing(engine):
    result = run_one(engine, "output-any")
    assert result.node("it")["status"] == "completed"
    assert result.node("it").get("outputs", {}) == {}


def test_output_node_given_the_wrong_type_at_run_time_fails(engine):
    result = engine.run(
        workflow(
            node("src", "number-input", value=5),
            node("any", "output-any"),
            node("out", "output-text"),
            edges=[edge("src.value", "any.value"), edge("any.displayValue", "out.value")],
        )
    )
    assert result.error("out") == "Input 'value' expected a string, got number"


@pytest.mark.parametrize(
    ("node_type", "a", "b", "expected"),
    [
        ("addition", 2, 3, 5),
        ("addition", 0.5, 0.25, 0.75),
        ("addition", -2, 2, 0),
        ("subtraction", 2, 5, -3),
        ("subtraction", 1.5, 0.5, 1),
        ("multiplication", 2.5, 4, 10),
        ("multiplication", -3, 3, -9),
        ("division", 6, 3, 2),
        ("division", 7, 2, 3.5),
        ("division", -1, 4, -0.25),
        ("modulo", 7, 3, 1),
        ("modulo", -7, 3, -1),
        ("modulo", 7, -3, 1),
        ("modulo", -7, -3, -1),
        ("modulo", 5.5, 2, 1.5),
        ("modulo", -5.5, 2, -1.5),
    ],
)
def test_arithmetic_nodes_compute_their_result(engine, node_type, a, b, expected):
    result = run_one(engine, node_type, a=a, b=b).output("it")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("node_type", ["division", "modulo"])
@pytest.mark.parametrize("zero", [0, 0.0])
def test_division_and_modulo_by_zero_fail(engine, node_type, zero):
    result = run_one(engine, node_type, a=1, b=zero)
    assert result.error("it") == "Division by zero is not allowed"
    assert result.status == "error"


@pytest.mark.parametrize(
    ("base", "exponent", "expected"),
    [(2, 10, 1024), (2, -1, 0.5), (4, 0.5, 2), (-2, 3, -8), (0, 0, 1), (9, 0.5, 3), (1.5, 2, 2.25)],
)
def test_exponentiation_computes_the_power(engine, base, exponent, expected):
    result = run_one(engine, "exponentiation", base=base, exponent=exponent).output("it")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("base", "exponent", "message"),
    [
        (-8, 1 / 3, "The result is not a real number"),
        (0, -1, "Zero cannot be raised to a negative power"),
        (10.0, 400, "The result is too large"),
        (10, 400, "The result is too large"),
        (3, 100_000_000, "The result is too large"),
    ],
)
def test_exponentiation_without_a_real_finite_result_fails(engine, base, exponent, message):
    assert run_one(engine, "exponentiation", base=base, exponent=exponent).error("it") == message


@pytest.mark.parametrize(
    ("base", "exponent"),
    [(1, "Infinity"), (1, "-Infinity"), (-1, "Infinity"), (1, "1e400"), (1, BIG), (2, BIG)],
)
def test_exponentiation_to_an_infinite_power_fails_where_javascript_gives_nan_or_infinity(
    engine, base, exponent
):
    # Math.pow(1, Infinity) and Math.pow(-1, Infinity) are NaN (Python's ** gives 1)
    result = run_one(engine, "exponentiation", base=base, exponent=exponent)
    assert result.error("it") == "The result is not a finite number"


@pytest.mark.parametrize(
    ("base", "exponent"), [(0.5, "Infinity"), (2, "-Infinity"), (3, "-" + BIG)]
)
def test_exponentiation_to_an_infinite_power_that_tends_to_zero_is_zero(engine, base, exponent):
    assert run_one(engine, "exponentiation", base=base, exponent=exponent).output("it") == 0


def test_arithmetic_overflow_fails_the_node(engine):
    assert "too large" in run_one(engine, "multiplication", a=10**200, b=10**200).error("it")
    assert run_one(engine, "multiplication", a=1e200, b=1e200).status == "error"


@pytest.mark.parametrize(("value", "expected"), [(9, 3), (0, 0), (2.25, 1.5), (2, 2**0.5)])
def test_square_root(engine, value, expected):
    assert run_one(engine, "square-root", value=value).output("it") == expected


def test_square_root_of_a_negative_number_fails(engine):
    assert "negative" in run_one(engine, "square-root", value=-1).error("it")


@pytest.mark.parametrize(("value", "expected"), [(-3, 3), (3, 3), (-2.5, 2.5), (0, 0)])
def test_absolute_value(engine, value, expected):
    assert run_one(engine, "absolute-value", value=value).output("it") == expected


@pytest.mark.parametrize(
    ("node_type", "numbers", "expected"),
    [
        ("sum", [1, 2, 3.5], 6.5),
        ("sum", [0.1, 0.2, 0.3], 0.6),
        ("sum", [], 0),
        ("avg", [1, 2], 1.5),
        ("avg", [2, 4, 6], 4),
        ("max", [3, -1, 7.5, 2], 7.5),
        ("min", [3, -1, 7.5, 2], -1),
        ("median", [3, 1, 2], 2),
        ("median", [4, 1, 3, 2], 2.5),
        ("median", [5], 5),
    ],
)
def test_aggregates_compute_their_result(engine, node_type, numbers, expected):
    assert run_one(engine, node_type, numbers=numbers).output("it") == expected


@pytest.mark.parametrize(
    ("node_type", "message"),
    [
        ("avg", "Cannot calculate average of empty array"),
        ("max", "Cannot find maximum of empty array"),
        ("min", "Cannot find minimum of empty array"),
        ("median", "Cannot calculate median of empty array"),
    ],
)
def test_aggregates_of_no_numbers_fail(engine, node_type, message):
    assert run_one(engine, node_type, numbers=[]).error("it") == message


@pytest.mark.parametrize(
    ("node_type", "literals"),
    [
        ("number-compare", {"a": "1", "b": 2}),
        ("number-compare", {"a": 10**400, "b": 2}),
        ("boolean-and", {"a": "true", "b": True}),
        ("boolean-not", {"value": 1}),
        ("number-input", {"min": "1"}),
        ("output-text", {"value": 3}),
        ("switch-fork", {"value": 1, "selector": "k", "case_1": 2}),
    ],
)
def test_a_literal_of_the_wrong_type_is_a_validation_error(engine, node_type, literals):
    result = run_one(engine, node_type, **literals)
    assert result.status == "error"
    assert "INVALID_VALUE" in result.record["error"]
    assert not any(e["status"] == "completed" for e in result.record["nodeExecutions"])


@pytest.mark.parametrize(
    ("node_type", "literals", "message"),
    [
        ("addition", {"a": "one", "b": 2}, "Both inputs must be numbers"),
        ("square-root", {"value": {"v": 4}}, "Input must be a number"),
        ("sum", {"numbers": [1, [2, 3]]}, "Invalid input at position 1"),
        ("conditional-fork", {"value": 1, "condition": "yes"}, "Condition must be a boolean."),
        ("switch-fork", {"value": 1, "selector": 2}, "Selector must be a string."),
        ("output-number", {"value": True}, "Value must be a number"),
    ],
)
def test_a_literal_of_another_type_is_the_nodes_to_refuse_when_it_reads_it_itself(
    engine, node_type, literals, message
):
    result = run_one(engine, node_type, **literals)
    assert result.node("it")["status"] == "error"
    assert result.error("it").startswith(message)


def test_a_string_arriving_at_a_number_input_fails_the_node(engine):
    result = engine.run(
        workflow(
            node("text", "text-input", value="twelve"),
            node("any", "output-any"),
            node("compare", "number-compare", b=1),
            node("add", "addition", b=1),
            edges=[
                edge("text.value", "any.value"),
                edge("any.displayValue", "compare.a"),
                edge("any.displayValue", "add.a"),
            ],
        )
    )
    assert result.error("compare") == "Input 'a' expected a number, got string"
    assert result.error("add") == "Both inputs must be numbers"


@pytest.mark.parametrize(("condition", "port"), [(True, "true"), (False, "false")])
def test_conditional_fork_produces_only_the_output_taken(engine, condition, port):
    result = run_one(engine, "conditional-fork", value={"v": 1}, condition=condition)
    assert result.node("it")["outputs"] == {port: {"v": 1}}


@pytest.mark.parametrize("port", ["true", "false"])
def test_conditional_join_passes_on_the_one_value_given(engine, port):
    assert run_one(engine, "conditional-join", **{port: "x"}).output("it") == "x"


def switch_workflow(selector: str) -> dict[str, Any]:
    """A switch on `selector` with cases "a" and "b", each branch doubling, then a join."""
    return workflow(
        node("n", "number-input", value=21),
        node("switch", "switch-fork", selector=selector, case_1="a", case_2="b"),
        node("one", "multiplication", b=1),
        node("two", "multiplication", b=2),
        node("other", "multiplication", b=-1),
        node("join", "switch-join"),
        edges=[
            edge("n.value", "switch.value"),
            edge("switch.case_1", "one.a"),
            edge("switch.case_2", "two.a"),
            edge("switch.default", "other.a"),
            edge("one.result", "join.case_1"),
            edge("two.result", "join.case_2"),
            edge("other.result", "join.default"),
        ],
    )


@pytest.mark.parametrize(
    ("selector", "taken", "port", "value"),
    [("a", "one", "case_1", 21), ("b", "two", "case_2", 42), ("zzz", "other", "default", -21)],
)
def test_switch_takes_the_matching_case_or_default(engine, selector, taken, port, value):
    result = engine.run(switch_workflow(selector))
    assert result.status == "completed"
    assert result.node("switch")["outputs"] == {port: 21}
    assert result.output("join") == value
    for branch in {"one", "two", "other"} - {taken}:
        assert result.node(branch)["status"] == "skipped"
        assert result.node(branch)["skipReason"] == "conditional_branch"
        assert result.node(branch)["blockedBy"] == ["switch"]


def test_switch_fork_takes_the_first_matching_case(engine):
    result = run_one(
        engine, "switch-fork", value=1, selector="k", case_1="x", case_2="k", case_3="k"
    )
    assert result.node("it")["outputs"] == {"case_2": 1}


def test_switch_fork_orders_its_cases_by_number_not_as_text(engine):
    # As text, "case_10" sorts before "case_2": the lower number must still win.
    result = run_one(engine, "switch-fork", value=1, selector="k", case_10="k", case_2="k")
    assert result.node("it")["outputs"] == {"case_2": 1}


def test_switch_join_given_several_branches_fails(engine):
    result = run_one(engine, "switch-join", case_1=1, default=2)
    assert "multiple were provided (default, case_1)" in result.error("it")


def test_switch_join_given_no_branch_fails(engine):
    assert "none was provided" in run_one(engine, "switch-join").error("it")


def test_a_switch_case_can_be_added_by_a_per_run_override(engine):
    result = engine.run(
        workflow(node("it", "switch-fork", value=1, selector="k", case_1="x")),
        inputs={"it": {"case_2": "k"}},
    )
    assert result.node("it")["outputs"] == {"case_2": 1}


def test_the_text_null_passes_through_a_fork_as_text(engine):
    result = engine.run(
        workflow(
            node("text", "text-input", value="null"),
            node("fork", "conditional-fork", condition=True),
            node("out", "output-text"),
            edges=[edge("text.value", "fork.value"), edge("fork.true", "out.value")],
        )
    )
    assert result.output("out", "displayValue") == "null"


# Keys a state machine definition would read as paths ("a.$"), and keys that look escaped.
PATH_LIKE_KEYS = {"a.$": 1, "b.$~": {"c.$": [{"d.$": "$.execution"}]}, "e": "f.$"}


@pytest.mark.parametrize("value", [{"a.$": 1}, PATH_LIKE_KEYS], ids=["simple", "nested"])
@pytest.mark.parametrize("given", ["literal", "override"])
def test_json_keys_ending_in_dollar_reach_the_node_as_written(engine, value, given):
    literal = {"json": value} if given == "literal" else {}
    inputs = {"src": {"json": value}} if given == "override" else None
    result = engine.run(
        workflow(
            node("src", "json-input", **literal),
            node("out", "output-json"),
            edges=[edge("src.json", "out.value")],
        ),
        inputs=inputs,
    )
    assert result.status == "completed"
    assert result.output("src", "json") == value
    assert result.output("out", "displayValue") == value


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (" 12 ", "0x10", 28),
        (True, "", 1),
        ("1e3", "-.5", 999.5),
        ("9007199254740993", 0, 9007199254740993),
        ([], ["4"], 4),
    ],
)
def test_arithmetic_reads_text_and_booleans_as_javascripts_number_does(engine, a, b, expected):
    result = run_one(engine, "addition", a=a, b=b).output("it")
    assert json.dumps(result) == json.dumps(expected)


@pytest.mark.parametrize(
    ("a", "message"),
    [
        ("1_000", "Both inputs must be numbers"),
        ("0x", "Both inputs must be numbers"),
        ("12px", "Both inputs must be numbers"),
        ({"n": 1}, "Both inputs must be numbers"),
        ("\u0661", "Both inputs must be numbers"),  # ARABIC-INDIC DIGIT ONE: NaN
        ("\uff11.5", "Both inputs must be numbers"),  # FULLWIDTH DIGIT ONE
        ("Infinity", "The result is not a finite number"),
    ],
)
def test_arithmetic_refuses_what_javascripts_number_reads_as_nan_or_infinity(engine, a, message):
    assert run_one(engine, "addition", a=a, b=1).error("it") == message


def test_a_null_joined_reaches_the_next_node_as_no_value(engine):
    result = engine.run(
        workflow(
            node("join", "conditional-join", true=None),
            node("out", "output-any"),
            node("text", "output-text"),
            edges=[edge("join.result", "out.value"), edge("join.result", "text.value")],
        )
    )
    assert result.status == "completed"
    assert result.node("join")["outputs"] == {"result": None}
    assert result.node("out").get("outputs", {}) == {}
    assert result.output("text", "displayValue") == ""


def test_a_null_literal_is_no_value_where_the_node_type_does_not_take_null(engine):
    assert (
        run_one(engine, "switch-join", default=None)
        .error("it")
        .startswith("SwitchJoin node requires exactly one input, but none was provided")
    )
    assert (
        run_one(engine, "conditional-join")
        .error("it")
        .startswith("ConditionalJoin node requires exactly one input, but neither")
    )


@pytest.mark.parametrize(
    ("node_type", "a", "b", "expected"),
    [
        ("modulo", "1e400", 3, None),  # Infinity % 3 is NaN in JavaScript
        ("modulo", "-1e400", 3, None),
        ("modulo", 3, "1e400", 3),  # 3 % Infinity is 3
        ("addition", "1e400", 1, None),
        # more digits than Python's int() reads (4300): Infinity too
        ("addition", "1" + "0" * 5000, 1, None),
        ("addition", "0" * 5000 + "9007199254740993", 1, 9007199254740994),  # exact still
        # an integer's text beyond a double is Infinity too, not an int meeting a float in
        # Python (OverflowError: int too large to convert to float)
        ("addition", BIG, 1.5, None),
        ("addition", BIG, 1, None),
        ("subtraction", BIG, BIG, None),  # Infinity - Infinity is NaN
        ("multiplication", BIG, 0.5, None),
        ("multiplication", "-" + BIG, 0, None),  # -Infinity * 0 is NaN
        ("division", BIG, 3, None),
        ("division", 1.5, BIG, 0),
        ("division", 1, "-" + BIG, 0),
        ("modulo", BIG, 3, None),  # Infinity % 3 is NaN
        ("modulo", 3, BIG, 3),
        ("addition", str(LARGEST), str(-LARGEST), 0),  # the largest integers stay exact
    ],
)
def test_an_operand_read_from_text_as_infinity_gives_a_result_or_says_it_is_not_finite(
    engine, node_type, a, b, expected
):
    result = run_one(engine, node_type, a=a, b=b)
    if expected is None:
        assert result.error("it") == "The result is not a finite number"
    else:
        assert result.output("it") == expected


@pytest.mark.parametrize(
    ("node_type", "numbers"),
    [
        ("sum", ["Infinity", "-Infinity"]),  # NaN in JavaScript
        ("sum", ["-1e400", 1.5]),  # -Infinity
        ("avg", ["Infinity", "-Infinity"]),
        ("avg", ["1e400", 2]),
        ("median", ["Infinity", "-Infinity"]),
    ],
)
def test_an_aggregate_of_infinities_read_from_text_says_it_is_not_finite(
    engine, node_type, numbers
):
    result = run_one(engine, node_type, numbers=numbers)
    assert result.error("it") == "The result is not a finite number"


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"value": "1e400"}, 100),  # Infinity, held to max as Dafthunk's slider holds it
        ({"value": "-1e400"}, 0),
        ({"value": "1e400", "max": "1e400"}, None),
        ({"value": BIG}, 100),
        ({"value": "-" + BIG}, 0),
    ],
)
def test_a_slider_value_read_from_text_as_infinity_is_held_to_its_range(engine, literals, expected):
    result = run_one(engine, "slider-input", **literals)
    if expected is None:
        assert result.error("it") == "The result is not a finite number"
    else:
        assert result.output("it", "value") == expected


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"min": -LARGEST, "max": LARGEST, "value": LARGEST}, LARGEST),
        ({"min": -LARGEST, "max": LARGEST, "value": LARGEST - 1, "step": 0.5}, LARGEST),
        ({"min": -LARGEST, "max": LARGEST, "value": 0}, 0),  # (0 - min) / 1 is max
    ],
    ids=["at-max", "by-half-steps", "zero"],
)
def test_a_slider_over_a_range_wider_than_a_double_holds_its_value_as_javascript_does(
    engine, literals, expected
):
    # value - min is Infinity in JavaScript (held to max); with exact integers Python raised
    # OverflowError
    assert run_one(engine, "slider-input", **literals).output("it", "value") == expected
