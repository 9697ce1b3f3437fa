"""The parsing of option values the parser takes as plain text: the `--input NODE.INPUT=VALUE`
overrides of `run` and `start` (VALUE as JSON when it parses, else as text; `@FILE` a file
stored as a blob, for a blob port), the `--event NODE=JSON` events of `run`, `NAME=VALUE`
pairs such as `--secret`, and UsageError,
raised for a command line that is itself wrong, which `main` reports with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError
from lambdas.runtime.schema_fields import answer_problems, form_fields
from statemachine.event_waits import is_event_wait, is_form_wait
from statemachine.model import InputOverrides, ParameterType, Workflow
from statemachine.port_types import BLOB_TYPES, DuplicateKeyError, loads_strict

TEXT_TYPES = {ParameterType.STRING, ParameterType.SECRET, ParameterType.DATE}
CREATE_FORM_TYPE = "create-form"


class UsageError(Exception):
    """The command line itself is wrong (a missing file, a malformed --input)."""


def input_overrides(
    workflow: Workflow, specs: list[str], put_blob: Callable[[Blob], dict[str, Any]]
) -> InputOverrides:
    """Parse `--input NODE.INPUT=VALUE` options; text ports take VALUE as text as given, blob
    ports (`blob`, `image`, ...) `@FILE` as that file, stored with `put_blob`."""
    overrides: InputOverrides = {}
    nodes = {node.id: node for node in workflow.nodes}
    for target, text in pairs(specs, "--input", "NODE.INPUT=VALUE").items():
        node_id, dot, name = target.rpartition(".")
        if not dot or not node_id or not name:
            raise UsageError(f"--input expects NODE.INPUT=VALUE, got '{target}={text}'")
        node = nodes.get(node_id)
        port = node.input(name) if node is not None else None
        text_port = port is not None and port.type in TEXT_TYPES
        if port is not None and port.type in BLOB_TYPES and text.startswith("@"):
            overrides.setdefault(node_id, {})[name] = put_blob(_file_blob(target, text[1:]))
            continue
        try:
            value = _json_or_text(text)
        except DuplicateKeyError as error:
            if not text_port:
                raise UsageError(f"--input {target}: ambiguous JSON: {error}") from None
            value = text
        if text_port and not isinstance(value, str):
            value = text  # `--input name.value=123` on a text input means the text "123"
        overrides.setdefault(node_id, {})[name] = value
    return overrides


def events_given(workflow: Workflow, specs: list[str]) -> dict[str, Any]:
    """Parse `--event NODE=JSON` options: node id -> the event (JSON when it parses, else
    text), each NODE a wait-for-event or wait-for-form node of `workflow`, named once; the
    answer to a form whose schema the workflow gives (a create-form node's literal) must
    answer it (the engines check it again on delivery, whatever the schema)."""
    waiting = {node.id for node in workflow.nodes if is_event_wait(node)}
    events: dict[str, Any] = {}
    for spec in specs:
        node_id, equals, text = spec.partition("=")
        if not equals or not node_id:
            raise UsageError(f"--event expects NODE=JSON, got '{spec}'")
        if node_id not in waiting:
            known = ", ".join(sorted(waiting)) or "none"
            raise UsageError(
                f"--event {node_id}: no wait-for-event or wait-for-form node '{node_id}' in "
                f"the workflow (its waiting nodes: {known})"
            )
        if node_id in events:
            raise UsageError(f"--event {node_id}: given twice")
        try:
            events[node_id] = _json_or_text(text)
        except DuplicateKeyError as error:
            raise UsageError(f"--event {node_id}: ambiguous JSON: {error}") from None
        problems = _answer_problems(workflow, node_id, events[node_id])
        if problems:
            raise UsageError(f"--event {node_id}: {'; '.join(problems)}")
    return events


def _answer_problems(workflow: Workflow, node_id: str, answer: Any) -> list[str]:
    """What keeps `answer` from answering the form wait-for-form `node_id` waits for, when
    the workflow says which form that is: the token of a create-form node whose schema is
    a literal (none for a wait-for-event node, or a form known only once it runs)."""
    nodes = {node.id: node for node in workflow.nodes}
    if not is_form_wait(nodes[node_id]):
        return []
    sources = [
        nodes[edge.source]
        for edge in workflow.edges
        if edge.target == node_id and edge.target_input == "token"
    ]
    for source in sources[-1:]:  # the last edge into an input is the one it takes
        given = source.input("schema") if source.type == CREATE_FORM_TYPE else None
        schema = None if given is None else given.value
        if isinstance(schema, str):
            schema = _json_or_text(schema)
        try:
            fields = form_fields(schema)
        except NodeError:
            return []  # the node fails on it when it runs, as it says
        return [problem.message for problem in answer_problems(fields, answer)]
    return []


def _file_blob(target: str, path: str) -> Blob:
    """The file at `path` as a blob, its MIME type guessed from its name."""
    import mimetypes

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"--input {target}=@{path}: {error.strerror or error}") from None
    mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Blob(data=data, mime_type=mime_type, filename=Path(path).name)


def pairs(specs: list[str], option: str, form: str = "NAME=VALUE") -> dict[str, str]:
    pairs = {}
    for spec in specs:
        key, equals, value = spec.partition("=")
        if not equals or not key:
            raise UsageError(f"{option} expects {form}, got '{spec}'")
        pairs[key] = value
    return pairs


def _json_or_text(text: str) -> Any:
    """JSON when `text` parses, else `text`; DuplicateKeyError for JSON whose object names
    a key twice (which value counts would be a guess)."""
    try:
        return loads_strict(text, unique_keys=True)
    except DuplicateKeyError:
        raise
    except ValueError:
        return text
