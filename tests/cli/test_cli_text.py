"""What a user wrote is shown by the CLI as text: never read as terminal markup, and never
written raw where a terminal would act on it (ANSI escapes, carriage returns, bidi overrides).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from lambdas.nodes import default_registry
from local.cli import main
from local.inprocess import InProcessEngine
from local.progress import LiveProgress
from statemachine.validation import validate_workflow
from tests.support.workflows import node, workflow

MARKUP = "[/] [link=https://e.test]a[/link] [bold red]b[/]"
# ANSI colour and window title, carriage return, line break, C1 CSI, right-to-left override:
# what a terminal acts on, and how the CLI shows it instead.
HOSTILE = "\x1b[31mred\x1b[0m\x1b]0;title\x07\r\n\x9b\u202eevil"
HOSTILE_SHOWN = "\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07\\r\\n\\x9b\\u202eevil"
ACTED_ON = re.compile("[\x00-\x1f\x7f-\x9f\u202e]")
OSC_HYPERLINK = "\x1b]8;"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A console wide enough that no table cell folds what a test looks for."""
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI writes as to a colour terminal: live progress and styles on."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(data))
    return str(path)


def echo(name: str, text: str) -> dict[str, Any]:
    """A workflow called `name` whose node `text` (an id too) passes `text` to an output."""
    wire = {"source": text, "sourceOutput": "value", "target": "shown", "targetInput": "value"}
    return workflow(
        node(text, "text-input", value=text),
        node("shown", "output-text"),
        edges=[wire],
        name=name,
    )


def without_controls(text: str) -> str:
    """`text` without the escape sequences a terminal reads as commands (CSI: colours,
    cursor moves, line erasing), such as the CLI's own styles and live display write."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_validate_shows_a_name_with_markup_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["validate", write(tmp_path, echo(MARKUP, "t"))]) == 0

    captured = capsys.readouterr()
    assert f"Valid: '{MARKUP}' (2 nodes, 1 edges)" in captured.out
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_run_shows_names_ids_and_values_with_markup_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    code = main(["run", write(tmp_path, echo(MARKUP, f"t{MARKUP}")), "--engine", engine])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    assert f"{MARKUP} (test-workflow)" in captured.out  # the table's title
    assert f"t{MARKUP} " in captured.out  # the node's id
    assert f"value={json.dumps(f't{MARKUP}')}" in captured.out  # its value


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_a_run_in_a_terminal_applies_no_markup_from_a_name_or_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, terminal: None, engine: str
) -> None:
    code = main(["run", write(tmp_path, echo(MARKUP, f"t{MARKUP}")), "--engine", engine])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert OSC_HYPERLINK not in captured.out  # no link was made
    shown = without_controls(captured.out)
    assert f"{MARKUP} (test-workflow)" in shown
    assert f"value={json.dumps(f't{MARKUP}')}" in shown


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_control_characters_in_names_ids_and_values_are_shown_as_escapes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    code = main(["run", write(tmp_path, echo(HOSTILE, f"t{HOSTILE}")), "--engine", engine])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert not [line for line in lines if ACTED_ON.search(line)]
    assert f"{HOSTILE_SHOWN} (test-workflow)" in captured.out
    assert f"t{HOSTILE_SHOWN} " in captured.out
    assert "\\u001b[31mred" in captured.out  # the value, as JSON writes it


def test_the_live_progress_shows_names_ids_and_values_as_written(
    tmp_path: Path,
) -> None:
    """What the progress table draws (its own cursor moves aside): the text as written, with
    escapes for what a terminal would act on."""
    raw = echo(f"{MARKUP}{HOSTILE}", f"t{MARKUP}{HOSTILE}")
    valid = validate_workflow(raw, default_registry().catalog)
    console = Console(file=io.StringIO(), force_terminal=True, width=400, record=True)

    with LiveProgress(console, valid) as progress:
        InProcessEngine().run(raw, on_update=progress.update)

    drawn = console.export_text()
    assert not ACTED_ON.search(drawn.replace("\n", ""))
    assert f"{MARKUP}{HOSTILE_SHOWN}: completed" in drawn
    assert f"t{MARKUP}{HOSTILE_SHOWN} " in drawn


def test_validate_lists_problems_quoting_user_text_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = workflow(node("[bold red]n\x1b[2J", "no-such-[/]type"))

    assert main(["validate", write(tmp_path, broken)]) == 2

    err = capsys.readouterr().err
    assert "no-such-[/]type" in err
    assert "[bold red]n\\x1b[2J" in err
    assert "\x1b" not in err


def test_a_usage_error_quoting_an_option_shows_it_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, echo("w", "t"))

    assert main(["run", path, "--input", "[/]\x1b[2Jbad"]) == 2

    err = capsys.readouterr().err
    assert "--input expects NODE.INPUT=VALUE, got '[/]\\x1b[2Jbad'" in err
    assert "\x1b" not in err


def test_a_missing_file_named_with_markup_is_named_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "[red]gone[/].json")

    assert main(["validate", missing]) == 2

    assert f"cannot read workflow file '{missing}'" in capsys.readouterr().err


def test_compile_keeps_the_brackets_of_a_node_id_in_its_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`[x, y, z]` is what rich would read as a markup tag and drop."""
    refused = workflow(node("[x, y, z]", "no-such-type"))

    code = main(["compile", write(tmp_path, refused)])

    err = capsys.readouterr().err
    assert code == 2
    assert "[x, y, z]" in err


def test_json_output_escapes_what_a_terminal_acts_on_and_reads_back_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = "x\x9b31m\u202ey"
    path = write(tmp_path, echo("w", hostile))

    assert main(["run", path, "--engine", "inprocess", "--json"]) == 0
    run = capsys.readouterr().out
    assert main(["plan", path]) == 0
    plan = capsys.readouterr().out
    assert main(["compile", path]) == 0
    compiled = capsys.readouterr().out

    for printed in (run, plan, compiled):
        assert "\x9b" not in printed
        assert "\u202e" not in printed
        assert "\\u009b" in printed
        assert "\\u202e" in printed
    assert json.loads(run)["nodeExecutions"][0]["nodeId"] == hostile
    assert json.loads(plan)["order"][0] == hostile
    assert hostile in json.dumps(json.loads(compiled), ensure_ascii=False)
