"""The state dir in-process: saving in the background and at the end, restoring, refusing damage.

(tests/api/test_serve_command.py restarts a real `stepthunk serve` with its state dir.)
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from lambdas.adapters.api_keys import DynamoApiKeyStore
from local.cli import main
from local.cloud import ACCOUNT, REGION, LocalCloud
from local.snapshot import SNAPSHOT, StateDir, StateDirError


@pytest.fixture
def cloud() -> LocalCloud:
    return LocalCloud.shared()


def state_dir(path: Path, cloud: LocalCloud, interval: float = 3600) -> StateDir:
    """A state dir whose engine has resources of its own in this process's cloud."""
    return StateDir(path, interval=interval, cloud=cloud, prefix=f"state-{uuid.uuid4().hex[:8]}")


def saved_secrets(path: Path) -> list[str]:
    saved = json.loads((path / SNAPSHOT).read_text())
    return sorted(item["name"]["S"] for item in saved["tables"]["secrets"])


def test_data_is_saved_in_the_background_while_serving(tmp_path: Path, cloud: LocalCloud) -> None:
    state = state_dir(tmp_path, cloud, interval=0.05)
    engine = state.open_engine()
    state.start_autosave()
    try:
        engine.secrets.put("org", "EARLY", "value")
        give_up = time.monotonic() + 10
        while not (tmp_path / SNAPSHOT).exists() or saved_secrets(tmp_path) != ["EARLY"]:
            assert time.monotonic() < give_up, "nothing saved in the background"
            time.sleep(0.02)
    finally:
        state.stop()


def test_stopping_saves_what_came_after_the_last_background_save(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)  # the background would save only in an hour
    engine = state.open_engine()
    state.start_autosave()
    engine.secrets.put("org", "LATE", "value")
    state.stop()
    assert saved_secrets(tmp_path) == ["LATE"]


def test_a_restored_engine_opens_secrets_and_knows_keys_saved_by_another(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    before = state_dir(tmp_path, cloud)
    old = before.open_engine()
    old.secrets.put("org", "TOKEN", "sealed-before")
    key = DynamoApiKeyStore(old.clients.dynamodb, old.deployment.settings["api_keys_table"])
    api_key = key.create("org")
    before.save()
    # As in a new process: the key that sealed the secret is gone from KMS.
    from moto.kms.models import kms_backends

    del kms_backends[ACCOUNT][REGION].keys[old.deployment.settings["kms_key_id"]]

    restored = state_dir(tmp_path, cloud).open_engine()
    sealed = restored.secrets.sealed("org")
    assert restored.secrets.open("org", sealed["TOKEN"]) == "sealed-before"
    keys = DynamoApiKeyStore(
        restored.clients.dynamodb, restored.deployment.settings["api_keys_table"]
    )
    assert keys.organization_of(api_key) == "org"
    restored.secrets.put("org", "NEW", "sealed-after")
    assert restored.secrets.open("org", restored.secrets.sealed("org")["NEW"]) == "sealed-after"


def test_saving_an_unchanged_engine_writes_nothing(tmp_path: Path, cloud: LocalCloud) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    assert state.save() is True
    assert state.save() is False
    engine.secrets.put("org", "CHANGE", "value")
    assert state.save() is True


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"format": 99}'])
def test_a_damaged_state_file_is_refused_with_a_message(
    tmp_path: Path, cloud: LocalCloud, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / SNAPSHOT).write_bytes(content)
    with pytest.raises(StateDirError, match=SNAPSHOT):
        state_dir(tmp_path, cloud).open_engine()
    assert main(["serve", "--port", "1", "--state-dir", str(tmp_path)]) == 2
    assert SNAPSHOT in capsys.readouterr().err


def test_a_state_dir_that_is_a_file_is_refused(tmp_path: Path, cloud: LocalCloud) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StateDirError, match="not a directory"):
        state_dir(tmp_path / "file", cloud).open_engine()
