"""DynamoDB write units per execution of the 20-node mixed workflow on the embedded engine, with
the executions table's indexes as they are (byWorkflowSummary, projecting the listing's summary
attributes) and as they were: byWorkflow projecting every attribute, and before that also a
byStatus index projecting every attribute, keyed by "<org>#<status>".

Every write request the run makes is recorded; each is priced as DynamoDB bills an on-demand
table: a write unit per started KB of the item as written (the larger of before and after for
an update), and for each global secondary index that holds the item before or after, another
write of its projected size (the table's and the index's keys and the projected attributes),
or two (a delete and a put) when the write changes the index's key; none when the write leaves
the item's projection in the index unchanged. Sizes are moto's, which counts names and values
as DynamoDB does, attribute by attribute.

    python -m bench.write_units
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bench.corpus import mixed
from lambdas.adapters.executions import INLINE_LIMIT
from lambdas.adapters.schema import BY_WORKFLOW, RETIRED, TABLES, Index, Table
from local.cloud import ACCOUNT, REGION
from local.embedded import TABLE_SETTINGS, EmbeddedEngine
from statemachine.validation import validate_workflow

KB = 1024
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
# An item as stored: each attribute's value and size (its name's bytes and its value's).
Stored = dict[str, tuple[Any, int]]


@dataclass
class Ledger:
    """The writes of one run: per table, the item before and after each (None: absent)."""

    writes: dict[str, list[tuple[Stored | None, Stored | None]]] = field(default_factory=dict)

    def units(self, table: str, spec: Table) -> int:
        """Write units of `table`'s writes, its keys and indexes those of `spec`."""
        keys = [key.name for key in (spec.partition, spec.sort) if key is not None]
        total = 0
        for old, new in self.writes.get(table, []):
            total += _units(max(_size(old), _size(new)))
            for index in spec.indexes:
                total += _index_units(index, keys, old, new)
        return total


def _index_units(index: Index, keys: list[str], old: Stored | None, new: Stored | None) -> int:
    """Write units of one table write in `index` (sparse: it holds items with its keys)."""
    index_keys = [key.name for key in (index.partition, index.sort) if key is not None]
    was, now = _projection(index, keys, old), _projection(index, keys, new)
    if was == now:
        return 0
    if was is not None and now is not None:
        moved = any(was[key][0] != now[key][0] for key in index_keys)
        if moved:
            return _units(_size(was)) + _units(_size(now))  # a delete and a put
        return _units(max(_size(was), _size(now)))
    return _units(_size(was) or _size(now))


def _projection(index: Index, keys: Iterable[str], item: Stored | None) -> Stored | None:
    """The item as `index` holds it (None: not in the index)."""
    index_keys = [key.name for key in (index.partition, index.sort) if key is not None]
    if item is None or any(key not in item for key in index_keys):
        return None
    if index.projected is None:
        return item
    kept = {*keys, *index_keys, *index.projected}
    return {name: value for name, value in item.items() if name in kept}


def _size(item: Stored | None) -> int:
    return sum(size for _, size in (item or {}).values())


def _units(size: int) -> int:
    return max(1, math.ceil(size / KB)) if size else 0


