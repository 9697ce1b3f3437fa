"""Executions nothing runs any more end in `error`: those serve ran when it stopped (found
running at a `--state-dir` restore), and those of an execution worker that ended (killed, out
of memory) while serve goes on."""

from __future__ import annotations

from collections.abc import Iterable

from lambdas.lifecycle import records
from lambdas.lifecycle.announce import announce
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import ExecutionStatus, NodeExecution, utc_now
from local.embedded import TABLE_SETTINGS, EmbeddedEngine

RUNNING = frozenset({ExecutionStatus.SUBMITTED, ExecutionStatus.EXECUTING})
# The error of an execution whose worker ended while serve went on.
WORKER_ENDED = "Interrupted: the execution worker running it ended"


def end_interrupted(
    engine: EmbeddedEngine, execution_ids: Iterable[str], message: str, *, announced: bool
) -> int:
    """End each of `execution_ids` still running in `error` with `message`; how many ended.
    What its units completed stays completed (it was kept, and it is charged no more), a node
    still executing fails with `message`. `announced`: its session and subscribers get the
    final record, as at any end."""
    ended = 0
    for execution_id in execution_ids:
        record = engine.executions.get(execution_id)
        if record is None or record.status not in RUNNING:
            continue
        # a workflow has no more units than nodes
        kept = engine.progress.get(record.id, range(len(record.node_executions)))
        payloads = Payloads(engine.values, record.organization_id)
        ran: dict[str, NodeExecution] = {}
        for results in kept.values():
            ran.update(payloads.unpack_results(results))
        final = records.interrupted(record, ran, message, utc_now())
        engine.executions.put(final)
        engine.progress.delete(record.id, kept)
        if announced:
            handle = engine.executions.handle(record.id)
            session = None if handle is None else handle.session_id
            announce(engine.ports.updates, records.execution_of(final, session), final)
        ended += 1
    return ended


def with_calls(engine: EmbeddedEngine, execution_ids: Iterable[str]) -> list[str]:
    """`execution_ids` and the running executions they called, directly or through others
    (a call runs where its caller runs)."""
    table = engine.deployment.settings[TABLE_SETTINGS["executions"]]
    pages = engine.clients.dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression="id, #status",
        ExpressionAttributeNames={"#status": "status"},
    )
    running = [
        item["id"]["S"]
        for page in pages
        for item in page["Items"]
        if item.get("status", {}).get("S") in RUNNING
    ]
    calls: dict[str, list[str]] = {}
    for execution_id in running:  # the caller is in the record, not an attribute of its own
        record = engine.executions.get(execution_id)
        if record is not None and record.parent_execution_id is not None:
            calls.setdefault(record.parent_execution_id, []).append(record.id)
    found: list[str] = []
    pending = list(execution_ids)
    while pending:
        execution_id = pending.pop()
        if execution_id not in found:
            found.append(execution_id)
            pending.extend(calls.get(execution_id, []))
    return found
