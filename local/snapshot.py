"""`stepthunk serve --state-dir`: the embedded engine's data saved to a file, restored on start.

Saved: every item of the deployment's tables (but WebSocket connections, which end with the
server), every object of its bucket, and the id and material of its KMS key, so that secrets
encrypted before a restart still decrypt. The file therefore holds key material: keep the
directory private. Step Functions state machines are not saved (moto keeps them nowhere); on
restore every stored workflow is deployed again from its definition, and executions that were
running when the server stopped are marked `error`.

Each save writes only the items and objects that changed since the last (the local cloud
records their keys), as lines of a journal beside a base snapshot (`local.state_files`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import error_code
from lambdas.handlers.api.routing import ApiDeps
from lambdas.lifecycle.deploy import redeploy
from lambdas.lifecycle.errors import Invalid
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.output_limits import OutputLimits
from local.changes import Changes
from local.cloud import ACCOUNT, REGION, LocalCloud
from local.embedded import TABLE_SETTINGS, EmbeddedEngine
from local.interrupted import RUNNING, end_interrupted
from local.memory_events import LOCAL_FORMS_URL
from local.state_files import SNAPSHOT as SNAPSHOT
from local.state_files import Base, Saved, StateFiles, Stored, item_line, object_line
from local.state_files import StateDirError as StateDirError

# The deployment's resources keep their names from one start to the next (one per process).
PREFIX = "stepthunk-local"
SAVED_TABLES = tuple(name for name in TABLE_SETTINGS if name != "connections")
INTERRUPTED = "Interrupted: the server stopped while this execution ran"
FINAL_SAVE_ATTEMPTS = 3

logger = logging.getLogger(__name__)
Item = dict[str, Any]


@dataclass
class Restored:
    """What a start found in the state dir."""

    workflows: int = 0
    executions: int = 0
    interrupted: int = 0
    problems: list[str] = field(default_factory=list)


class StateDir:
    """The state dir of one server: opens its engine, then saves it every few seconds."""

    def __init__(
        self,
        path: Path,
        *,
        interval: float = 2.0,
        cloud: LocalCloud | None = None,
        prefix: str = PREFIX,
        limits: OutputLimits | None = None,
        allow_networks: Sequence[str] = (),
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        forms_url: str = LOCAL_FORMS_URL,
    ) -> None:
        self.path = path
        self.forms_url = forms_url
        self.limits = limits
        self.allow_networks = allow_networks
        self.model_apis = model_apis
        self.interval = interval
        self.cloud = cloud or LocalCloud.shared()
        self.prefix = prefix
        self.restored = Restored()
        self._engine: EmbeddedEngine | None = None
        self._files = StateFiles(path)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def file(self) -> Path:
        return self._files.base

    def open_engine(self) -> EmbeddedEngine:
        """The engine, with whatever the state dir holds restored into it."""
        if self.path.exists() and not self.path.is_dir():
            raise StateDirError(f"State dir '{self.path}' is not a directory")
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        saved = self._files.load()
        key_id = None if saved is None else _restore_key(self.cloud, saved.kms, self.prefix)
        engine = EmbeddedEngine(
            cloud=self.cloud,
            prefix=self.prefix,
            kms_key_id=key_id,
            limits=self.limits,
            allow_networks=self.allow_networks,
            model_apis=self.model_apis,
            forms_url=self.forms_url,
        )
        self.cloud.changes.watch(self._saved_names(engine))
        if saved is not None:
            _restore_data(engine, saved)
            api = engine.ports
            # the executions table also keeps running executions' unit results
            executions = [e for e in saved.tables.get("executions", []) if "organizationId" in e]
            self.restored = Restored(executions=len(executions))
            _redeploy(api, saved.tables.get("workflows", []), self.restored)
            _interrupt(engine, executions, self.restored)
            # One base again, holding the journal and what this start changed.
            self._take(engine)
            self._files.write_base(self._base(engine))
        self._engine = engine
        return engine

    def save(self) -> bool:
        """Write what changed in the engine's data since the last save to the state dir;
        True when something was written. What changed are the keys the local cloud
        recorded for the saved tables and bucket, so an idle server reads nothing, and a
        save reads and writes only the items and objects those keys name (or, when the
        journal has outgrown the base, every one, into a new base)."""
        if self._engine is None:
            raise RuntimeError("open_engine() first")
        with self._lock:
            changes = self._take(self._engine)
            if not changes and self._files.base_bytes is not None:
                return False
            try:
                if changes.throughout or self._files.needs_base:
                    self._files.write_base(self._base(self._engine))
                else:
                    self._files.append(self._lines(self._engine, changes))
            except BaseException:
                self.cloud.changes.give_back(changes)
                raise
            return True

    def _take(self, engine: EmbeddedEngine) -> Changes:
        settings = engine.deployment.settings
        return self.cloud.changes.take(
            tables=[settings[TABLE_SETTINGS[name]] for name in SAVED_TABLES],
            buckets=[settings["blob_bucket"]],
        )

    @staticmethod
    def _saved_names(engine: EmbeddedEngine) -> list[str]:
        """The saved tables and bucket, by their names in the cloud."""
        settings = engine.deployment.settings
        return [*(settings[TABLE_SETTINGS[name]] for name in SAVED_TABLES), settings["blob_bucket"]]

    def start_autosave(self) -> None:
        """Save every `interval` seconds in a background thread, until `stop`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._autosave, name="state-dir", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop saving in the background, then save one last time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for attempt in range(1, FINAL_SAVE_ATTEMPTS + 1):
            if self._try_save(final=attempt == FINAL_SAVE_ATTEMPTS):
                break
        self._files.close()

    def _autosave(self) -> None:
        while not self._stop.wait(self.interval):
            self._try_save(final=False)

    def _try_save(self, *, final: bool) -> bool:
        try:
            self.save()
        # The server's last line of defence for its data: any failure (moto's tables may be
        # changing under the scan) is logged, and the next attempt saves the changes again.
        except Exception:
            logger.log(
                logging.ERROR if final else logging.WARNING, "State not saved", exc_info=True
            )
            return False
        return True

    def _base(self, engine: EmbeddedEngine) -> Base:
        """Everything saved, read as it is written."""
        settings = engine.deployment.settings
        key_id = settings["kms_key_id"]
        material: bytes = _kms_keys()[key_id].key_material
        return Base(
            kms={"keyId": key_id, "material": _b64(material)},
            tables=[(name, _scan(engine, settings[TABLE_SETTINGS[name]])) for name in SAVED_TABLES],
            objects=_objects(engine, settings["blob_bucket"]),
        )

    def _lines(self, engine: EmbeddedEngine, changes: Changes) -> Iterator[dict[str, Any]]:
        """The journal lines of the changed items and objects, their content now, each read
        when it is written."""
        settings = engine.deployment.settings
        for name in SAVED_TABLES:
            table = settings[TABLE_SETTINGS[name]]
            for text in sorted(changes.items.get(table, ())):
                key: Item = json.loads(text)  # as on the wire: binary values in base64
                found = engine.clients.dynamodb.get_item(
                    TableName=table,
                    Key=_binary_mapped(key, base64.b64decode),
                    ConsistentRead=True,
                ).get("Item")
                yield item_line(name, key, found and _binary_mapped(found, _b64))
        s3, bucket = engine.clients.s3, settings["blob_bucket"]
        for object_key in sorted(changes.objects.get(bucket, ())):
            yield object_line(object_key, _object(s3, bucket, object_key))


