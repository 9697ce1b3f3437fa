"""Beginning an execution, once its workflow and inputs hold: the organization's secrets and
integrations its nodes may open (sealed, SPEC §7), the record before any node runs
(`executing`, or `exhausted` when its credits fall short), when Express would stop it, and the
results a retried execution starts with, handed to the units that own them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from lambdas.lifecycle import records
from lambdas.lifecycle.announce import announce
from lambdas.lifecycle.ports import RecordPorts
from lambdas.lifecycle.unit import PROGRESS_LIMIT
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import IntegrationVault, ProgressStore, SecretVault
from lambdas.runtime.record import ExecutionStatus, iso_utc
from lambdas.runtime.state import Sealed, WorkflowState
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import Workflow

Preload = Literal["secrets", "integrations"]


def begin(
    ports: RecordPorts, state: WorkflowState, status: ExecutionStatus, node_ids: Sequence[str]
) -> str:
    """Write and announce the record (`executing` or `exhausted`) of an execution no node has
    run in; return the time it gives. Its nodes are idle, but for those whose results a
    retried execution reuses: they stay as its submitted record showed them."""
    execution = state.execution
    now = ports.clock()
    payloads = Payloads(ports.values, execution.organization_id)
    reused = payloads.unpack_results(state.reused) if state.reused else {}
    record = records.unstarted(execution, status, node_ids, reused, now)
    ports.executions.put(record, session_id=execution.session_id)
    announce(ports.updates, execution, record)
    return now


def run_state(
    ports: RecordPorts,
    state: WorkflowState,
    workflow: Workflow,
    node_ids: Sequence[str],
    sealed: Sealed,
    units: int,
) -> WorkflowState:
    """Begin the execution (its `executing` record) and the state its units run with: the
    secrets and integrations `sealed` for it, how many units its plan has, when it started
    and when Express would stop it."""
    ready = state.model_copy(update={"sealed": sealed, "units": units})
    now = begin(ports, ready, ExecutionStatus.EXECUTING, node_ids)
    return ready.model_copy(update={"started_at": now, "ends_by": ends_by(workflow, now)})


def preloaded(
    state: WorkflowState,
    preload: Iterable[Preload],
    secrets: SecretVault,
    integrations: IntegrationVault,
) -> Sealed:
    """The organization's secrets and integrations that `preload` names, sealed: loaded once
    per execution, opened only by the node that uses one."""
    organization = state.execution.organization_id
    sealed = state.sealed
    if "secrets" in preload:
        sealed = sealed.model_copy(update={"secrets": secrets.sealed(organization)})
    if "integrations" in preload:
        sealed = sealed.model_copy(update={"integrations": integrations.sealed(organization)})
    return sealed


def ends_by(workflow: Workflow, started_at: str) -> str | None:
    """When Express stops a short-lived execution that started at `started_at`."""
    if not workflow.short_lived:
        return None
    return iso_utc(datetime.fromisoformat(started_at) + timedelta(seconds=EXPRESS_MAX_SECONDS))


def hand_out(
    state: WorkflowState,
    members: Sequence[Iterable[str]],
    payloads: Payloads,
    progress: ProgressStore,
) -> None:
    """Keep the results a retried execution starts with under the units of its plan (the
    node ids of each, in order), where each unit reads its own (the state carries none)."""
    reused = payloads.unpack_map(state.reused)
    by_unit: dict[int, dict[str, Any]] = {}
    for index, unit in enumerate(members):
        kept = {node_id: reused[node_id] for node_id in unit if node_id in reused}
        if kept:
            by_unit[index] = payloads.pack_map(kept, limit=PROGRESS_LIMIT)
    if by_unit:
        progress.put(state.execution.id, by_unit)
