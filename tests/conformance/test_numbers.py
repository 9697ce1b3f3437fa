"""Numbers travel exactly (SPEC §1): an integer stays an integer, every digit past 2^53 is
kept, a fraction stays a fraction, in the record, downstream, in messages and in requests.

Values are compared as JSON text: Python's `-3 == -3.0` would hide the change a user sees.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.conftest import Engine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.workflows import edge, node, workflow

DOCUMENT = {
    "negative": -3,
    "zero": 0,
    "below": -9007199254740993,
    "above": 9007199254740993,
    "huge": 2**70,
    "fraction": -0.5,
    "nested": [-1, {"deep": [-2, 1.25, -(2**64)]}],
}


def text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_literals_keep_their_numbers_in_the_record_and_downstream(engine: Engine) -> None:
    result = engine.run(
        workflow(
            node("document", "json-input", json=DOCUMENT),
            node("count", "number-input", value=-9007199254740993),
            node("show", "output-json"),
            node("plus", "addition", b=-7),
            edges=[edge("document.json", "show.value"), edge("count.value", "plus.a")],
        )
    )

    assert result.status == "completed"
    assert text(result.output("document", "json")) == text(DOCUMENT)
    assert text(result.node("show")["inputs"]["value"]) == text(DOCUMENT)
    assert text(result.output("count", "value")) == "-9007199254740993"
    assert text(result.node("plus")["inputs"]) == text({"a": -9007199254740993, "b": -7})
    assert text(result.output("plus")) == "-9007199254741000"


def test_overrides_keep_their_numbers(engine: Engine) -> None:
    result = engine.run(
        workflow(
            node("document", "json-input", json={}),
            node("count", "number-input"),
            node("negated", "subtraction", a=0),
            edges=[edge("count.value", "negated.b")],
        ),
        inputs={"document": {"json": DOCUMENT}, "count": {"value": -(2**60) - 1}},
    )

    assert text(result.output("document", "json")) == text(DOCUMENT)
    assert text(result.output("count", "value")) == str(-(2**60) - 1)
    assert text(result.output("negated")) == str(2**60 + 1)


def test_a_message_quotes_a_number_as_it_was_given(engine: Engine) -> None:
    result = engine.run(
        workflow(
            node("seconds", "number-input", value=-3),
            node("pause", "wait"),
            edges=[edge("seconds.value", "pause.seconds")],
        )
    )

    assert "got -3" in result.error("pause")
    assert "-3.0" not in result.error("pause")


def test_a_request_body_carries_the_numbers_it_was_given(
    engine: Engine, http_server: LocalServer
) -> None:
    result = engine.run(
        workflow(node("send", "fetch", url=http_server.url("/json"), method="POST", body=DOCUMENT))
    )

    assert result.output("send", "status") == 200
    assert text(json.loads(http_server.last.body)) == text(DOCUMENT)


def test_integer_arithmetic_is_exact_past_2_to_the_53(engine: Engine) -> None:
    big = 2**60
    result = engine.run(
        workflow(
            node("total", "sum", numbers=[big, 1, -3]),
            node("product", "multiplication", a=big + 1, b=-(2**10)),
            node("rest", "modulo", a=-(big + 7), b=4),
        )
    )

    assert text(result.output("total")) == str(big - 2)
    assert text(result.output("product")) == str(-(big + 1) * 2**10)
    assert text(result.output("rest")) == "-3"


def test_sum_of_an_empty_list_is_0_and_of_nothing_an_error(engine: Engine) -> None:
    result = engine.run(workflow(node("empty", "sum", numbers=[]), node("nothing", "sum")))

    assert text(result.output("empty")) == "0"
    assert result.error("nothing") == "No number inputs provided"
