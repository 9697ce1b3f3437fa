"""What the CLI refuses before anything runs, where the test takes a port no server listens
on: API keys no HTTP request could carry (tests/unit/test_cli_refusals.py has the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.cli import main
from tests.support.http_server import unused_port


@pytest.mark.parametrize(
    "key",
    [
        " padded",
        "padded ",
        "\tpadded",
        "clé-secrète",
        "key\u00a0nbsp",
        "tab\tinside",
        "line\nbreak",
    ],
)
def test_serve_refuses_an_api_key_no_http_request_could_carry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    args = ["--port", str(unused_port()), "--state-dir", str(not_a_dir)]

    assert main(["serve", *args, "--api-key", f"{key}:acme"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""  # no banner: nothing started
    assert "--api-key for organization 'acme': An API key " in captured.err
    assert key.strip() not in captured.err  # a credential is not repeated
