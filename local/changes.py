"""What changed in the local cloud's tables and buckets since it was last asked: the keys of
the items and objects that requests may have written, so that a saved copy writes only those.

A request whose changes cannot be pinned to keys (creating a table, a bucket-wide request)
marks its table or bucket as changed throughout. Only the tables and buckets someone watches
are recorded, so that a cloud whose data no one saves keeps no record that grows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The key attribute names of a table (partition, then sort), or None for a table moto does
# not know (a request naming it fails).
KeyNames = Callable[[str], tuple[str, ...] | None]
# DynamoDB actions that write the items their `Key` names.
KEYED_WRITES = frozenset({"UpdateItem", "DeleteItem"})


@dataclass
class Changes:
    """Keys changed per table (each a DynamoDB key as compact JSON text) and per bucket,
    and the tables and buckets changed throughout."""

    items: dict[str, set[str]] = field(default_factory=dict)
    objects: dict[str, set[str]] = field(default_factory=dict)
    throughout: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.items or self.objects or self.throughout)

    def merge(self, other: Changes) -> None:
        for name, keys in other.items.items():
            self.items.setdefault(name, set()).update(keys)
        for name, keys in other.objects.items():
            self.objects.setdefault(name, set()).update(keys)
        self.throughout |= other.throughout


class ChangeLog:
    """The changes the local cloud served and no one has taken yet (thread-safe)."""

    def __init__(self) -> None:
        self._pending = Changes()
        self._watched: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def watch(self, names: Iterable[str]) -> None:
        """Record the changes of these tables and buckets from now on."""
        with self._lock:
            self._watched |= set(names)

    def watches(self, name: str) -> bool:
        return name in self._watched

    def item(self, table: str, key: Mapping[str, Any]) -> None:
        if table in self._watched:
            with self._lock:
                self._pending.items.setdefault(table, set()).add(key_text(key))

    def object(self, bucket: str, key: str) -> None:
        if bucket in self._watched:
            with self._lock:
                self._pending.objects.setdefault(bucket, set()).add(key)

    def throughout(self, name: str) -> None:
        if name in self._watched:
            with self._lock:
                self._pending.throughout.add(name)

    def take(self, *, tables: Iterable[str] = (), buckets: Iterable[str] = ()) -> Changes:
        """The changes to these tables and buckets, which are forgotten here.

        A change is recorded once its request is done: whoever reads the items and objects
        after taking them sees every change taken.
        """
        taken = Changes()
        with self._lock:
            for table in tables:
                if (keys := self._pending.items.pop(table, None)) is not None:
                    taken.items[table] = keys
            for bucket in buckets:
                if (keys := self._pending.objects.pop(bucket, None)) is not None:
                    taken.objects[bucket] = keys
            for name in (*tables, *buckets):
                if name in self._pending.throughout:
                    self._pending.throughout.discard(name)
                    taken.throughout.add(name)
        return taken

    def give_back(self, changes: Changes) -> None:
        """Record `changes` again (they were taken, but not saved)."""
        with self._lock:
            self._pending.merge(changes)


def key_text(key: Mapping[str, Any]) -> str:
    """A DynamoDB key (attribute name -> typed value) as one text, the same for equal keys."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


def record_dynamodb(
    log: ChangeLog, action: str, params: Mapping[str, Any], key_names: KeyNames
) -> None:
    """Record what a DynamoDB request that may write (`action`, with its `params`) changed."""

    def item(table: Any, values: Any) -> None:
        if not isinstance(table, str) or not log.watches(table):
            return
        names = key_names(table)
        if names is None or not isinstance(values, Mapping):
            return  # the request named no table that exists: it changed nothing
        if all(name in values for name in names):
            log.item(table, {name: values[name] for name in names})
        else:
            log.throughout(table)

    if action == "PutItem":
        item(params.get("TableName"), params.get("Item"))
    elif action in KEYED_WRITES:
        item(params.get("TableName"), params.get("Key"))
    elif action == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                item(table, (put or {}).get("Item") if put else (delete or {}).get("Key"))
    elif action == "TransactWriteItems":
        for write in params.get("TransactItems") or []:
            for kind, operation in write.items():
                if kind != "ConditionCheck":
                    values = operation.get("Item") if kind == "Put" else operation.get("Key")
                    item(operation.get("TableName"), values)
    else:
        for table in tables_named(params):
            log.throughout(table)


def tables_named(params: Mapping[str, Any]) -> set[str]:
    """The tables a DynamoDB request names: `TableName`, `RequestItems`, `TransactItems`."""
    tables = {params["TableName"]} if isinstance(params.get("TableName"), str) else set()
    tables.update(params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        for operation in item.values():
            tables.add(operation.get("TableName", ""))
    return tables
