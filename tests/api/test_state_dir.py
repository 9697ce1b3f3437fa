"""The state dir in-process: saving in the background and at the end, restoring, refusing damage.

(tests/api/test_serve_command.py restarts a real `stepthunk serve` with its state dir.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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
from local.snapshot import StateDir
from local.state_files import SNAPSHOT, StateDirError, read_saved
from tests.support.http_server import unused_port


@pytest.fixture
def cloud() -> LocalCloud:
    return LocalCloud.shared()


def state_dir(path: Path, cloud: LocalCloud, interval: float = 3600) -> StateDir:
    """A state dir whose engine has resources of its own in this process's cloud."""
    return StateDir(path, interval=interval, cloud=cloud, prefix=f"state-{uuid.uuid4().hex[:8]}")


def saved_secrets(path: Path) -> list[str]:
    saved = read_saved(path)
    assert saved is not None
    return sorted(item["name"]["S"] for item in saved.tables["secrets"])


def saved_objects(path: Path) -> list[str]:
    saved = read_saved(path)
    assert saved is not None
    return [stored["key"] for stored in saved.objects]


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
    """The table scans, bucket listings and item reads of `engine`'s stores while in the
    block."""
    settings = engine.deployment.settings
    ours = {settings[name] for name in (*TABLE_SETTINGS.values(), "blob_bucket")}
    seen: list[str] = []

    def count(params: dict[str, Any], **kwargs: Any) -> None:
        name = str(params.get("TableName", params.get("Bucket")))
        if name in ours:
            seen.append(name)

    events = [
        (engine.clients.dynamodb, "before-parameter-build.dynamodb.Scan"),
        (engine.clients.dynamodb, "before-parameter-build.dynamodb.GetItem"),
        (engine.clients.s3, "before-parameter-build.s3.ListObjectsV2"),
    ]
    for client, event in events:
        client.meta.events.register(event, count)
    try:
        yield seen
    finally:
        for client, event in events:
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
    assert key in saved_objects(tmp_path)
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


def files_in(path: Path) -> dict[str, tuple[int, int]]:
    """Each file of a directory: its inode and size."""
    return {entry.name: (entry.stat().st_ino, entry.stat().st_size) for entry in path.iterdir()}


def bytes_written(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    """What was written between two looks at a directory: each new or replaced file whole,
    and what the others grew by."""
    written = 0
    for name, (inode, size) in after.items():
        old_inode, old_size = before.get(name, (None, 0))
        written += size - old_size if inode == old_inode else size
    return written


def test_a_save_writes_what_changed_not_everything_stored(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    engine.values.put_value("org", os.urandom(1_000_000))
    engine.secrets.put("org", "FIRST", "value")
    assert state.save() is True
    assert sum(size for _, size in files_in(tmp_path).values()) > 1_000_000

    before = files_in(tmp_path)
    with reads_of(engine) as reads:
        engine.secrets.put("org", "SECOND", "value")
        assert state.save() is True

    assert bytes_written(before, files_in(tmp_path)) < 10_000
    assert reads == [engine.deployment.settings["secrets_table"]]  # the changed item alone
    assert saved_secrets(tmp_path) == ["FIRST", "SECOND"]


def test_a_restart_restores_the_changes_saved_since_the_last_full_save(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    engine.secrets.put("org", "GONE", "value")
    engine.secrets.put("org", "CHANGED", "old")
    old_key = engine.values.put_value("org", b"a value from before")
    assert state.save() is True
    engine.secrets.delete("org", "GONE")
    engine.secrets.put("org", "CHANGED", "new")
    new_key = engine.values.put_value("org", b"a value from after")
    assert state.save() is True
    assert len(list(tmp_path.glob("journal.*.jsonl"))) == 1

    restored = state_dir(tmp_path, cloud).open_engine()

    assert restored.secrets.names("org") == ["CHANGED"]
    assert restored.secrets.open("org", restored.secrets.sealed("org")["CHANGED"]) == "new"
    assert restored.values.get_value(old_key) == b"a value from before"
    assert restored.values.get_value(new_key) == b"a value from after"


def test_changes_are_written_into_the_full_save_once_they_outgrow_it(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    assert state.save() is True
    base = (tmp_path / SNAPSHOT).stat()
    key = engine.values.put_value("org", os.urandom(2 * base.st_size))
    assert state.save() is True
    assert (tmp_path / SNAPSHOT).stat().st_ino == base.st_ino  # appended after it

    engine.secrets.put("org", "LATER", "value")
    assert state.save() is True

    assert (tmp_path / SNAPSHOT).stat().st_size > 2 * base.st_size  # written again, whole
    assert sorted(files_in(tmp_path)) == [SNAPSHOT]
    restored = state_dir(tmp_path, cloud).open_engine()
    assert restored.secrets.names("org") == ["LATER"]
    assert len(restored.values.get_value(key)) == 2 * base.st_size


def test_a_change_cut_short_by_a_crash_is_ignored_at_the_next_start(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)
    engine = state.open_engine()
    assert state.save() is True
    engine.secrets.put("org", "KEPT", "value")
    assert state.save() is True
    [journal] = tmp_path.glob("journal.*.jsonl")
    with journal.open("ab") as file:
        file.write(b'{"item":{"name":{"S":"CUT')  # a kill -9 in the middle of a line

    restored = state_dir(tmp_path, cloud).open_engine()

    assert restored.secrets.names("org") == ["KEPT"]
    assert sorted(files_in(tmp_path)) == [SNAPSHOT]


def test_a_cloud_keeps_no_record_of_changes_no_state_dir_saves(cloud: LocalCloud) -> None:
    engine = EmbeddedEngine(cloud=cloud)  # as `serve` without --state-dir, or `run`
    engine.secrets.put("org", "UNSAVED", "value")
    engine.values.put_value("org", b"unsaved")

    settings = engine.deployment.settings
    changes = cloud.changes.take(
        tables=[settings["secrets_table"]], buckets=[settings["blob_bucket"]]
    )
    assert not changes


def test_what_a_failed_save_could_not_write_is_written_by_the_next(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    path = tmp_path / "state"
    state = state_dir(path, cloud)
    engine = state.open_engine()
    assert state.save() is True
    engine.secrets.put("org", "LATE", "value")
    shutil.rmtree(path)  # the next write fails
    with pytest.raises(FileNotFoundError):
        state.save()
    path.mkdir()

    assert state.save() is True

    assert saved_secrets(path) == ["LATE"]


# A save in another process that stops in the middle of writing a file, where a kill -9 finds it.
STUCK_WRITER = """
import os, sys, time
from pathlib import Path
from local.snapshot import StateDir

def stuck(descriptor):
    print("writing", flush=True)
    time.sleep(600)

os.fsync = stuck
state = StateDir(Path(sys.argv[1]))
state.open_engine().secrets.put("org", "LOST", "value")
state.save()
"""


def test_a_kill_during_a_write_leaves_no_temporary_file_at_the_next_start(
    tmp_path: Path, cloud: LocalCloud
) -> None:
    state = state_dir(tmp_path, cloud)
    state.open_engine().secrets.put("org", "KEPT", "value")
    assert state.save() is True
    writer = subprocess.Popen(
        [sys.executable, "-c", STUCK_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert list(tmp_path.glob(".state-*.tmp"))  # what the kill left behind

    restored = state_dir(tmp_path, cloud).open_engine()

    assert not list(tmp_path.glob(".state-*.tmp"))
    assert restored.secrets.names("org") == ["KEPT"]
