"""What the CLI refuses before anything runs: JSON that names a key twice, options that are no
NAME=VALUE, port, origin or network, and how it lists a workflow's problems when there are very
many (API keys no HTTP request could carry: tests/cli/test_cli_refusals.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from tests.support.workflows import edge, node, workflow

TWICE = (
    '{"id": "w", "name": "n", "nodes": [{"id": "a", "type": "number-input"}], '
    '"edges": [], "nodes": []}'
)
LISTED = 100  # problems an error lists, as the README says
NESTED_TWICE = (
    '{"id": "w", "name": "n", "edges": [], "nodes": [{"id": "j", "type": "json-input", '
    '"inputs": [{"name": "json", "value": {"limit": 1, "limit": 2}}]}]}'
)


def write_text(tmp_path: Path, text: str) -> str:
    path = tmp_path / "workflow.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "command", [["validate"], ["run", "--engine", "inprocess"], ["plan"]], ids=" ".join
)
@pytest.mark.parametrize(
    ("text", "key"), [(TWICE, "nodes"), (NESTED_TWICE, "limit")], ids=["top", "nested"]
)
def test_a_workflow_file_naming_a_key_twice_is_refused_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str], text: str, key: str
) -> None:
    assert main([*command, write_text(tmp_path, text)]) == 2

    err = capsys.readouterr().err
    assert "DUPLICATE_JSON_KEY" in err
    assert f"the key '{key}' appears twice in one object" in err


def test_validate_json_reports_a_key_named_twice_with_its_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(TWICE.encode())))

    assert main(["validate", "-", "--json"]) == 2

    report = json.loads(capsys.readouterr().out)
    assert [problem["code"] for problem in report["problems"]] == ["DUPLICATE_JSON_KEY"]
    assert "'nodes'" in report["problems"][0]["message"]


def test_an_input_value_naming_a_key_twice_is_a_usage_error_unless_its_port_takes_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = workflow(
        node("j", "json-input", json={}),
        node("t", "text-input"),
        node("o", "output-json"),
        node("p", "output-text"),
        edges=[edge("j.json", "o.value"), edge("t.value", "p.value")],
    )
    path = write_text(tmp_path, json.dumps(flow))
    twice = '{"a": 1, "a": 2}'

    assert main(["run", path, "--engine", "inprocess", "--input", f"j.json={twice}"]) == 2
    assert "j.json: ambiguous JSON: the key 'a' appears twice" in capsys.readouterr().err

    code = main(["run", path, "--engine", "inprocess", "--json", "--input", f"t.value={twice}"])
    record = json.loads(capsys.readouterr().out)
    assert code == 0
    assert record["nodeExecutions"][3]["outputs"] == {"displayValue": twice}


def duplicate_edges(count: int) -> dict[str, Any]:
    return workflow(
        node("a", "number-input"),
        node("b", "absolute-value"),
        edges=[edge("a.value", "b.value")] * count,
    )


def test_validate_lists_the_first_problems_of_very_many_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_text(tmp_path, json.dumps(duplicate_edges(20_000)))

    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert main(["validate", path, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert main(["run", path, "--engine", "inprocess", "--json"]) == 2
    record = json.loads(capsys.readouterr().out)

    assert "Invalid workflow: 19999 problem(s)" in err
    assert err.count("DUPLICATE_CONNECTION") == LISTED
    assert err.rstrip().endswith(f"... and {19_999 - LISTED} more")
    assert report["problemCount"] == 19_999
    assert len(report["problems"]) == LISTED
    assert record["error"].startswith("Invalid workflow (19999 problems): [DUPLICATE_CONNECTION]")
    assert record["error"].endswith(f"; and {19_999 - LISTED} more")
    assert record["error"].count("DUPLICATE_CONNECTION") == LISTED


@pytest.mark.parametrize(
    ("option", "refusal"),
    [
        (["--secret", "TOKEN"], "--secret expects NAME=VALUE, got 'TOKEN'"),
        (["--secret", "=abcd"], "--secret expects NAME=VALUE, got '=abcd'"),
        (["--input", "novalue"], "--input expects NODE.INPUT=VALUE, got 'novalue'"),
        (["--input", "=1"], "--input expects NODE.INPUT=VALUE, got '=1'"),
        (["--input", ".value=1"], "--input expects NODE.INPUT=VALUE, got '.value=1'"),
        (["--input", "n.=1"], "--input expects NODE.INPUT=VALUE, got 'n.=1'"),
    ],
)
def test_a_name_value_option_missing_its_name_or_equals_sign_is_refused_as_given(
    option: list[str], refusal: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_text(tmp_path, json.dumps(workflow(node("n", "number-input", value=1))))

    assert main(["run", path, "--engine", "inprocess", *option]) == 2

    captured = capsys.readouterr()
    assert (captured.out, captured.err.strip()) == ("", f"stepthunk: {refusal}")


@pytest.mark.parametrize("port", ["0", "65536", "http", ""])
def test_serve_refuses_a_port_outside_1_to_65535_quoting_it(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:  # (a port taken would end at the --api-key)
        main(["serve", "--port", port, "--api-key", "no-organization"])

    captured = capsys.readouterr()
    assert (exited.value.code, captured.out) == (2, "")
    assert captured.err.splitlines()[-1].endswith(
        f"argument --port: '{port}' is not a port number (1-65535)"
    )


@pytest.mark.parametrize("port", ["1", "65535"])
def test_serve_takes_the_first_and_the_last_port(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A malformed --api-key is refused after the options are read, before anything listens.
    assert main(["serve", "--port", port, "--api-key", "no-organization"]) == 2

    captured = capsys.readouterr()
    assert (captured.out, captured.err.strip()) == (
        "",
        "stepthunk: --api-key expects KEY:ORG, got 'no-organization'",
    )


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        ("editor.example.com", "is not an origin: it needs http:// or https:// and a host"),
        ("ftp://editor.example.com", "is not an origin: it needs http:// or https:// and a host"),
        ("https://editor.example.com/", "is not an origin: only scheme://host[:port], no path"),
        ("https://editor.example.com/app", "is not an origin: only scheme://host[:port], no path"),
        ("https://editor.example.com:99999", "is not an origin (scheme://host[:port])"),
    ],
)
def test_serve_refuses_a_cors_origin_that_is_not_one_saying_why(
    origin: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "1", "--cors-origin", origin])

    captured = capsys.readouterr()
    assert (exited.value.code, captured.out) == (2, "")
    assert captured.err.splitlines()[-1].endswith(f"argument --cors-origin: '{origin}' {says}")


def test_serve_refuses_an_allowed_network_that_is_not_one(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "1", "--allow-network", "10.0.0.0/33"])

    captured = capsys.readouterr()
    assert (exited.value.code, captured.out) == (2, "")
    assert captured.err.splitlines()[-1].endswith(
        "argument --allow-network: '10.0.0.0/33' is not a network (CIDR), an address or a host name"
    )


@pytest.mark.parametrize("count", ["17", "-1", "two", "1.5", ""])
def test_serve_refuses_a_number_of_workers_it_cannot_start(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "1", "--workers", count])

    captured = capsys.readouterr()
    assert (exited.value.code, captured.out) == (2, "")
    assert captured.err.splitlines()[-1].endswith(
        f"argument --workers: '{count}' is not a number of processes (0-16)"
    )
