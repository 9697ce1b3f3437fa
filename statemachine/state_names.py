"""The names of a compiled state machine's states: readable, unique, at most 80 characters.

The names are a user interface (the Step Functions console shows them), so they say what
each state does; a name too long for Step Functions is cut with a stable suffix. Names are
unique by construction, whatever the node ids: a listed id that could be read as several
(one holding a comma or a quote) is shown quoted, and `StateNames` numbers a name that is
taken already (two long names cut to the same text and digest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from statemachine import quotas

MAX_STATE_NAME_LENGTH = quotas.NAME_CHARACTERS
# "… " and 6 hex digits of the full name's sha256 replace the end of a name that is too long.
_SUFFIX_LENGTH = 8
_DIGEST_LENGTH = 6

CHECK_CREDITS = "Check credits"
PERSIST_EXHAUSTED = "Persist exhausted"
EXHAUSTED = "Exhausted"
INITIALIZE = "Initialize workflow"
FINALIZE = "Finalize"
OUTCOME = "Outcome"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"  # a part's end when a failure outlasted its retries
FIXED = frozenset(
    {
        CHECK_CREDITS,
        PERSIST_EXHAUSTED,
        EXHAUSTED,
        INITIALIZE,
        FINALIZE,
        OUTCOME,
        SUCCEEDED,
        FAILED,
        STOPPED,
    }
)


def state_name(name: str) -> str:
    """`name` itself when short enough, else its first 72 characters, "… " and a digest.

    The digest is of the full name, so two long names sharing their first 72 characters
    still differ, and the same workflow always gets the same names.
    """
    if len(name) <= MAX_STATE_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]
    return f"{name[: MAX_STATE_NAME_LENGTH - _SUFFIX_LENGTH]}… {digest}"


class StateNames:
    """Hands out the names of one state machine's unit states, each distinct from the fixed
    names and from every name handed out before.

    A name already taken gets " (2)", " (3)", ... (its text cut to make room): the first
    state keeps its name, and the same workflow always gets the same names.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set(FIXED)

    def claim(self, name: str) -> str:
        """`name` (cut to fit) if no state has it yet, else the first free numbered form."""
        claimed = state_name(name)
        number = 1
        while claimed in self._taken:
            number += 1
            # Each number ends the name differently ("(<number>)"), so this loop ends.
            suffix = f" ({number})"
            claimed = f"{state_name(name)[: MAX_STATE_NAME_LENGTH - len(suffix)]}{suffix}"
        self._taken.add(claimed)
        return claimed


def listed(node_ids: Sequence[str]) -> str:
    """`[a, b, c]`: an id holding a comma or a quote (or spaces at an end) is quoted as a
    JSON string, so that no two lists of ids read the same."""
    return f"[{', '.join(_listed_id(node_id) for node_id in node_ids)}]"


def _listed_id(node_id: str) -> str:
    if "," in node_id or '"' in node_id or node_id != node_id.strip() or not node_id:
        return json.dumps(node_id, ensure_ascii=False)
    return node_id


def run_node(node_id: str) -> str:
    """The Task running the individual unit of node `node_id`."""
    return f"Run node {node_id}"


def run_inline_group(node_ids: Sequence[str]) -> str:
    """The Task running the inline group of `node_ids` (in unit order)."""
    return f"Run inline group {listed(node_ids)}"


def wait(node_id: str) -> str:
    """The Wait state of wait node `node_id`."""
    return f"Wait {node_id}"


def run_workflow(node_id: str) -> str:
    """The task that runs the child execution of run-workflow node `node_id`."""
    return f"Run workflow of {node_id}"


def if_calling(node_id: str) -> str:
    """The Choice skipping that task when the node started no child (it failed or was
    skipped)."""
    return f"Runs a workflow? {node_id}"


def finish_call(node_id: str) -> str:
    """The task completing run-workflow node `node_id` from its child's record."""
    return f"Finish node {node_id}"


def wait_for_event(node_id: str) -> str:
    """The task of wait-for-event node `node_id` that waits for its event (a task token)."""
    return f"Wait for event {node_id}"


def resume_after_event(node_id: str) -> str:
    """The task after it, which settles the node from what ended the wait."""
    return f"Resume after event {node_id}"


def wait_for_form(node_id: str) -> str:
    """The task of wait-for-form node `node_id` that waits for its form's answer."""
    return f"Wait for form {node_id}"


def resume_after_form(node_id: str) -> str:
    """The task after it, which settles the node from what ended the wait."""
    return f"Resume after form {node_id}"


def run_items(node_id: str) -> str:
    """The Map state running the items of for-each node `node_id`."""
    return f"Run items of {node_id}"


def run_item(node_id: str) -> str:
    """The task in that Map state running one item's child execution."""
    return f"Run item of {node_id}"


def item_failed(node_id: str) -> str:
    """The state ending an iteration of that Map state whose child failed."""
    return f"Item failed of {node_id}"


def run_items_in_map_run(node_id: str) -> str:
    """The Distributed Map state running the items of for-each node `node_id` (past the
    items an inline Map runs)."""
    return f"Run items of {node_id} in a map run"


def map_run_item(node_id: str) -> str:
    """The task in that Map state running one item's child execution."""
    return f"Map run item of {node_id}"


def map_run_item_failed(node_id: str) -> str:
    """The state ending an iteration of that Map state whose child failed."""
    return f"Map run item failed of {node_id}"


def if_running_items(node_id: str) -> str:
    """The Choice skipping that Map state when the node has no items to run (it failed,
    was skipped, or had none)."""
    return f"Runs items? {node_id}"


def run_nodes(node_ids: Sequence[str]) -> str:
    """The Task running the units of `node_ids` (one node each, in unit order) side by side."""
    return f"Run nodes {listed(node_ids)}"


def run_in_parallel(node_ids: Sequence[str]) -> str:
    """The Parallel state running the units of `node_ids` (in unit order) at once."""
    return f"Run in parallel {listed(node_ids)}"


def run_part(number: int, count: int) -> str:
    """The task running part `number` of `count` of a workflow too large for one machine."""
    return f"Run part {number} of {count}"


def after_part(number: int, count: int) -> str:
    """The Choice after part `number`: on to the next part, or to Finalize if it failed."""
    return f"After part {number} of {count}"
