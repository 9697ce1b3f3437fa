"""Lengths of ids, names and descriptions, and what a workflow id may hold: TOO_LONG and
INVALID_ID, one rule for files, the CLI and the API (statemachine.identifiers)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdas.nodes import default_registry
from statemachine.errors import WorkflowValidationError
from statemachine.identifiers import URL_RESERVED, is_workflow_id
from statemachine.problems import ProblemCode, ValidationProblem
from statemachine.validation import validate_workflow
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog


def base() -> dict[str, Any]:
    """a -> b, every field a limit applies to present."""
    document = workflow(
        node("a", "number-input", value=1),
        node("b", "addition", b=2),
        edges=[edge("a.value", "b.a")],
    )
    document["description"] = "Adds two"
    document["trigger"] = "manual"
    document["nodes"][0]["name"] = "A number"
    return document


def at(path: str) -> Callable[[dict[str, Any], str], None]:
    """A setter of the string at `path` (`name`, `nodes[0].id`, `edges[0].target`...)."""

    def put(document: dict[str, Any], text: str) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = text

    return put


LIMITS = [
    ("name", 256),
    ("description", 10_000),
    ("trigger", 64),
    ("nodes[0].id", 128),
    ("nodes[0].name", 256),
    ("nodes[0].type", 128),
    ("nodes[1].inputs[0].name", 128),
    ("edges[0].source", 128),
    ("edges[0].sourceOutput", 128),
    ("edges[0].target", 128),
    ("edges[0].targetInput", 128),
]


def problems_of(document: dict[str, Any]) -> list[ValidationProblem]:
    with pytest.raises(WorkflowValidationError) as raised:
        validate_workflow(document, CATALOG)
    return raised.value.problems


@pytest.mark.parametrize(("path", "limit"), LIMITS)
def test_text_over_its_limit_is_too_long_with_its_path_and_the_limit(path: str, limit: int) -> None:
    document = base()
    at(path)(document, "é" * (limit + 1))
    too_long = [p for p in problems_of(document) if p.code == ProblemCode.TOO_LONG]
    assert [(p.path, p.message) for p in too_long] == [
        (path, f"{path} is {limit + 1:,} characters long; at most {limit:,} are allowed")
    ]


def test_the_workflow_id_is_limited_as_node_ids_are() -> None:
    document = base()
    document["id"] = "w" * 129
    [problem] = problems_of(document)
    assert (problem.code, problem.path) == (ProblemCode.TOO_LONG, "id")


def test_text_at_its_limit_is_valid() -> None:
    document = base()
    for path, limit in [("name", 256), ("description", 10_000), ("nodes[0].name", 256)]:
        at(path)(document, "é" * limit)
    document["id"] = document["nodes"][0]["id"] = document["edges"][0]["source"] = "😀" * 128
    valid = validate_workflow(document, CATALOG)
    assert (valid.name, valid.id, valid.nodes[0].id) == ("é" * 256, "😀" * 128, "😀" * 128)


@pytest.mark.parametrize("workflow_id", ["a/b", "a?b", "a#b", "a\nb", "\x7f", "a\x85b", ".", ".."])
def test_a_workflow_id_no_url_path_can_carry_is_an_invalid_id_naming_the_rule(
    workflow_id: str,
) -> None:
    document = base()
    document["id"] = workflow_id
    [problem] = problems_of(document)
    assert (problem.code, problem.path) == (ProblemCode.INVALID_ID, "id")
    assert "URL path segment" in problem.message
    assert not is_workflow_id(workflow_id)


@given(
    st.text(
        st.characters(blacklist_categories=["Cc", "Cs"], blacklist_characters=URL_RESERVED),
        min_size=1,
        max_size=128,
    ).filter(lambda text: text not in (".", ".."))
)
def test_any_other_text_of_up_to_128_characters_is_a_workflow_id(workflow_id: str) -> None:
    document = copy.deepcopy(BASE)
    document["id"] = workflow_id
    assert validate_workflow(document, CATALOG).id == workflow_id
    assert is_workflow_id(workflow_id)


BASE = base()
