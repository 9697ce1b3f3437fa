"""The form stores, DynamoForms on moto and MemoryForms alike: a retry takes a form over
only while it is as it was read and unanswered, an answer marks it only while the node of
the execution that answers it waits for it, so that the two never both win; a closed form
reopens for a retry, an answered one stays answered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lambdas.adapters.forms import DynamoForms
from lambdas.runtime.forms import Form, FormStatus, FormStore
from local.memory_events import MemoryForms
from tests.component.conftest import Aws

ENDS = "2030-01-01T00:00:00.000Z"


@pytest.fixture(params=["dynamodb", "memory"])
def forms(request: pytest.FixtureRequest) -> FormStore:
    if request.param == "memory":
        return MemoryForms()
    aws: Aws = request.getfixturevalue("aws")
    return DynamoForms(aws.dynamodb, aws.tables["executions"])


def waited_for(forms: FormStore, key: str = "k1") -> Form:
    """A form of `first` that its node `review` waits for."""
    forms.create(
        key,
        Form(
            organization_id="org",
            execution_id="first",
            title="Expenses",
            form_schema={"name": "expense", "fields": []},
            created_at="2026-01-01T00:00:00.000Z",
        ),
    )
    linked = forms.link(key, "review", ENDS, 60)
    assert linked is not None
    return linked


def test_a_retry_takes_the_form_over_with_its_own_node_and_wait(forms: FormStore) -> None:
    read = waited_for(forms)

    taken = forms.take_over("k1", read, "second", "check", "2030-02-01T00:00:00.000Z", 60)

    stored = forms.get("k1")
    assert taken == stored
    assert stored is not None
    assert (stored.execution_id, stored.node_id, stored.status, stored.expires_at) == (
        "second",
        "check",
        FormStatus.WAITING,
        "2030-02-01T00:00:00.000Z",
    )
    assert (stored.title, stored.organization_id) == ("Expenses", "org")
    assert forms.of_node("second", "check") == "k1"
    assert forms.answer("k1", "second", "check")
    assert forms.get("k1").status == FormStatus.ANSWERED  # type: ignore[union-attr]


def test_only_one_of_two_retries_of_one_execution_takes_the_form(forms: FormStore) -> None:
    read = waited_for(forms)

    first = forms.take_over("k1", read, "second", "review", ENDS, 60)
    second = forms.take_over("k1", read, "third", "review", ENDS, 60)

    assert first is not None
    assert second is None
    assert forms.get("k1").execution_id == "second"  # type: ignore[union-attr]


def test_a_late_answer_to_the_retried_execution_and_the_take_over_never_both_win(
    forms: FormStore,
) -> None:
    read = waited_for(forms)

    answered = forms.answer("k1", "first", "review")
    taken = forms.take_over("k1", read, "second", "review", ENDS, 60)

    assert answered
    assert taken is None
    forms.close("k1")  # the wait's end never undoes an answer
    assert forms.get("k1").status == FormStatus.ANSWERED  # type: ignore[union-attr]


def test_once_taken_over_the_form_is_not_answered_for_the_retried_execution(
    forms: FormStore,
) -> None:
    read = waited_for(forms)

    forms.take_over("k1", read, "second", "review", ENDS, 60)

    assert not forms.answer("k1", "first", "review")
    assert forms.get("k1").status == FormStatus.WAITING  # type: ignore[union-attr]


def test_a_closed_unanswered_form_reopens_for_a_retry(forms: FormStore) -> None:
    waited_for(forms)
    forms.close("k1")  # its wait timed out
    closed = forms.get("k1")
    assert closed is not None
    assert closed.status == FormStatus.CLOSED

    taken = forms.take_over("k1", closed, "second", "review", ENDS, 60)

    assert taken is not None
    assert taken.status == FormStatus.WAITING


@pytest.mark.parametrize(
    "settle",
    [
        lambda forms: forms.unanswer("k1", "first", "review", FormStatus.CLOSED),
        lambda forms: None,
    ],
    ids=["delivery-failed", "answered"],
)
def test_an_answer_whose_delivery_failed_no_longer_counts_as_one(
    forms: FormStore, settle: Callable[[FormStore], None]
) -> None:
    waited_for(forms)
    assert forms.answer("k1", "first", "review")
    assert not forms.answer("k1", "first", "review")  # one answer
    settle(forms)
    now = forms.get("k1")
    assert now is not None

    taken = forms.take_over("k1", now, "second", "review", ENDS, 60)

    assert (taken is not None) == (now.status == FormStatus.CLOSED)


def test_a_form_stored_before_forms_named_their_execution_is_taken_over_once(aws: Aws) -> None:
    forms = DynamoForms(aws.dynamodb, aws.tables["executions"])
    read = waited_for(forms)
    aws.dynamodb.update_item(
        TableName=aws.tables["executions"],
        Key={"id": {"S": "form/k1"}},
        UpdateExpression="REMOVE executionId",
    )

    late = forms.answer("k1", "first", "review")
    forms.unanswer("k1", "first", "review", FormStatus.CLOSED)
    closed = forms.get("k1")
    assert closed is not None
    taken = forms.take_over("k1", closed, "second", "review", ENDS, 60)
    again = forms.take_over("k1", closed, "third", "review", ENDS, 60)

    assert late
    assert read.execution_id == "first"
    assert taken is not None
    assert again is None
    assert not forms.answer("k1", "first", "review")
    assert forms.answer("k1", "second", "review")
