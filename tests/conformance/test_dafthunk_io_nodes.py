"""Dafthunk's tests of its input and output nodes, every case, run as workflows."""

from __future__ import annotations

import pytest

from tests.conformance.ported import ABSENT, Case, check, completes, fails

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

COMPLEX = {
    "user": {
        "id": 123,
        "profile": {
            "name": "John Doe",
            "email": "john@example.com",
            "preferences": {"theme": "dark", "notifications": True},
        },
        "roles": ["admin", "user"],
        "metadata": {"created": "2023-01-01", "lastLogin": "2023-12-01"},
    },
    "settings": {"enabled": True, "timeout": 5000},
}
CODE = 'function greet(name) {\n  return "Hello, " + name + "!";\n}\nconsole.log(greet("World"));'
COMMENTED = (
    "// This is a complex JavaScript example\nconst calculateSum = (a, b) => {\n"
    "  // Add two numbers\n  return a + b;\n};\n\n// Test the function\n"
    'const result = calculateSum(5, 3);\nconsole.log("Result:", result); // Should output: 8'
)

INPUTS = [
    # number-input
    completes("returns the value with no constraints", "number-input", {"value": 42}, value=42),
    completes("handles decimal values", "number-input", {"value": 3.14}, value=3.14),
    completes("handles negative values", "number-input", {"value": -10}, value=-10),
    fails(
        "validates the minimum",
        "number-input",
        {"value": 5, "min": 10},
        "Value must be greater than or equal to 10",
    ),
    fails(
        "validates the maximum",
        "number-input",
        {"value": 15, "max": 10},
        "Value must be less than or equal to 10",
    ),
    completes(
        "accepts a value within range", "number-input", {"value": 7, "min": 5, "max": 10}, value=7
    ),
    completes("accepts the minimum", "number-input", {"value": 5, "min": 5}, value=5),
    completes("accepts the maximum", "number-input", {"value": 10, "max": 10}, value=10),
    completes("converts text holding a number", "number-input", {"value": "42"}, value=42),
    # text-input
    completes("passes the entered text through", "text-input", {"value": "hello"}, value="hello"),
    completes("accepts an empty string", "text-input", {"value": ""}, value=""),
    completes(
        "preserves multi-line text",
        "text-input",
        {"value": "line one\nline two"},
        value="line one\nline two",
    ),
    fails(
        "errors when the value is not a string",
        "text-input",
        {"value": 42},
        "Value must be a string",
    ),
    fails("errors when no value is provided", "text-input", {}, "Value must be a string"),
    # boolean-input
    completes("passes true through", "boolean-input", {"value": True}, value=True),
    completes("passes false through", "boolean-input", {"value": False}, value=False),
    completes('reads "true" as true', "boolean-input", {"value": "true"}, value=True),
    completes('reads "false" as false', "boolean-input", {"value": "false"}, value=False),
    completes("reads any other string as false", "boolean-input", {"value": "yes"}, value=False),
    completes("coerces a missing value to false", "boolean-input", {}, value=False),
    completes("coerces a non-zero number to true", "boolean-input", {"value": 1}, value=True),
    # json-input
    completes(
        "passes an object",
        "json-input",
        {"json": {"name": "John", "age": 30, "active": True}},
        json={"name": "John", "age": 30, "active": True},
    ),
    completes("passes an empty object", "json-input", {"json": {}}, json={}),
    completes(
        "passes an array",
        "json-input",
        {"json": [1, 2, 3, "test", {"nested": "value"}]},
        json=[1, 2, 3, "test", {"nested": "value"}],
    ),
    completes("passes a string", "json-input", {"json": "simple string"}, json="simple string"),
    fails("errors on null", "json-input", {"json": None}),
    fails("errors on undefined", "json-input", {}),
    completes("passes a nested object", "json-input", {"json": COMPLEX}, json=COMPLEX),
    # date-input
    completes(
        "passes an ISO timestamp through",
        "date-input",
        {"value": "2026-08-02T10:30:00.000Z"},
        value="2026-08-02T10:30:00.000Z",
    ),
    completes(
        "accepts a date-only string", "date-input", {"value": "2026-08-02"}, value="2026-08-02"
    ),
    fails(
        "errors on an unparseable date",
        "date-input",
        {"value": "not-a-date"},
        "Invalid date format",
    ),
    completes("gives an empty string without a value", "date-input", {}, value=""),
    completes("gives an empty string for an empty value", "date-input", {"value": ""}, value=""),
    # slider-input
    completes("gives min without a value", "slider-input", {}, value=0),
    completes("gives the value within range", "slider-input", {"value": 50}, value=50),
    completes(
        "constrains to the minimum", "slider-input", {"value": -10, "min": 0, "max": 100}, value=0
    ),
    completes(
        "constrains to the maximum", "slider-input", {"value": 150, "min": 0, "max": 100}, value=100
    ),
    completes(
        "rounds to the nearest step",
        "slider-input",
        {"value": 47, "min": 0, "max": 100, "step": 10},
        value=50,
    ),
    completes(
        "handles custom min, max and step",
        "slider-input",
        {"value": 7.5, "min": 0, "max": 10, "step": 0.5},
        value=7.5,
    ),
    completes(
        "converts text holding numbers",
        "slider-input",
        {"value": "75", "min": "0", "max": "100", "step": "5"},
        value=75,
    ),
    fails(
        "errors on a min that is no number",
        "slider-input",
        {"min": "invalid", "max": 100, "step": 1},
        "Invalid input parameters: min, max, and step must be numbers",
    ),
    fails(
        "errors when min is not below max",
        "slider-input",
        {"min": 10, "max": 5, "step": 1},
        "Min value must be less than max value",
    ),
    fails(
        "errors on a step of 0",
        "slider-input",
        {"min": 0, "max": 100, "step": 0},
        "Step value must be greater than 0",
    ),
    # javascript-input
    completes(
        "passes the editor's starting code",
        "javascript-input",
        {"javascript": "// Write your JavaScript code here"},
        javascript="// Write your JavaScript code here",
    ),
    completes("passes custom code", "javascript-input", {"javascript": CODE}, javascript=CODE),
    completes("passes an empty string", "javascript-input", {"javascript": ""}, javascript=""),
    completes("passes on nothing without a value", "javascript-input", {}, javascript=ABSENT),
    completes(
        "passes code with comments",
        "javascript-input",
        {"javascript": COMMENTED},
        javascript=COMMENTED,
    ),
    # secret-input
    completes(
        "passes the secret's name through",
        "secret-input",
        {"value": "OPENAI_KEY"},
        value="OPENAI_KEY",
    ),
    fails("errors when no secret is selected", "secret-input", {}, "No secret selected"),
    fails("errors on an empty selection", "secret-input", {"value": ""}, "No secret selected"),
]

