"""A wait-for-form node compiles as a wait-for-event node does, its timeout a week unless
given (bounded as a wait-for-event node's), refused in a short-lived workflow; a form's
schema checks an answer (JSON, or a browser's post read by field type); its page shows
what it asks, escaped."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.handlers.api.form_pages import form_page
from lambdas.nodes import default_registry
from lambdas.runtime.errors import NodeError
from lambdas.runtime.forms import Form, form_key, form_url, new_token
from lambdas.runtime.schema_fields import answer_problems, form_fields, posted_answer
from statemachine.compiler import compile_workflow
from statemachine.errors import WorkflowValidationError
from statemachine.event_waits import DEFAULT_FORM_WAIT_SECONDS
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import EXPENSE_SCHEMA, expense_form

CATALOG = default_registry().catalog
FIELDS = form_fields(EXPENSE_SCHEMA)


def problems_of(raw: dict[str, Any]) -> list[ValidationProblem]:
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(raw, CATALOG)
    return raised.value.problems


def test_the_form_wait_is_a_task_token_task_of_a_week_unless_given() -> None:
    states = compile_workflow(validate_workflow(expense_form(), CATALOG), CATALOG, FUNCTIONS)[
        "States"
    ]

    waits = states["Wait for form review"]
    assert waits["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert waits["TimeoutSeconds"] == DEFAULT_FORM_WAIT_SECONDS == 604_800
    assert waits["Next"] == "Resume after form review"
    assert waits["Catch"][0]["Next"] == "Resume after form review"
    assert states["Run node form"]["Next"] == "Wait for form review"
    given = compile_workflow(validate_workflow(expense_form(90), CATALOG), CATALOG, FUNCTIONS)
    assert given["States"]["Wait for form review"]["TimeoutSeconds"] == 90


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"timeoutSeconds": 0}, ProblemCode.INVALID_TIMEOUT, "nodes[1].timeoutSeconds"),
        ({"retry": {"maxAttempts": 2}}, ProblemCode.INVALID_RETRY_POLICY, "nodes[1].retry"),
        ({"shortLived": True}, ProblemCode.EXPRESS_UNSUPPORTED, "nodes[1].type"),
    ],
)
def test_what_validation_refuses_of_a_wait_for_form_node(
    fields: dict[str, Any], code: ProblemCode, path: str
) -> None:
    raw = expense_form()
    if "shortLived" in fields:
        raw["shortLived"] = True
    else:
        raw["nodes"][1].update(fields)

    [problem] = problems_of(raw)

    assert (problem.code, problem.node_id, problem.path) == (code, "review", path)
    assert "wait-for-form" in problem.message or "waits for a form" in problem.message


def test_an_answer_is_checked_field_by_field() -> None:
    assert answer_problems(FIELDS, {"amount": 3, "approved": False}) == []
    assert answer_problems(FIELDS, {"amount": 3.5, "approved": True, "comment": None}) == []
    said = [p.message for p in answer_problems(FIELDS, {"amount": True, "other": 1})]
    assert said == [
        "Field 'other' is not a field of the form",
        "Field 'amount' must be a number",
        "Field 'approved' is required",
    ]
    assert [p.message for p in answer_problems(FIELDS, [1])] == [
        "The answer must be a JSON object of the form's fields"
    ]
    typed = form_fields(
        {"fields": [{"name": "n", "type": "integer"}, {"name": "at", "type": "datetime"}]}
    )
    assert answer_problems(typed, {"n": 2**60, "at": "2026-12-07T10:00:00Z"}) == []
    assert [p.field for p in answer_problems(typed, {"n": 1.5, "at": "tomorrow"})] == ["n", "at"]


def test_a_browser_s_post_is_read_by_field_type() -> None:
    answer, problems = posted_answer(FIELDS, {"amount": ["1499"], "comment": [""]})
    assert (answer, problems) == ({"amount": 1499, "comment": "", "approved": False}, [])
    answer, problems = posted_answer(FIELDS, {"amount": ["12.5"], "approved": ["true"]})
    assert answer == {"amount": 12.5, "approved": True}
    answer, problems = posted_answer(FIELDS, {"amount": ["a lot"], "x": ["1"]})
    assert [p.message for p in problems] == [
        "Field 'x' is not a field of the form",
        "Field 'amount' must be a number",
    ]


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        (None, "A form needs a schema"),
        ({"name": "s", "fields": []}, "has no fields"),
        ({"fields": [{"name": "a", "type": "json"}]}, "Field 'a' is of type 'json'"),
        ({"fields": [{"name": "a", "type": "string"}, {"name": "a"}]}, "names field 'a' twice"),
    ],
)
def test_a_schema_a_form_cannot_ask_is_refused_naming_why(schema: Any, said: str) -> None:
    with pytest.raises(NodeError, match=said):
        form_fields(schema)


def test_tokens_are_long_random_and_kept_only_as_their_digest() -> None:
    token = new_token()

    assert len(token) >= 43
    assert token != new_token()
    assert token not in form_key(token)
    assert form_url("https://api.example/", token) == f"https://api.example/forms?token={token}"


def test_the_page_asks_for_every_field_and_escapes_what_it_shows() -> None:
    form = Form(
        organization_id="o",
        execution_id="e",
        title="<script>alert(1)</script>",
        description="a & b",
        form_schema={"fields": [{"name": "when", "type": "datetime", "required": True}]},
        created_at="2026-12-07T10:00:00.000Z",
    )

    page = form_page(form, 'a"b&c')

    assert 'action="?token=a%22b%26c"' in page  # posts to itself, the token in the query
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>a &amp; b</p>" in page
    assert 'type="datetime-local" step="1" id="field-when" name="when" required' in page
