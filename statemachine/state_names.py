"""The names of a compiled state machine's states: readable, unique, at most 80 characters.

The names are a user interface (the Step Functions console shows them), so they say what
each state does; a name too long for Step Functions is cut with a stable suffix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

MAX_STATE_NAME_LENGTH = 80
# "… " and 6 hex digits of the full name's sha256 replace the end of a name that is too long.
_SUFFIX_LENGTH = 8
_DIGEST_LENGTH = 6

CHECK_CREDITS = "Check credits"
PERSIST_EXHAUSTED = "Persist exhausted"
EXHAUSTED = "Exhausted"
PRELOAD_SECRETS = "Preload secrets"
PRELOAD_INTEGRATIONS = "Preload integrations"
INITIALIZE = "Initialize workflow"
FINALIZE = "Finalize"
OUTCOME = "Outcome"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"  # a part's end when a failure outlasted its retries


def state_name(name: str) -> str:
    """`name` itself when short enough, else its first 72 characters, "… " and a digest.

    The digest is of the full name, so two long names sharing their first 72 characters
    still differ, and the same workflow always gets the same names.
    """
    if len(name) <= MAX_STATE_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]
    return f"{name[: MAX_STATE_NAME_LENGTH - _SUFFIX_LENGTH]}… {digest}"


def run_node(node_id: str) -> str:
    """The Task running the individual unit of node `node_id`."""
    return state_name(f"Run node {node_id}")


def run_inline_group(node_ids: Sequence[str]) -> str:
    """The Task running the inline group of `node_ids` (in unit order)."""
    return state_name(f"Run inline group [{', '.join(node_ids)}]")


def wait(node_id: str) -> str:
    """The Wait state of wait node `node_id`."""
    return state_name(f"Wait {node_id}")


def run_in_parallel(node_ids: Sequence[str]) -> str:
    """The Parallel state running the units of `node_ids` (in unit order) at once."""
    return state_name(f"Run in parallel [{', '.join(node_ids)}]")


def run_part(number: int, count: int) -> str:
    """The task running part `number` of `count` of a workflow too large for one machine."""
    return f"Run part {number} of {count}"


def after_part(number: int, count: int) -> str:
    """The Choice after part `number`: on to the next part, or to Finalize if it failed."""
    return f"After part {number} of {count}"
