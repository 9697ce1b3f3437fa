"""Finding one's way with the CLI: what a node type takes, workflows on stdin, readable limits."""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any

import pytest

from lambdas.nodes import default_registry
from local.cli import main
from statemachine.catalog import NodeTypeSpec
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog
WIDTH = 80


@pytest.fixture(autouse=True)
def terminal_of_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def words(text: str) -> set[str]:
    """The names a table shows, split where its columns and port notation split them."""
    return set(re.split(r"[\s,*:\[\]]+", text))


def flat(text: str) -> str:
    return " ".join(text.split())


def port_names(spec: NodeTypeSpec) -> list[str]:
    names = [port.name for port in (*spec.inputs, *spec.outputs)]
    names += [f"{ports.prefix}_n" for ports in (spec.dynamic_inputs, spec.dynamic_outputs) if ports]
    return names


def test_every_port_of_the_catalog_has_a_description() -> None:
    missing = [
        f"{spec.id}.{port.name}"
        for spec in CATALOG.values()
        for port in (*spec.inputs, *spec.outputs)
        if not port.description.strip()
    ]
    missing += [
        f"{spec.id}.{ports.prefix}_n"
        for spec in CATALOG.values()
        for ports in (spec.dynamic_inputs, spec.dynamic_outputs)
        if ports is not None and not ports.description.strip()
    ]
    assert missing == []


def test_the_catalog_listing_keeps_every_name_whole_at_80_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = printed(capsys, "node-types")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    shown = words(out)
    for spec in CATALOG.values():
        assert spec.id in shown
        assert set(port_names(spec)) <= shown, spec.id


# What of a default the first line of its row always shows (Dafthunk's LLM nodes have
# "You are a helpful assistant.").
DEFAULT_SHOWN = 10


def rows(section: str) -> dict[str, list[str]]:
    """A port table's rows by port name, each split into its words."""
    return {line.split()[0]: line.split() for line in section.splitlines() if line.strip()}


@pytest.mark.parametrize("type_id", list(CATALOG))
def test_node_types_type_shows_each_port_with_its_description_default_and_flag(
    capsys: pytest.CaptureFixture[str], type_id: str
) -> None:
    spec = CATALOG[type_id]
    code, out, _ = printed(capsys, "node-types", type_id)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    assert flat(spec.description) in flat(out)
    inputs, _, outputs = out.partition("\nOutputs\n")
    for port in spec.inputs:
        row = rows(inputs)[port.name]  # the name whole, at the start of its row
        assert ("yes" in row[2:3]) == port.required, row
        if port.default is not None:
            # a default longer than its column is cut (local.display.compact) and wrapped
            assert json.dumps(port.default)[:DEFAULT_SHOWN] in " ".join(row), row
        assert flat(port.description) in flat(inputs)
    for port in spec.outputs:
        assert port.name in rows(outputs)
        assert flat(port.description) in flat(outputs)
    for ports, section in ((spec.dynamic_inputs, inputs), (spec.dynamic_outputs, outputs)):
        if ports is not None:
            assert f"{ports.prefix}_n" in rows(section)
            assert flat(ports.description) in flat(section)


def test_node_types_fetch_reads_like_its_declaration(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = printed(capsys, "node-types", "fetch")
    assert code == 0
    inputs = rows(out.partition("\nOutputs\n")[0])
    assert inputs["url"][:3] == ["url", "string", "yes"]
    assert inputs["method"][:3] == ["method", "string", '"GET"']
    assert inputs["timeout"][:3] == ["timeout", "number", "30000"]
    assert "usage 10" in out
    code, out, _ = printed(capsys, "node-types", "fetch", "--json")
    assert (code, json.loads(out)) == (0, CATALOG["fetch"].model_dump(mode="json"))


def test_an_unknown_node_type_is_a_usage_error_with_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = printed(capsys, "node-types", "fetc")
    assert (code, out) == (2, "")
    assert "unknown node type 'fetc' (did you mean 'fetch'?)" in err


SMALL = workflow(
    node("a", "number-input", value=2),
    node("b", "addition", b=3),
    edges=[edge("a.value", "b.a")],
)


def stdin(monkeypatch: pytest.MonkeyPatch, document: Any) -> None:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "-"],
        ["plan", "-"],
        ["compile", "-"],
        ["run", "-", "--engine", "inprocess", "--json"],
    ],
    ids=lambda command: command[0],
)
def test_a_workflow_of_dash_is_read_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    stdin(monkeypatch, SMALL)
    code, out, err = printed(capsys, *command)
    assert (code, err) == (0, "")
    if command[0] == "run":
        assert json.loads(out)["nodeExecutions"][1]["outputs"] == {"result": 5}
    elif command[0] == "validate":
        assert "Valid" in out
    else:
        assert json.loads(out)


def test_an_invalid_workflow_on_stdin_lists_its_problems(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, workflow(node("a", "no-such-type")))
    code, _, err = printed(capsys, "validate", "-")
    assert code == 2
    assert "UNKNOWN_NODE_TYPE" in err


def nested(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


@pytest.mark.parametrize("levels", [65, 5_000])
def test_a_literal_nested_past_the_limit_is_reported_naming_the_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, levels: int
) -> None:
    document = json.dumps(workflow(node("deep", "json-input", json="HERE")))
    stdin(monkeypatch, document.replace('"HERE"', nested(levels)).encode())
    code, _, err = printed(capsys, "validate", "-")
    assert code == 2
    assert "64 levels" in err
    assert "[[[" not in err
