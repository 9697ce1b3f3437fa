"""Organization ids on the command line: one documented set of characters, refused otherwise."""

from __future__ import annotations

import pytest

from local.cli import main

REFUSED = ["tenant/flow", "a#b", "org:x", "-leading", "ünï", "with space", "x" * 65, ""]


@pytest.mark.parametrize("organization", REFUSED)
def test_keys_create_refuses_an_organization_id_outside_the_set(
    organization: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "create", f"--org={organization}", "--table", "keys"])
    printed = capsys.readouterr()
    assert (exited.value.code, printed.out) == (2, "")
    assert "argument --org" in printed.err
    assert "an organization id is 1 to 64 ASCII letters, digits" in printed.err
    assert "Traceback" not in printed.err


@pytest.mark.parametrize("command", [["credits", "set", "--credits", "5"], ["run", "x.json"]])
def test_every_command_taking_an_organization_refuses_the_same_ids(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--org", "tenant/flow"])
    assert exited.value.code == 2
    assert "an organization id is 1 to 64" in capsys.readouterr().err