OUTPUTS = [
    # output-text
    completes("displays the text", "output-text", {"value": "hello"}, displayValue="hello"),
    completes("displays '' when nothing is connected", "output-text", {}, displayValue=""),
    completes(
        "preserves multi-line text",
        "output-text",
        {"value": "first\nsecond"},
        displayValue="first\nsecond",
    ),
    # output-number
    completes("displays the number", "output-number", {"value": 42}, displayValue=42),
    completes("displays zero", "output-number", {"value": 0}, displayValue=0),
    completes("displays a fraction", "output-number", {"value": -3.5}, displayValue=-3.5),
    completes("falls back to zero", "output-number", {}, displayValue=0),
    fails("errors on text", "output-number", {"value": "42"}, "Value must be a number"),
    # output-boolean
    completes("displays true", "output-boolean", {"value": True}, displayValue=True),
    completes("displays false", "output-boolean", {"value": False}, displayValue=False),
    completes("falls back to false", "output-boolean", {}, displayValue=False),
    fails("errors on text", "output-boolean", {"value": "true"}, "Value must be a boolean"),
    # output-json
    completes(
        "displays an object",
        "output-json",
        {"value": {"name": "dafthunk", "count": 3}},
        displayValue={"name": "dafthunk", "count": 3},
    ),
    completes("displays an array", "output-json", {"value": [1, 2, 3]}, displayValue=[1, 2, 3]),
    completes(
        "displays nested structures",
        "output-json",
        {"value": {"a": {"b": [{"c": None}]}}},
        displayValue={"a": {"b": [{"c": None}]}},
    ),
    completes("falls back to {}", "output-json", {}, displayValue={}),
    # output-any
    completes("displays a string", "output-any", {"value": "hello"}, displayValue="hello"),
    completes("displays a number", "output-any", {"value": 7}, displayValue=7),
    completes("displays an object", "output-any", {"value": {"a": 1}}, displayValue={"a": 1}),
    completes(
        "displays a blob reference",
        "output-any",
        {"value": {"id": "b1", "mimeType": "image/png"}},
        displayValue={"id": "b1", "mimeType": "image/png"},
    ),
    completes("shows nothing when nothing is connected", "output-any", {}, displayValue=ABSENT),
    # output-date
    completes(
        "displays the timestamp",
        "output-date",
        {"value": "2026-08-02T10:30:00.000Z"},
        displayValue="2026-08-02T10:30:00.000Z",
    ),
    fails(
        "errors on a number",
        "output-date",
        {"value": 1754130600000},
        "Value must be an ISO 8601 date string",
    ),
    # output-secret
    completes(
        "displays the secret's name",
        "output-secret",
        {"value": "OPENAI_KEY"},
        displayValue="OPENAI_KEY",
    ),
    completes("falls back to ''", "output-secret", {}, displayValue=""),
    fails(
        "errors on a number",
        "output-secret",
        {"value": 123},
        "Value must be a secret name reference",
    ),
]


@pytest.mark.parametrize("case", INPUTS)
def test_input_nodes_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


@pytest.mark.parametrize("case", OUTPUTS)
def test_output_nodes_as_dafthunks_tests_expect(engine, case: Case) -> None:
    check(engine, case)


def test_a_date_output_with_nothing_connected_shows_the_time_it_runs(engine) -> None:
    from datetime import datetime

    result = engine.run({"id": "w", "name": "w", "nodes": [{"id": "it", "type": "output-date"}]})
    shown = result.output("it", "displayValue")
    assert datetime.fromisoformat(shown).year >= 2025
