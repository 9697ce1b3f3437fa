"""How much data node outputs may hold: one output, and all outputs of one execution (SPEC §5).

Large values travel by reference (lambdas.runtime.payload), so no Step Functions or DynamoDB
limit caps them; these limits do, set per deployment. An output is measured as it is kept: a
value by its compact UTF-8 JSON, a blob by its bytes where it is produced (a blob reference
that a node only passes on is measured as the reference). Past a limit the node fails with a
message naming the limit and the setting that changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.runtime.blobs import Blob, BlobStore
from lambdas.runtime.errors import NodeError
from statemachine.port_types import is_blob_reference

# A value far above the 10 MB a user may expect to move, and above the largest response a
# `fetch` downloads (50 MiB); a task holding one in a 1,024 MB Lambda (bytes, parsed value,
# packed copy) stays within its memory.
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
# Sixteen values of the largest size. Every byte is written to S3 once and read by each task
# that uses it: about 10 s of transfer per GiB at a Lambda's S3 throughput.
MAX_EXECUTION_BYTES = 1024 * 1024 * 1024
# The settings that change them: environment variables of the functions that run nodes (CDK
# sets them from its context) and of `stepthunk run` and `serve`. Messages name them.
OUTPUT_SETTING = "STEPTHUNK_MAX_OUTPUT_BYTES"
EXECUTION_SETTING = "STEPTHUNK_MAX_EXECUTION_BYTES"
# Compact JSON as lambdas.runtime.payload.encode writes it; one encoder, as each node's
# outputs are measured (json.dumps with separators builds an encoder per call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class OutputLimits:
    """Bytes that one node output may hold, and that all node outputs of one execution may."""

    per_output: int = MAX_OUTPUT_BYTES
    per_execution: int = MAX_EXECUTION_BYTES

    def __post_init__(self) -> None:
        if self.per_output < 1 or self.per_execution < 1:
            raise ValueError("Output limits are whole numbers of bytes above 0")


class OutputBudget:
    """What the node outputs of one execution may still hold: the limits, and the bytes that
    its nodes have produced so far, as far as the running engine (or task) knows them."""

    def __init__(self, limits: OutputLimits | None = None, produced: int = 0) -> None:
        self.limits = limits or OutputLimits()
        self.produced = produced

    def admit(self, outputs: Mapping[str, Any], stored: Mapping[str, int]) -> None:
        """Count one node's outputs, or raise NodeError naming the limit they pass (then
        nothing is counted). `stored` is the size of each blob the node stored, by id."""
        total = 0
        for name, value in outputs.items():
            size = measure(value, stored)
            if size > self.limits.per_output:
                raise NodeError(
                    f"Output '{name}' is {size:,} bytes, over the "
                    f"{self.limits.per_output:,}-byte limit per node output ({OUTPUT_SETTING})"
                )
            total += size
        if self.produced + total > self.limits.per_execution:
            raise NodeError(
                f"The node's outputs ({total:,} bytes) would bring this execution's node "
                f"outputs to {self.produced + total:,} bytes, over the "
                f"{self.limits.per_execution:,}-byte limit per execution ({EXECUTION_SETTING})"
            )
        self.produced += total

    def refuse_over(self, name: str, at_least: int) -> None:
        """Raise NodeError if output `name` will hold `at_least` bytes, over the limit per
        output: for a node whose output can grow far beyond its inputs (a replacement of
        every match), so that it stops before building what would be refused."""
        if at_least > self.limits.per_output:
            raise NodeError(
                f"Output '{name}' would be at least {at_least:,} bytes, over the "
                f"{self.limits.per_output:,}-byte limit per node output ({OUTPUT_SETTING})"
            )


def measure(value: Any, stored: Mapping[str, int]) -> int:
    """The bytes `value` holds: a blob's own bytes (one the node returns, or stored under a
    reference it returns, alone or as an item of a list), else its JSON."""
    if isinstance(value, Blob):
        return len(value.data)
    if stored:
        if _stored(value, stored):
            return stored[value["id"]]
        if isinstance(value, list) and any(_stored(item, stored) for item in value):
            return sum(measure(item, stored) for item in value)
    return json_size(value)


def json_size(value: Any) -> int:
    """The bytes of `value` as compact UTF-8 JSON (numbers and booleans without encoding)."""
    if value is None or value is True:
        return 4
    if value is False:
        return 5
    if type(value) is int:
        return len(int.__repr__(value))
    text = _JSON.encode(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _stored(value: Any, stored: Mapping[str, int]) -> bool:
    return is_blob_reference(value) and value["id"] in stored


class RecordingBlobs:
    """A node's view of the blob store: it remembers the size of each blob the node stores."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.sizes: dict[str, int] = {}

    def put(self, blob: Blob) -> dict[str, Any]:
        reference = self.store.put(blob)
        self.sizes[reference["id"]] = len(blob.data)
        return reference

    def get(self, reference: dict[str, Any]) -> Blob:
        return self.store.get(reference)
