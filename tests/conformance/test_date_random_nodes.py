"""The non-deterministic nodes: date-now and random-number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conformance.conftest import Engine
from tests.support.workflows import node, workflow


def test_date_now_is_the_current_utc_time(engine: Engine) -> None:
    before = datetime.now(UTC)
    result = engine.run(workflow(node("now", "date-now")))
    after = datetime.now(UTC)

    text = result.output("now", "date")
    assert text.endswith("Z")
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0)
    # The output carries milliseconds, so `before` is compared at that precision.
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= moment <= after


def test_random_number_is_a_float_in_the_half_open_range(engine: Engine) -> None:
    nodes = [node(f"r{i}", "random-number", min=2.5, max=3) for i in range(10)]
    result = engine.run(workflow(*nodes))

    values = [result.output(f"r{i}", "value") for i in range(10)]
    assert all(2.5 <= value < 3 for value in values)
    assert len(set(values)) > 1


def test_random_number_defaults_to_zero_to_one(engine: Engine) -> None:
    result = engine.run(workflow(node("r", "random-number")))

    assert 0 <= result.output("r", "value") < 1


def test_random_integers_stay_in_range(engine: Engine) -> None:
    nodes = [node(f"r{i}", "random-number", min=1, max=4, integer=True) for i in range(30)]
    result = engine.run(workflow(*nodes))

    values = {result.output(f"r{i}", "value") for i in range(30)}
    assert all(isinstance(value, int) for value in values)
    assert values <= {1, 2, 3}
    assert len(values) > 1


def test_random_number_with_min_not_below_max_fails(engine: Engine) -> None:
    result = engine.run(workflow(node("r", "random-number", min=5, max=3)))

    assert result.status == "error"
    assert result.error("r") == "min (5) must be less than max (3)"
