"""The state dir in-process: saving in the background and at the end, restoring, refusing damage.

(tests/api/test_serve_command.py restarts a real `stepthunk serve` with its state dir.)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lambdas.adapters.api_keys import DynamoApiKeyStore
from local.cli import main
from local.cloud import ACCOUNT, REGION, LocalCloud
from local.embedded import TABLE_SETTINGS, EmbeddedEngine
from local.snapshot import SNAPSHOT, StateDir, StateDirError
from tests.conformance.http_server import unused_port


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


@contextmanager
def reads_of(engine: EmbeddedEngine) -> Iterator[list[str]]:
    """The table scans and bucket listings of `engine`'s stores while in the block."""
    settings = engine.deployment.settings
    ours = {settings[name] for name in (*TABLE_SETTINGS.values(), "blob_bucket")}
    seen: list[str] = []

    def count(params: dict[str, Any], **kwargs: Any) -> None:
        name = str(params.get("TableName", params.get("Bucket")))
        if name in ours:
            seen.append(name)

    clients = [engine.clients.dynamodb, engine.clients.s3]
    events = ["before-parameter-build.dynamodb.Scan", "before-parameter-build.s3.ListObjectsV2"]
    for client, event in zip(clients, events, strict=True):
        client.meta.events.register(event, count)
    try:
        yield seen
    finally:
        for client, event in zip(clients, events, strict=True):
            client.meta.events.unregister(event, count)


def test_an_idle_state_dir_reads_and_writes_nothing(tmp_path: Path, cloud: LocalCloud) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    engine.secrets.put("org", "KEPT", "value")
    assert state.save() is True
    written = (tmp_path / SNAPSHOT).stat().st_mtime_ns
    other = EmbeddedEngine(cloud=cloud)  # another deployment's changes are not ours
    with reads_of(engine) as reads:
        other.secrets.put("org", "ELSEWHERE", "value")
        other.values.put_value("org", b"elsewhere")
        assert [state.save() for _ in range(5)] == [False] * 5
    assert reads == []
    assert (tmp_path / SNAPSHOT).stat().st_mtime_ns == written

    key = engine.values.put_value("org", b"a large value")  # a change to the bucket alone
    assert state.save() is True
    saved = json.loads((tmp_path / SNAPSHOT).read_text())
    assert key in [stored["key"] for stored in saved["objects"]]
    with reads_of(engine) as reads:
        engine.secrets.put("org", "CHANGED", "value")
        assert state.save() is True
    assert reads
    assert saved_secrets(tmp_path) == ["CHANGED", "KEPT"]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"format": 99}'])
def test_a_damaged_state_file_is_refused_with_a_message(
    tmp_path: Path, cloud: LocalCloud, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / SNAPSHOT).write_bytes(content)
    with pytest.raises(StateDirError, match=SNAPSHOT):
        state_dir(tmp_path, cloud).open_engine()
    assert main(["serve", "--port", str(unused_port()), "--state-dir", str(tmp_path)]) == 2
    assert SNAPSHOT in capsys.readouterr().err


def test_a_state_dir_that_is_a_file_is_refused(tmp_path: Path, cloud: LocalCloud) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StateDirError, match="not a directory"):
        state_dir(tmp_path / "file", cloud).open_engine()
