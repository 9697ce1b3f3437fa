"""Conformance of the date nodes that read, shift, compare and format dates: Dafthunk's own
cases and ours. A date that cannot be read, or an unknown unit, completes without output."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.workflows import edge, node, workflow

BASE = "2023-12-25T10:30:00.000Z"


def run_node(engine: Engine, node_type: str, /, **literals: Any) -> Result:
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


def completes_without(result: Result, output: str) -> bool:
    execution = result.node("n")
    return execution["status"] == "completed" and output not in (execution["outputs"] or {})


# date-now


def test_date_now_writes_milliseconds_and_z(engine):
    text = run_node(engine, "date-now").output("n", "date")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", text)


# date-add


@pytest.mark.parametrize(
    ("date", "amount", "unit", "expected"),
    [
        (BASE, 5, "days", "2023-12-30T10:30:00.000Z"),
        (BASE, 2, "hours", "2023-12-25T12:30:00.000Z"),
        (BASE, 45, "minutes", "2023-12-25T11:15:00.000Z"),
        (BASE, 30, "seconds", "2023-12-25T10:30:30.000Z"),
        (BASE, 500, "milliseconds", "2023-12-25T10:30:00.500Z"),
        (BASE, 2, "weeks", "2024-01-08T10:30:00.000Z"),
        (BASE, 1, "months", "2024-01-25T10:30:00.000Z"),
        (BASE, 1, "years", "2024-12-25T10:30:00.000Z"),
        (BASE, -5, "days", "2023-12-20T10:30:00.000Z"),
        (BASE, "5", "days", "2023-12-30T10:30:00.000Z"),
        ("2024-02-28T10:30:00.000Z", 1, "days", "2024-02-29T10:30:00.000Z"),
        # Our own: singular and capitalised units, overflow as JavaScript's setters carry it.
        (BASE, 1, "Day", "2023-12-26T10:30:00.000Z"),
        ("2024-01-31T00:00:00.000Z", 1, "month", "2024-03-02T00:00:00.000Z"),
        ("2024-02-29T00:00:00.000Z", 1, "years", "2025-03-01T00:00:00.000Z"),
        (BASE, 1.9, "days", "2023-12-26T10:30:00.000Z"),
        (BASE, 1.5, "weeks", "2024-01-04T10:30:00.000Z"),  # 10.5 days, truncated to 10
        ("2023-12-25", 1, "days", "2023-12-26T00:00:00.000Z"),
        ("2023-12-25T10:30:00+02:00", 0, "hours", "2023-12-25T08:30:00.000Z"),
    ],
)
def test_date_add_moves_the_date(engine, date, amount, unit, expected):
    result = run_node(engine, "date-add", date=date, amount=amount, unit=unit)
    assert result.output("n", "date") == expected


@pytest.mark.parametrize(
    ("date", "unit"), [("invalid-date", "days"), (BASE, "invalid-unit"), ("", "days")]
)
def test_date_add_of_an_unreadable_date_or_unit_completes_without_a_date(engine, date, unit):
    result = run_node(engine, "date-add", date=date, amount=5, unit=unit)
    assert completes_without(result, "date")


@pytest.mark.parametrize("amount", ["five", None, "1e400", "1" + "0" * 400])
def test_date_add_of_an_amount_that_is_not_a_number_fails(engine, amount):
    result = run_node(engine, "date-add", date=BASE, amount=amount, unit="days")
    assert result.error("n") == "Invalid time value"


def test_date_add_past_the_year_9999_fails(engine):
    result = run_node(engine, "date-add", date=BASE, amount=8000, unit="years")
    assert result.error("n") == "Invalid time value"


def test_date_add_takes_the_date_of_date_now(engine):
    result = engine.run(
        workflow(
            node("now", "date-now"),
            node("n", "date-add", amount=1, unit="days"),
            edges=[edge("now.date", "n.date")],
        )
    )
    assert result.output("n", "date") > result.output("now", "date")


# date-diff


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"a": BASE, "b": "2023-12-25T10:30:00.500Z", "unit": "milliseconds"}, -500),
        ({"a": "2023-12-25T10:30:30.000Z", "b": BASE, "unit": "seconds"}, 30),
        ({"a": "2023-12-25T10:45:00.000Z", "b": BASE, "unit": "minutes"}, 15),
        ({"a": "2023-12-25T12:30:00.000Z", "b": BASE, "unit": "hours"}, 2),
        ({"a": "2023-12-30T10:30:00.000Z", "b": BASE, "unit": "days"}, 5),
        ({"a": "2024-01-08T10:30:00.000Z", "b": BASE, "unit": "weeks"}, 2),
        ({"a": "2024-01-25T10:30:00.000Z", "b": BASE, "unit": "months"}, 1),
        ({"a": "2024-12-25T10:30:00.000Z", "b": BASE, "unit": "years"}, 1),
        ({"a": BASE, "b": "2023-12-25T10:30:30.000Z", "unit": "seconds", "absolute": True}, 30),
        ({"a": BASE, "b": "2023-12-25T10:30:30.000Z", "unit": "seconds", "absolute": False}, -30),
        ({"a": BASE, "b": "2023-12-25T10:30:30.000Z", "unit": "seconds", "absolute": "true"}, 30),
        ({"a": "2024-03-01T10:30:00.000Z", "b": "2024-02-28T10:30:00.000Z", "unit": "days"}, 2),
        ({"a": BASE, "b": BASE, "unit": "days"}, 0),
        # Our own: fractions, calendar months with a day offset, the default unit.
        ({"a": "2023-12-25T22:30:00.000Z", "b": BASE, "unit": "days"}, 0.5),
        (
            {"a": "2024-01-10T00:00:00.000Z", "b": "2023-12-25T00:00:00.000Z", "unit": "months"},
            1 - 15 / 31,
        ),
        (
            {"a": "2024-07-25T00:00:00.000Z", "b": "2023-12-25T00:00:00.000Z", "unit": "years"},
            1 - 5 / 12,
        ),
        ({"a": "2023-12-25T10:30:01.000Z", "b": BASE}, 1000),
    ],
)
def test_date_diff_measures_a_minus_b(engine, literals, expected):
    assert run_node(engine, "date-diff", **literals).output("n", "value") == pytest.approx(expected)


def test_date_diff_of_whole_units_is_an_integer(engine):
    value = run_node(engine, "date-diff", a="2023-12-30", b="2023-12-25", unit="days").output(
        "n", "value"
    )
    assert value == 5
    assert isinstance(value, int)


@pytest.mark.parametrize(
    ("a", "unit"), [("invalid-date", "days"), (BASE, "invalid-unit"), (None, "days")]
)
def test_date_diff_of_an_unreadable_date_or_unit_completes_without_a_value(engine, a, unit):
    result = run_node(engine, "date-diff", a=a, b="2023-12-25T10:30:30.000Z", unit=unit)
    assert completes_without(result, "value")


# date-format


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ({"date": BASE, "pattern": "YYYY-MM-DD"}, "2023-12-25"),
        ({"date": "2023-12-25T10:30:45.000Z", "pattern": "hh:mm:ss"}, "10:30:45"),
        (
            {"date": "2023-12-25T10:30:45.123Z", "pattern": "YYYY-MM-DDThh:mm:ss"},
            "2023-12-25T10:30:45",
        ),
        ({"date": "2023-12-25T10:30:45.000Z"}, "2023-12-25T10:30:45Z"),
        ({"date": "2023-12-25T10:30:45.000Z", "pattern": ""}, "2023-12-25T10:30:45Z"),
        ({"date": "invalid-date", "pattern": "YYYY-MM-DD"}, ""),
        ({"date": None, "pattern": "YYYY-MM-DD"}, ""),
        ({"date": "", "pattern": "YYYY-MM-DD"}, ""),
        (
            {"date": "2023-12-25T10:30:45.000Z", "pattern": "Date: YYYY-MM-DD, Time: hh:mm:ss"},
            "Date: 2023-12-25, Time: 10:30:45",
        ),
        ({"date": "2023-12-25T10:30:45.000Z", "pattern": "Hello World"}, "Hello World"),
        ({"date": "2024-02-29T10:30:45.000Z", "pattern": "YYYY-MM-DD"}, "2024-02-29"),
        ({"date": "2023-12-25T10:30:45+02:00", "pattern": "hh:mm"}, "08:30"),
    ],
)
def test_date_format_fills_the_pattern_in_utc(engine, literals, expected):
    assert run_node(engine, "date-format", **literals).output("n", "text") == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "12/25/2023, 10:30:45"),
        ("fr-FR", "25/12/2023 10:30:45"),
        ("de-DE", "25.12.2023, 10:30:45"),
        ("en-GB", "25/12/2023, 10:30:45"),
        ("xx-YY", "12/25/2023, 10:30:45"),  # an unknown locale writes as en-US
        ("not a locale!", "invalid-pattern"),  # an invalid one leaves the pattern
    ],
)
def test_date_format_writes_a_locale_date_when_the_pattern_has_no_field(engine, locale, expected):
    result = run_node(
        engine,
        "date-format",
        date="2023-12-25T10:30:45.000Z",
        pattern="invalid-pattern",
        locale=locale,
    )
    assert result.output("n", "text") == expected


# date-parse


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (BASE, BASE),
        (1703508600000, "2023-12-25T12:50:00.000Z"),
        ("2023-12-25", "2023-12-25T00:00:00.000Z"),
        ("2023-12-25T10:30:00", "2023-12-25T10:30:00.000Z"),
        ("2023-12-25T10:30:00Z", "2023-12-25T10:30:00.000Z"),
        ("December 25, 2023", "2023-12-25T00:00:00.000Z"),
        ("12/25/2023", "2023-12-25T00:00:00.000Z"),
        ("Mon, 25 Dec 2023 10:30:00 GMT", "2023-12-25T10:30:00.000Z"),
        ("Dec 25 2023 3:05 PM", "2023-12-25T15:05:00.000Z"),
        ("2023-12-25T10:30:00.123456Z", "2023-12-25T10:30:00.123Z"),
        (0, "1970-01-01T00:00:00.000Z"),
    ],
)
def test_date_parse_reads_text_and_milliseconds(engine, value, expected):
    assert run_node(engine, "date-parse", value=value).output("n", "date") == expected


@pytest.mark.parametrize(
    "value", ["invalid-date", None, True, {"a": 1}, "2023-13-45", "Hello 2023"]
)
def test_date_parse_of_what_is_not_a_date_completes_without_a_date(engine, value):
    assert completes_without(run_node(engine, "date-parse", value=value), "date")


def test_date_parse_feeds_date_format(engine):
    result = engine.run(
        workflow(
            node("parse", "date-parse", value="December 25, 2023"),
            node("n", "date-format", pattern="DD/MM/YYYY"),
            edges=[edge("parse.date", "n.date")],
        )
    )
    assert result.output("n", "text") == "25/12/2023"