def record(engine: EmbeddedEngine) -> Ledger:
    """Run the mixed workflow once, recording every DynamoDB write and the item it changed."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT][REGION]
    ledger = Ledger()
    client = engine.cloud.client("dynamodb")

    def item_of(table: str, key: Mapping[str, Any]) -> Stored | None:
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.utilities import bytesize

        moto_table = backend.get_table(table)
        hash_key = DynamoType(key[moto_table.hash_key_attr])
        range_key = (
            DynamoType(key[moto_table.range_key_attr]) if moto_table.range_key_attr else None
        )
        found = moto_table.get_item(hash_key, range_key)
        if found is None:
            return None
        # what moto's Item.size() adds up
        return {k: (v.value, bytesize(k) + v.size()) for k, v in found.attrs.items()}

    def keys_of(table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        schema = backend.get_table(table).schema
        return {k["AttributeName"]: item[k["AttributeName"]] for k in schema}

    # what each thread's request in flight will change (the functions run side by side)
    pending: dict[int, list[tuple[str, Any, Stored | None]]] = {}

    def before(params: Mapping[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        mine = pending.setdefault(threading.get_ident(), [])
        for table, key in _targets(model.name, params, keys_of):
            mine.append((table, key, item_of(table, key)))

    def after(model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        mine = pending.get(threading.get_ident(), [])
        while mine:
            table, key, old = mine.pop(0)
            ledger.writes.setdefault(table, []).append((old, item_of(table, key)))

    client.meta.events.register("before-parameter-build.dynamodb", before)
    client.meta.events.register("after-call.dynamodb", after)
    try:
        workflow = validate_workflow(mixed(), engine.registry.catalog)
        engine.run(workflow)
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", before)
        client.meta.events.unregister("after-call.dynamodb", after)
    return ledger


def _targets(operation: str, params: Mapping[str, Any], keys_of: Any) -> list[tuple[str, Any]]:
    if operation in ("PutItem",):
        return [(params["TableName"], keys_of(params["TableName"], params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"])]
    if operation == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    found.append((table, keys_of(table, request["PutRequest"]["Item"])))
                else:
                    found.append((table, request["DeleteRequest"]["Key"]))
        return found
    found = []
    for item in params["TransactItems"]:
        ((kind, request),) = item.items()
        if kind == "Put":
            found.append((request["TableName"], keys_of(request["TableName"], request["Item"])))
        elif kind in ("Update", "Delete"):
            found.append((request["TableName"], request["Key"]))
    return found


def main() -> None:
    engine = EmbeddedEngine(credits=1_000_000)
    ledger = record(engine)
    tables = {engine.deployment.settings[TABLE_SETTINGS[name]]: name for name in TABLES}
    executions = engine.deployment.settings[TABLE_SETTINGS["executions"]]
    spec = TABLES["executions"]
    now = ledger.units(executions, spec)
    by_workflow = ledger.units(executions, replace(spec, indexes=(RETIRED[BY_WORKFLOW],)))
    # byStatus was keyed by "<org>#<status>": every status change moved the item in it
    by_status = _with_status_index(ledger, executions).units(
        executions, replace(spec, indexes=tuple(RETIRED.values()))
    )
    table_only = ledger.units(executions, replace(spec, indexes=()))
    others = sum(
        ledger.units(table, TABLES[tables[table]]) for table in ledger.writes if table != executions
    )
    writes = sum(len(w) for w in ledger.writes.values())
    print(f"20-node mixed, one execution: {writes} item writes")
    print(
        f"- executions table: {by_status} write units with byWorkflow and byStatus (both ALL), "
        f"{by_workflow} with byWorkflow (ALL), {now} with byWorkflowSummary (INCLUDE); "
        f"{table_only} of each the table's own"
    )
    print(f"- other tables: {others} write units")
    print(
        f"- per execution: {by_status + others} with byStatus, {by_workflow + others} with "
        f"byWorkflow, {now + others} now"
    )
    largest = _largest_record(ledger, executions)
    print(
        f"- a record write of {INLINE_LIMIT:,} bytes of JSON (the most kept in the item): "
        f"{largest.units(executions, replace(spec, indexes=()))} units in the table, "
        f"{largest.units(executions, replace(spec, indexes=(RETIRED[BY_WORKFLOW],)))} with "
        f"byWorkflow, {largest.units(executions, spec)} with byWorkflowSummary"
    )


def _largest_record(ledger: Ledger, table: str) -> Ledger:
    """The run's first record write as a new item, its record as large as an item holds."""
    from moto.dynamodb.models.utilities import bytesize

    new = next(new for _, new in ledger.writes[table] if new is not None and "record" in new)
    value, _ = new["record"]
    largest = {**new, "record": (value, bytesize("record") + INLINE_LIMIT)}
    return Ledger({table: [(None, largest)]})


def _with_status_index(ledger: Ledger, table: str) -> Ledger:
    """The ledger as it was when records also carried "<org>#<status>" (the byStatus key).

    The key is priced at no bytes, the items at the sizes measured today, as BENCHMARKS.md's
    figure was: its ~22 bytes put this workflow's final record (3,050 bytes) on the 3 KB
    boundary, 3 more units in some runs and not in others.
    """

    def status_keyed(item: Stored | None) -> Stored | None:
        if item is None or "status" not in item or "organizationId" not in item:
            return item
        return {**item, "orgStatus": (f"{item['organizationId'][0]}#{item['status'][0]}", 0)}

    shown = Ledger(dict(ledger.writes))
    shown.writes[table] = [
        (status_keyed(old), status_keyed(new)) for old, new in ledger.writes.get(table, [])
    ]
    return shown


if __name__ == "__main__":
    main()
