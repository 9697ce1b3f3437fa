"""In-memory ports for the in-process engine: the stores, vaults and live updates the
lifecycle runs on (lambdas.lifecycle.ports), kept in dicts for the life of the engine."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError
from lambdas.runtime.payload import value_key
from lambdas.runtime.ports import (
    ExecutionHandle,
    ExecutionOrigin,
    Organization,
    Page,
)
from lambdas.runtime.record import (
    FINAL_STATUSES,
    ExecutionRecord,
    ExecutionStatus,
    ExecutionSummary,
)
from lambdas.runtime.store_errors import ObjectMissing


class MemoryBlobStore:
    """Blobs kept in a dict for the life of the process."""

    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}

    def put(self, blob: Blob) -> dict[str, Any]:
        blob_id = str(uuid.uuid4())
        self._blobs[blob_id] = blob
        reference = {"id": blob_id, "mimeType": blob.mime_type}
        if blob.filename is not None:
            reference["filename"] = blob.filename
        return reference

    def get(self, reference: dict[str, Any]) -> Blob:
        blob = self._blobs.get(reference["id"])
        if blob is None:
            raise NodeError(f"Blob '{reference['id']}' not found")
        return blob


class MemoryValueStore:
    """Large values and documents by their content, as the value store on S3 keeps them."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}

    def put_value(self, organization_id: str, data: bytes) -> str:
        key = value_key(organization_id, hashlib.sha256(data).hexdigest())
        self._objects[key] = data
        return key

    def put_document(self, key: str, data: bytes) -> None:
        self._objects[key] = data

    def get_value(self, key: str) -> bytes:
        if key not in self._objects:
            raise ObjectMissing(f"No value at {key}", action="GetObject")
        return self._objects[key]


class MemoryVault:
    """Secrets (name -> plaintext) of one organization, sealed as nothing but their names:
    nothing leaves the process to be protected from."""

    def __init__(self, organization_id: str, values: Mapping[str, Any] | None = None) -> None:
        self._organization_id = organization_id
        self._values = dict(values or {})

    def put(self, organization_id: str, name: str, plaintext: str) -> None:
        self._values[name] = plaintext

    def delete(self, organization_id: str, name: str) -> bool:
        return self._values.pop(name, None) is not None

    def names(self, organization_id: str) -> list[str]:
        return sorted(self._values) if organization_id == self._organization_id else []

    def sealed(self, organization_id: str) -> dict[str, Any]:
        return {name: name for name in self.names(organization_id)}

    def open(self, organization_id: str, sealed: Any) -> Any:
        return self._values[sealed]


class MemoryIntegrations(MemoryVault):
    """Integrations (id -> `{id, provider, accessToken, expiresAt}`), sealed as their ids."""

    def put(self, organization_id: str, integration: Mapping[str, Any]) -> None:  # type: ignore[override]
        self._values[integration["id"]] = dict(integration)

    def sealed(self, organization_id: str) -> dict[str, Any]:
        return {name: {"id": name} for name in self.names(organization_id)}

    def open(self, organization_id: str, sealed: Any) -> Any:
        return self._values[sealed["id"]]


class MemoryExecutionStore:
    """Execution records by id; a final record is never replaced by a non-final one."""

    def __init__(self) -> None:
        self._records: dict[str, ExecutionRecord] = {}
        self._handles: dict[str, ExecutionHandle] = {}
        self._lock = threading.Lock()

    def put(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None = None,
        execution_arn: str | None = None,
    ) -> None:
        with self._lock:
            stored = self._records.get(record.id)
            final = stored is not None and stored.status in FINAL_STATUSES
            if final and record.status not in FINAL_STATUSES:
                return
            self._records[record.id] = record
            handle = self._handles.get(record.id) or ExecutionHandle(
                id=record.id,
                organization_id=record.organization_id,
                workflow_id=record.workflow_id,
                status=record.status,
            )
            kept: dict[str, Any] = {"status": record.status}
            kept |= {"session_id": session_id} if session_id else {}
            kept |= {"execution_arn": execution_arn} if execution_arn else {}
            self._handles[record.id] = handle.model_copy(update=kept)

    def submit(
        self,
        record: ExecutionRecord,
        *,
        session_id: str | None,
        execution_arn: str | None,
        fingerprint: str | None = None,
        origin: ExecutionOrigin | None = None,
    ) -> bool:
        with self._lock:
            if record.id in self._records:
                return False
        self.put(record, session_id=session_id, execution_arn=execution_arn)
        with self._lock:
            update = {"fingerprint": fingerprint, "origin": origin}
            self._handles[record.id] = self._handles[record.id].model_copy(update=update)
        return True

    def get(self, execution_id: str) -> ExecutionRecord | None:
        return self._records.get(execution_id)

    def forget(self, execution_id: str) -> None:
        """Drop an execution its host has no more use for (its record was handed over)."""
        with self._lock:
            self._records.pop(execution_id, None)
            self._handles.pop(execution_id, None)

    def handle(self, execution_id: str) -> ExecutionHandle | None:
        return self._handles.get(execution_id)

    def status(self, execution_id: str) -> ExecutionStatus | None:
        record = self._records.get(execution_id)
        return None if record is None else record.status

    def list(
        self,
        organization_id: str,
        workflow_id: str,
        *,
        status: str | None = None,
        limit: int = 20,
        next_token: str | None = None,
    ) -> Page[ExecutionSummary]:
        """The workflow's executions, newest first (all on one page: a local engine's)."""
        found = [
            ExecutionSummary.model_validate(record.model_dump(exclude={"node_executions"}))
            for record in reversed(self._records.values())
            if record.organization_id == organization_id
            and record.workflow_id == workflow_id
            and (status is None or record.status == status)
        ]
        return Page(items=found)


