"""The files of a state dir: a base snapshot and a journal of what changed since it.

`state.json` holds every saved item and object (written whole, atomically, when the journal
has grown past it, and at each start); `journal.<generation>.jsonl` holds one line per item or
object written since that base, in order, each line the item's or object's latest content (or
its deletion). A save therefore writes in proportion to what changed, and the journal's
bytes never pass the base's for long: writing the base again costs no more than the journal
lines it replaces. A line cut short by a crash is the last one and is ignored; so are the
temporary files of a base being written and journals of another generation, which are
removed at the next start.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lambdas.adapters.schema import TABLES
from local.changes import key_text

SNAPSHOT = "state.json"
FORMAT = 2
READABLE_FORMATS = frozenset({1, 2})  # format 1: a base alone, no generation, no journal
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".state-", ".tmp"
JOURNAL_PREFIX, JOURNAL_SUFFIX = "journal.", ".jsonl"
Item = dict[str, Any]
Stored = dict[str, Any]  # an object: key, body (base64), contentType, metadata


class StateDirError(ValueError):
    """The state dir cannot be used (not a directory, or a file this version cannot read)."""


@dataclass
class Saved:
    """What the files of a state dir hold: the base with the journal applied."""

    kms: dict[str, str]
    tables: dict[str, list[Item]]
    objects: list[Stored]
    generation: int = 0


@dataclass
class Base:
    """What a new base holds, each part produced as it is written (so that it is never all
    in memory at once): the KMS key, the items of each table, the objects."""

    kms: dict[str, str]
    tables: Iterable[tuple[str, Iterable[Item]]]
    objects: Iterable[Stored]


@dataclass
class StateFiles:
    """The base and journal of the state dir at `path`, as one writer keeps them."""

    path: Path
    generation: int = 0
    base_bytes: int | None = None  # None: no base written yet
    journal_bytes: int = 0
    damaged: bool = False  # a journal write failed: its last line may be cut short
    _journal: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base(self) -> Path:
        return self.path / SNAPSHOT

    @property
    def needs_base(self) -> bool:
        """Whether the next save must write a base: there is none, the journal outgrew it,
        or a journal write failed (a line after a cut one could not be read)."""
        return self.base_bytes is None or self.damaged or self.journal_bytes > self.base_bytes

    def journal(self, generation: int) -> Path:
        return self.path / f"{JOURNAL_PREFIX}{generation}{JOURNAL_SUFFIX}"

    def load(self) -> Saved | None:
        """The saved data (None when there is none), after removing what a crash left."""
        for leftover in self.path.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
            leftover.unlink(missing_ok=True)
        saved = read_saved(self.path)
        current = None
        if saved is not None:
            self.generation, self.base_bytes = saved.generation, self.base.stat().st_size
            current = self.journal(saved.generation)
        for journal in self.path.glob(f"{JOURNAL_PREFIX}*{JOURNAL_SUFFIX}"):
            if journal != current:
                journal.unlink(missing_ok=True)
        return saved

    def write_base(self, base: Base) -> None:
        """Replace the base with `base`, as generation + 1, and drop the journal of the old."""
        self.close()
        old = self.journal(self.generation)
        generation = self.generation + 1
        self.base_bytes = _write_atomically(self.base, _base_chunks(base, generation))
        self.generation, self.journal_bytes, self.damaged = generation, 0, False
        old.unlink(missing_ok=True)

    def append(self, lines: Iterable[dict[str, Any]]) -> None:
        """Append `lines` to the journal, one at a time as they come, and wait until they
        are on disk. After a failure the next save writes a base (a line may be cut short)."""
        try:
            if self._journal is None:
                handle = os.open(
                    self.journal(self.generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
                )
                self._journal = os.fdopen(handle, "ab")
            for line in lines:
                data = _dumps(line) + b"\n"
                self._journal.write(data)
                self.journal_bytes += len(data)
            self._journal.flush()
            os.fsync(self._journal.fileno())
        except BaseException:
            self.damaged = True
            self.close()
            raise

    def close(self) -> None:
        if self._journal is not None:
            journal, self._journal = self._journal, None
            journal.close()


def item_line(table: str, key: Item, item: Item | None) -> dict[str, Any]:
    """The journal line of an item of `table` (logical name): its content, or None if deleted."""
    return {"table": table, "key": key, "item": item}


def object_line(key: str, stored: Stored | None) -> dict[str, Any]:
    """The journal line of an object: its content, or None if deleted."""
    return {"object": key, "stored": stored}


def read_saved(path: Path) -> Saved | None:
    """The data saved in the state dir at `path`, its journal applied; None if there is none."""
    base_file = path / SNAPSHOT
    if not base_file.exists():
        return None
    try:
        base: dict[str, Any] = json.loads(base_file.read_bytes())
    except (OSError, ValueError) as error:
        raise StateDirError(f"Cannot read {base_file}: {error}") from None
    if not isinstance(base, dict) or base.get("format") not in READABLE_FORMATS:
        raise StateDirError(f"{base_file} is not a state file this version can read")
    try:
        return _applied(base, path)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, StateDirError):
            raise
        raise StateDirError(f"{base_file} is not a state file this version can read") from None


def _applied(base: dict[str, Any], path: Path) -> Saved:
    generation = int(base.get("generation", 0))
    tables = {
        name: {key_text(key_of(name, item)): item for item in items}
        for name, items in base["tables"].items()
    }
    objects = {stored["key"]: stored for stored in base["objects"]}
    for line in _journal_lines(path / f"{JOURNAL_PREFIX}{generation}{JOURNAL_SUFFIX}"):
        if "table" in line:
            items = tables.setdefault(line["table"], {})
            if line["item"] is None:
                items.pop(key_text(line["key"]), None)
            else:
                items[key_text(line["key"])] = line["item"]
        elif line["stored"] is None:
            objects.pop(line["object"], None)
        else:
            objects[line["object"]] = line["stored"]
    return Saved(
        kms=base["kms"],
        tables={name: list(items.values()) for name, items in tables.items()},
        objects=[objects[key] for key in sorted(objects)],
        generation=generation,
    )


def key_of(table: str, item: Item) -> Item:
    """The key attributes of an item of `table` (logical name)."""
    schema = TABLES[table]
    names = [schema.partition.name] + ([schema.sort.name] if schema.sort else [])
    return {name: item[name] for name in names}


def _journal_lines(journal: Path) -> Iterator[dict[str, Any]]:
    if not journal.exists():
        return
    try:
        data = journal.read_bytes()
    except OSError as error:
        raise StateDirError(f"Cannot read {journal}: {error}") from None
    lines = data.split(b"\n")
    # The text after the last newline is a line whose writing a crash cut short, or nothing.
    for number, line in enumerate(lines[:-1], start=1):
        try:
            parsed = json.loads(line)
        except ValueError as error:
            raise StateDirError(f"Cannot read {journal}, line {number}: {error}") from None
        if not isinstance(parsed, dict) or not ({"table", "object"} & parsed.keys()):
            raise StateDirError(f"{journal}, line {number}, is not a journal line")
        yield parsed


def _base_chunks(base: Base, generation: int) -> Iterator[bytes]:
    """The base as JSON, in pieces of one item or object each."""
    header = {"format": FORMAT, "generation": generation, "kms": base.kms}
    yield _dumps(header)[:-1] + b',"tables":{'
    for index, (name, items) in enumerate(base.tables):
        yield (b"," if index else b"") + _dumps(name) + b":["
        for number, item in enumerate(items):
            yield (b"," if number else b"") + _dumps(item)
        yield b"]"
    yield b'},"objects":['
    for number, stored in enumerate(base.objects):
        yield (b"," if number else b"") + _dumps(stored)
    yield b"]}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _write_atomically(target: Path, chunks: Iterable[bytes]) -> int:
    """Replace `target` with the concatenated `chunks` so that a crash leaves either the old
    or the new file (and at worst a temporary file, removed at the next start); the size."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX
    )
    size = 0
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp: readable by its owner only
            for chunk in chunks:
                file.write(chunk)
                size += len(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return size
