"""DynamoDB write units per execution of the 20-node mixed workflow on the embedded engine, with
the executions table's indexes as they are and as they were (a byStatus index projecting every
attribute, keyed by "<org>#<status>").

Every write request the run makes is recorded; each is priced as DynamoDB bills an on-demand
table: a write unit per started KB of the item as written (the larger of before and after for
an update), and for each global secondary index that projects the item, another write of its
projected size, or two (a delete and a put) when the write changes the index's key. Item sizes
are moto's, which counts names and values as DynamoDB does.

    python -m bench.write_units
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.corpus import mixed
from local.cloud import ACCOUNT, REGION
from local.embedded import EmbeddedEngine
from statemachine.validation import validate_workflow

KB = 1024
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass
class Ledger:
    """The writes of one run: per table, the (size before, size after, item after) of each."""

    writes: dict[str, list[tuple[int, int, dict[str, Any] | None, dict[str, Any] | None]]] = field(
        default_factory=dict
    )

    def units(self, table: str, indexes: Mapping[str, str]) -> int:
        """Write units of `table`'s writes with `indexes` (name -> key attribute, each
        projecting every attribute)."""
        total = 0
        for before, after, old, new in self.writes.get(table, []):
            total += _units(max(before, after))
            for key in indexes.values():
                old_key = (old or {}).get(key)
                new_key = (new or {}).get(key)
                if old_key is None and new_key is None:
                    continue
                if old_key is not None and new_key is not None and old_key != new_key:
                    total += _units(before) + _units(after)  # moved: a delete and a put
                else:
                    total += _units(max(before, after))
        return total


def _units(size: int) -> int:
    return max(1, math.ceil(size / KB)) if size else 0


def record(engine: EmbeddedEngine) -> Ledger:
    """Run the mixed workflow once, recording every DynamoDB write and the item it changed."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT][REGION]
    ledger = Ledger()
    client = engine.cloud.client("dynamodb")

    def item_of(table: str, key: Mapping[str, Any]) -> tuple[int, dict[str, Any] | None]:
        from moto.dynamodb.models.dynamo_type import DynamoType

        moto_table = backend.get_table(table)
        hash_key = DynamoType(key[moto_table.hash_key_attr])
        range_key = (
            DynamoType(key[moto_table.range_key_attr]) if moto_table.range_key_attr else None
        )
        found = moto_table.get_item(hash_key, range_key)
        if found is None:
            return 0, None
        return found.size(), {k: v.value for k, v in found.attrs.items()}

    def keys_of(table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        schema = backend.get_table(table).schema
        return {k["AttributeName"]: item[k["AttributeName"]] for k in schema}

    # what each thread's request in flight will change (the functions run side by side)
    pending: dict[int, list[tuple[str, Any, int, dict[str, Any] | None]]] = {}

    def before(params: Mapping[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        mine = pending.setdefault(threading.get_ident(), [])
        for table, key in _targets(model.name, params, keys_of):
            size, old = item_of(table, key)
            mine.append((table, key, size, old))

    def after(model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        mine = pending.get(threading.get_ident(), [])
        while mine:
            table, key, size, old = mine.pop(0)
            new_size, new = item_of(table, key)
            ledger.writes.setdefault(table, []).append((size, new_size, old, new))

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
    executions = engine.deployment.settings["executions_table"]
    now = ledger.units(executions, {"byWorkflow": "orgWorkflow"})
    # byStatus was keyed by "<org>#<status>": every status change moved the item in it
    was = _with_status_index(ledger, executions).units(
        executions, {"byWorkflow": "orgWorkflow", "byStatus": "orgStatus"}
    )
    others = sum(ledger.units(table, {}) for table in ledger.writes if table != executions)
    writes = sum(len(w) for w in ledger.writes.values())
    print(f"20-node mixed, one execution: {writes} item writes")
    print(f"- executions table: {was} write units with byStatus (before), {now} without (after)")
    print(f"- other tables: {others} write units")
    print(f"- per execution: {was + others} before, {now + others} after")


def _with_status_index(ledger: Ledger, table: str) -> Ledger:
    """The ledger as it was when records also carried "<org>#<status>" (the byStatus key)."""

    def status_keyed(item: dict[str, Any] | None) -> dict[str, Any] | None:
        if item is None or "status" not in item or "organizationId" not in item:
            return item
        return {**item, "orgStatus": f"{item['organizationId']}#{item['status']}"}

    shown = Ledger(dict(ledger.writes))
    shown.writes[table] = [
        (before, after, status_keyed(old), status_keyed(new))
        for before, after, old, new in ledger.writes.get(table, [])
    ]
    return shown


if __name__ == "__main__":
    main()