class MemoryProgressStore:
    """Each running execution's unit results, by unit."""

    def __init__(self) -> None:
        self._kept: dict[str, dict[int, dict[str, Any]]] = {}
        self._sealed: set[str] = set()
        self._failed: dict[tuple[str, str], int] = {}

    def put(self, execution_id: str, units: Mapping[int, Mapping[str, Any]]) -> None:
        kept = self._kept.setdefault(execution_id, {})
        kept.update({unit: dict(results) for unit, results in units.items()})

    def get(self, execution_id: str, units: Iterable[int]) -> dict[int, dict[str, Any]]:
        kept = self._kept.get(execution_id, {})
        return {unit: kept[unit] for unit in units if unit in kept}

    def delete(self, execution_id: str, units: Iterable[int]) -> None:
        kept = self._kept.get(execution_id, {})
        for unit in units:
            kept.pop(unit, None)
        if not kept:
            self._kept.pop(execution_id, None)
            self._sealed.discard(execution_id)

    def seal(self, execution_id: str) -> None:
        self._sealed.add(execution_id)

    def sealed(self, execution_id: str) -> bool:
        return execution_id in self._sealed

    def failed_attempts(self, execution_id: str, node_id: str) -> int:
        return self._failed.get((execution_id, node_id), 0)

    def fail_attempt(self, execution_id: str, node_id: str) -> None:
        key = (execution_id, node_id)
        self._failed[key] = self._failed.get(key, 0) + 1


class MemoryOrganizations:
    """Organizations' credits; each execution charged once."""

    def __init__(self) -> None:
        self._organizations: dict[str, Organization] = {}
        self._charged: set[str] = set()

    def get(self, organization_id: str) -> Organization | None:
        return self._organizations.get(organization_id)

    def put(self, organization: Organization) -> None:
        self._organizations[organization.id] = organization

    def charge(self, organization_id: str, execution_id: str, usage: int) -> bool:
        organization = self._organizations.get(organization_id)
        if execution_id in self._charged or organization is None:
            return False
        self._charged.add(execution_id)
        self.put(organization.model_copy(update={"usage": organization.usage + usage}))
        return True


Listener = Callable[[dict[str, Any]], None]


class ListenerUpdates:
    """Live updates of the sessions that have a listener: each message is given to it."""

    def __init__(self) -> None:
        self._listeners: dict[str, Listener] = {}

    def listen(self, session_id: str, listener: Listener | None) -> None:
        if listener is None:
            self._listeners.pop(session_id, None)
        else:
            self._listeners[session_id] = listener

    def connections(self, session_id: str, organization_id: str | None = None) -> list[str]:
        return [session_id] if session_id in self._listeners else []

    def send(
        self, session_id: str, message: Mapping[str, Any], organization_id: str | None = None
    ) -> int:
        return self.deliver(session_id, self.connections(session_id), [message])

    def deliver(
        self, session_id: str, connection_ids: list[str], messages: Sequence[Mapping[str, Any]]
    ) -> int:
        listener = self._listeners.get(session_id)
        if listener is None or not connection_ids:
            return 0
        for message in messages:
            listener(dict(message))
        return 1


class MappingSource:
    """Secrets or integrations looked up in a plain mapping (a node's environment, built by
    hand)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = dict(values or {})

    def get(self, name: str, /) -> Any:
        return self._values.get(name)
