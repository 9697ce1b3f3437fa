"""`stepthunk run`'s called workflows: those a workflow calls by a literal id (run-workflow
nodes), found by `id` among the `*.json` files of a folder, with those they call in turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.cli_inputs import UsageError
from statemachine.calls import call_cycle, called_ids, cycle_problem
from statemachine.catalog import Catalog
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_workflow


def called_workflows(workflow: Workflow, folder: Path, catalog: Catalog) -> list[Workflow]:
    """The workflows `workflow` calls, and those they call, validated, each callee before
    its callers (the order to deploy them in). A workflow no file holds is left out (its
    call fails when it runs, naming it); UsageError for a called file that does not
    validate or an id two files hold; WorkflowValidationError (CALL_CYCLE) for calls that
    lead back to `workflow`."""
    files = _by_id(folder) if called_ids(workflow) else {}
    found: dict[str, Workflow] = {}
    order: list[str] = []

    def visit(caller: Workflow) -> None:
        for callee in called_ids(caller):
            if callee in found or callee == workflow.id or callee not in files:
                continue
            found[callee] = _validated(files[callee], callee, catalog)
            visit(found[callee])
            order.append(callee)

    visit(workflow)
    cycle = call_cycle(workflow, lambda i: called_ids(found[i]) if i in found else None)
    if cycle is not None:
        raise WorkflowValidationError([cycle_problem(cycle)])
    return [found[callee] for callee in order]


def _by_id(folder: Path) -> dict[str, list[Path]]:
    """The `*.json` files of `folder` by the `id` each holds (files that are not workflows
    are not looked at further)."""
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            document: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            files.setdefault(document["id"], []).append(path)
    return files


def _validated(paths: list[Path], workflow_id: str, catalog: Catalog) -> Workflow:
    if len(paths) > 1:
        named = ", ".join(str(path) for path in paths)
        raise UsageError(f"workflow '{workflow_id}' is called, and several files hold it: {named}")
    [path] = paths
    try:
        return validate_workflow(json.loads(path.read_text(encoding="utf-8")), catalog)
    except WorkflowValidationError as error:
        raise UsageError(f"called workflow '{workflow_id}' ({path}) is invalid: {error}") from None
