"""Finishing an execution: its final record, from its last state and what its units kept,
charged once, with the update that says how it ended."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lambdas.lifecycle import records
from lambdas.lifecycle.announce import announce
from lambdas.lifecycle.ports import ExecutionPorts
from lambdas.runtime.credits import charge
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import FINAL_STATUSES, ExecutionRecord
from lambdas.runtime.state import WorkflowState

logger = logging.getLogger("stepthunk")


def finish(ports: ExecutionPorts, state: WorkflowState, node_ids: Sequence[str]) -> ExecutionRecord:
    """Store the final record from the last state and what the units kept, charge it (once),
    forget the units' results and send the final update. A retry of a Finish that stored
    the record already charges and announces that record: the units' results may be gone."""
    execution = state.execution
    units = range(state.units)
    written = _written(ports, execution.id)
    if written is None:
        payloads = Payloads(ports.values, execution.organization_id)
        kept = ports.progress.get(execution.id, units)
        record = records.final(state, node_ids, payloads, (kept[u] for u in units if u in kept))
    else:
        record = written
    if not ports.development and not charge(ports.organizations, record):
        logger.info("Nothing charged", extra={"executionId": execution.id})
    if written is None:
        ports.executions.put(record, session_id=execution.session_id)
        ports.progress.delete(execution.id, kept)  # the record holds them now
    else:
        ports.progress.delete(execution.id, units)  # what the first attempt may have left
    announce(ports.updates, execution, record)
    return record


def _written(ports: ExecutionPorts, execution_id: str) -> ExecutionRecord | None:
    """The final record a Finalize wrote before, when this one is its retry."""
    if ports.executions.status(execution_id) not in FINAL_STATUSES:
        return None
    return ports.executions.get(execution_id)
