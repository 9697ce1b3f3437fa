"""JSON edit nodes: a document with a value set, inserted, replaced or removed at a path.

As in Dafthunk, an edit that cannot happen is not an error: the node completes with the
document unchanged and `success` false. That is the case for a path these nodes cannot
follow (a wildcard, a filter, the root `$` itself) and for one that passes through a value
of the wrong kind (a key into an array, an index into an object). Paths are simple:
`$.a.b[0]`, `a.b`, `$['odd key']`, `[-1]` from the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.nodes import json_paths as paths
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("JSON")

JSON = ParameterType.JSON
STRING = ParameterType.STRING
BOOLEAN = ParameterType.BOOLEAN

_MISSING_INPUTS = (
    "No `json` starts from {}; no `value` writes null; no `path` leaves the document as it is"
)


def _writer(id: str, name: str, description: str, flag: str, flag_description: str) -> None:
    @family.node(
        id,
        name,
        f"{description}. {_MISSING_INPUTS}",
        inputs=(
            port("json", JSON, "The document to change", required=True, fallback=True),
            port(
                "path",
                STRING,
                "Where to write, such as $.user.tags[0]",
                required=True,
                fallback=True,
            ),
            port("value", JSON, "The value written", required=True, fallback=True),
        ),
        outputs=(
            port("result", JSON, "The changed document (unchanged when success is false)"),
            port("success", BOOLEAN, "Whether the value was written", hidden=True),
            port(flag, BOOLEAN, flag_description, hidden=True),
        ),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        given = ctx.inputs.get("json")
        path = ctx.inputs.get("path", "")
        failed = {"result": given, "success": False, flag: False}
        if not path:
            return failed
        base = {} if given is None else given
        failed["result"] = base
        try:
            segments = paths.parse(path)
        except paths.PathError:
            return failed
        if not segments or (id == "json-insert" and _has_negative_index(segments)):
            return failed
        existed = paths.read(base, segments) is not paths.MISSING
        try:
            grown = paths.Growth(ctx.environment.budget)
            result = paths.write(base, segments, ctx.inputs.get("value"), grown)
        except paths.Unwritable:
            return failed
        return {"result": result, "success": True, flag: existed if flag == "pathExists" else True}


def _has_negative_index(segments: list[paths.Segment]) -> bool:
    return any(isinstance(key, int) and key < 0 for key in segments)


_writer(
    "json-set",
    "JSON Set",
    "`json` with `value` written at `path` ($.key, ['key'], [index], [-index] from the end); "
    "missing objects and arrays on the way are created, arrays padded with null",
    "pathExists",
    "Whether `path` held a value before",
)
_writer(
    "json-insert",
    "JSON Insert",
    "`json` with `value` written at `path`, replacing what is there, creating missing "
    "objects and arrays on the way (negative indexes are refused)",
    "inserted",
    "Whether the value was inserted",
)
_writer(
    "json-replace",
    "JSON Replace",
    "`json` with the value at `path` replaced by `value` (or created, with missing objects "
    "and arrays on the way)",
    "replaced",
    "Whether the value was replaced",
)


@family.node(
    "json-remove",
    "JSON Remove",
    "`json` without the value at `path` (an array closes the gap; [-1] is the last item). "
    "A path to nothing leaves the document as it is; no `json` gives no result",
    inputs=(
        port("json", JSON, "The document to change", required=True, fallback=True),
        port("path", STRING, "What to remove, such as $.user.email", required=True, fallback=True),
    ),
    outputs=(
        port("result", JSON, "The document without the value"),
        port("success", BOOLEAN, "Whether the path could be followed", hidden=True),
        port("removed", BOOLEAN, "Whether a value was removed", hidden=True),
    ),
)
def json_remove(ctx: NodeContext) -> Mapping[str, Any]:
    document = ctx.inputs.get("json")
    failed = {"result": document, "success": False, "removed": False}
    path = ctx.inputs.get("path", "")
    if document is None or not path:
        return failed
    try:
        segments = paths.parse(path)
        if not segments:
            return failed
        result, removed = paths.remove(document, segments)
    except (paths.PathError, paths.Unwritable):
        return failed
    return {"result": result, "success": True, "removed": removed}
