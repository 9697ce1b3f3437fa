"""`stepthunk run` and `serve` send the LLM nodes' and twilio-sms' requests where the
environment variables a deployment's functions read say (STEPTHUNK_ANTHROPIC_URL,
STEPTHUNK_OPENAI_URL, STEPTHUNK_TWILIO_URL), and refuse a value that is not a base URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.cli import main
from local.cloud import LocalCloud
from tests.support.model_apis import ModelApiFakes, model_api_fakes
from tests.support.timing import TEST_TIME_SCALE
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, NUMBER, fake_twilio
from tests.support.workflows import node, workflow

KEY = "sk-cli-0123456789"


@pytest.fixture(scope="module", autouse=True)
def cloud() -> LocalCloud:
    shared = LocalCloud.shared()
    shared.time_scale = TEST_TIME_SCALE
    return shared


@pytest.fixture
def fakes() -> Iterator[ModelApiFakes]:
    with model_api_fakes() as started:
        started.reset(KEY)
        yield started


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_run_calls_the_model_apis_its_environment_names(
    engine: str,
    fakes: ModelApiFakes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "workflow.json"
    flow = workflow(node("claude", "claude-35-haiku", input="hi"), node("gpt", "gpt-5", input="yo"))
    path.write_text(json.dumps(flow))
    monkeypatch.setenv("STEPTHUNK_ANTHROPIC_URL", fakes.anthropic.base_url)
    monkeypatch.setenv("STEPTHUNK_OPENAI_URL", fakes.openai.base_url)
    secrets = ["--secret", f"ANTHROPIC_API_KEY={KEY}", "--secret", f"OPENAI_API_KEY={KEY}"]

    code = main(["run", str(path), "--engine", engine, "--json", *secrets])

    record = json.loads(capsys.readouterr().out)
    assert code == 0, record
    outputs = [execution["outputs"]["text"] for execution in record["nodeExecutions"]]
    assert outputs == ["Claude's answer to: hi", "GPT's answer to: yo"]
    assert fakes.anthropic.last.json()["model"] == "claude-3-5-haiku-20241022"
    assert fakes.openai.last.json()["model"] == "gpt-5"


@pytest.mark.parametrize("engine", ["inprocess", "stepfunctions"])
def test_run_sends_an_sms_to_the_twilio_api_its_environment_names(
    engine: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(workflow(node("sms", "twilio-sms", to="+14155552671", body="hi"))))
    secrets = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": NUMBER,
    }
    given = [arg for name, value in secrets.items() for arg in ("--secret", f"{name}={value}")]

    with fake_twilio() as twilio:
        monkeypatch.setenv("STEPTHUNK_TWILIO_URL", twilio.base_url)
        code = main(["run", str(path), "--engine", engine, "--json", *given])

    record = json.loads(capsys.readouterr().out)
    assert code == 0, record
    assert record["nodeExecutions"][0]["outputs"]["status"] == "queued"
    assert twilio.sent().body == "hi"


@pytest.mark.parametrize("command", [["run", "-"], ["serve", "--port", "1"]])
def test_a_model_api_that_is_not_a_base_url_is_a_usage_error(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPTHUNK_OPENAI_URL", "https://api.openai.com/v1?key=1")

    code = main(command)

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.strip() == (
        "stepthunk: STEPTHUNK_OPENAI_URL: 'https://api.openai.com/v1?key=1' has a query, a "
        "fragment or credentials: give the base URL alone"
    )