def _objects(engine: EmbeddedEngine, bucket: str) -> Iterator[Stored]:
    """Every object of the bucket, one at a time."""
    s3 = engine.clients.s3
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            stored = _object(s3, bucket, entry["Key"])
            if stored is not None:  # else deleted since the listing
                yield stored


def _object(s3: Any, bucket: str, key: str) -> Stored | None:
    """The object `key` as it is saved, None if there is none."""
    try:
        stored = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) != "NoSuchKey":
            raise
        return None
    return {
        "key": key,
        "body": _b64(stored["Body"].read()),
        "contentType": stored.get("ContentType"),
        "metadata": stored.get("Metadata", {}),
    }


def _scan(engine: EmbeddedEngine, table: str) -> Iterator[Item]:
    for page in engine.clients.dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            yield _binary_mapped(item, _b64)


def _restore_key(cloud: LocalCloud, saved: dict[str, str], prefix: str) -> str:
    """Create a key, then give it the saved id and material, so old ciphertexts decrypt."""
    created = cloud.client("kms").create_key(Description=f"{prefix} secrets")
    keys = _kms_keys()
    key = keys.pop(created["KeyMetadata"]["KeyId"])
    key_id = saved["keyId"]
    key.arn = key.arn.replace(key.id, key_id)
    key.id = key_id
    key.key_material = base64.b64decode(saved["material"])
    keys[key_id] = key
    return key_id


def _restore_data(engine: EmbeddedEngine, saved: Saved) -> None:
    settings = engine.deployment.settings
    dynamodb = engine.clients.dynamodb
    for name in SAVED_TABLES:
        table = settings[TABLE_SETTINGS[name]]
        items = [_binary_mapped(item, base64.b64decode) for item in saved.tables.get(name, [])]
        for start in range(0, len(items), 25):  # BatchWriteItem takes at most 25 items
            requests: dict[str, Any] = {
                table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            }
            while requests:
                requests = dynamodb.batch_write_item(RequestItems=requests).get(
                    "UnprocessedItems", {}
                )
    for stored in saved.objects:
        extra = {"ContentType": stored["contentType"]} if stored.get("contentType") else {}
        engine.clients.s3.put_object(
            Bucket=settings["blob_bucket"],
            Key=stored["key"],
            Body=base64.b64decode(stored["body"]),
            Metadata=stored.get("metadata") or {},
            **extra,
        )


def _redeploy(api: ApiDeps, items: list[Item], restored: Restored) -> None:
    """Give every stored workflow a state machine again, from its stored definition."""
    for item in items:
        organization, workflow_id = item["organizationId"]["S"], item["id"]["S"]
        stored = api.workflows.get(organization, workflow_id)
        if stored is None:
            continue
        try:
            redeploy(api, stored)
        except Invalid as error:
            restored.problems.append(f"Workflow '{workflow_id}' ({organization}): {error}")
            continue
        restored.workflows += 1


def _interrupt(engine: EmbeddedEngine, items: list[Item], restored: Restored) -> None:
    """Executions that were running when the server stopped end in `error`: nothing runs them."""
    running = [item["id"]["S"] for item in items if item.get("status", {}).get("S") in RUNNING]
    restored.interrupted += end_interrupted(engine, running, INTERRUPTED, announced=False)


def _kms_keys() -> dict[str, Any]:
    from moto.kms.models import kms_backends

    keys: dict[str, Any] = kms_backends[ACCOUNT][REGION].keys
    return keys


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _binary_mapped(item: Item, convert: Callable[[Any], Any]) -> Item:
    """`item` with `convert` applied to each binary value (B and BS, also inside M and L):
    bytes to base64 text for JSON, and back."""
    return {name: _value_mapped(value, convert) for name, value in item.items()}


def _value_mapped(value: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": convert(inner)}
    if kind == "BS":
        return {"BS": [convert(data) for data in inner]}
    if kind == "M":
        return {"M": _binary_mapped(inner, convert)}
    if kind == "L":
        return {"L": [_value_mapped(element, convert) for element in inner]}
    return value
