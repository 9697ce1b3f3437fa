"""Dafthunk's tests of its fork and join nodes, every case, run as workflows."""

from __future__ import annotations

import pytest

from tests.conformance.ported import ABSENT, Case, check, completes, fails

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

COMPLEX = {"message": "complex data", "count": 42, "items": [1, 2, 3]}
PAYLOAD = {"id": 7, "items": [1, 2, 3]}

CASES = [
    # conditional-fork
    completes(
        "outputs to 'true' when the condition is true",
        "conditional-fork",
        {"condition": True, "value": "hello from true"},
        true="hello from true",
        false=ABSENT,
    ),
    completes(
        "outputs to 'false' when the condition is false",
        "conditional-fork",
        {"condition": False, "value": "hello from false"},
        false="hello from false",
        true=ABSENT,
    ),
    completes(
        "passes complex data",
        "conditional-fork",
        {"condition": True, "value": COMPLEX},
        true=COMPLEX,
        false=ABSENT,
    ),
    fails(
        "errors when the condition is not a boolean",
        "conditional-fork",
        {"condition": "not a boolean", "value": "some value"},
    ),
    fails(
        "errors when the value is undefined",
        "conditional-fork",
        {"condition": True},
        None,
        "Value input is required.",
    ),
    # conditional-join
    completes(
        "outputs 'true' when only it is given",
        "conditional-join",
        {"true": "hello from true"},
        result="hello from true",
    ),
    completes(
        "outputs 'false' when only it is given",
        "conditional-join",
        {"false": "hello from false"},
        result="hello from false",
    ),
    completes("passes complex data", "conditional-join", {"true": COMPLEX}, result=COMPLEX),
    fails(
        "errors when both inputs are given",
        "conditional-join",
        {"true": "hello from true", "false": "hello from false"},
        None,
        "both 'true' and 'false' were provided",
        "exclusive join condition",
    ),
    fails(
        "errors when no input is given",
        "conditional-join",
        {},
        None,
        "neither 'true' nor 'false' was provided",
        "error in the workflow design",
    ),
    completes("passes on false", "conditional-join", {"true": False}, result=False),
    completes("passes on 0", "conditional-join", {"true": 0}, result=0),
    completes("passes on ''", "conditional-join", {"true": ""}, result=""),
    completes("passes on null", "conditional-join", {"true": None}, result=None),
    # switch-fork
    completes(
        "routes the value to the matching case",
        "switch-fork",
        {
            "selector": "b",
            "value": {"payload": "anything"},
            "case_1": "a",
            "case_2": "b",
            "case_3": "c",
        },
        case_2={"payload": "anything"},
        case_1=ABSENT,
        case_3=ABSENT,
        default=ABSENT,
    ),
    completes(
        "takes the first matching case",
        "switch-fork",
        {"selector": "x", "value": 1, "case_1": "x", "case_2": "x", "case_3": "y"},
        case_1=1,
        case_2=ABSENT,
    ),
    completes(
        "falls through to default",
        "switch-fork",
        {"selector": "z", "value": "payload", "case_1": "a", "case_2": "b"},
        default="payload",
        case_1=ABSENT,
        case_2=ABSENT,
    ),
    completes(
        "compares strictly",
        "switch-fork",
        {"selector": "42", "value": "payload", "case_1": "10", "case_2": "42"},
        case_2="payload",
    ),
    fails(
        "errors when the selector is not a string",
        "switch-fork",
        {"selector": 42, "value": "payload", "case_1": "10", "case_2": "42"},
        None,
        "Selector must be a string.",
    ),
    fails(
        "errors when the value is undefined",
        "switch-fork",
        {"selector": "a", "case_1": "a", "case_2": "b"},
        None,
        "Value input is required.",
    ),
    completes(
        "ignores undefined case keys",
        "switch-fork",
        {"selector": "c", "value": "payload", "case_3": "c"},
        case_3="payload",
    ),
    # switch-join
    completes(
        "passes on the one case that arrived", "switch-join", {"case_2": "from b"}, result="from b"
    ),
    completes(
        "passes on the default branch", "switch-join", {"default": "fallback"}, result="fallback"
    ),
    completes("preserves complex objects", "switch-join", {"case_1": PAYLOAD}, result=PAYLOAD),
    fails("errors when no input is given", "switch-join", {}, None, "none was provided"),
    fails(
        "errors when several inputs are given",
        "switch-join",
        {"case_1": "a", "case_2": "b"},
        None,
        "multiple were provided",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_forks_and_joins_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


def test_a_conditional_join_given_null_passes_on_null(engine) -> None:
    check(engine, Case("null", "conditional-join", {"true": None}, outputs={"result": None}))
