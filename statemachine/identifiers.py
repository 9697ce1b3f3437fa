"""What ids, names and descriptions may be: one rule for workflow files, the CLI and the API.

They have no reason to be long, and each travels where length costs: state names and the
Comment of the state machine, DynamoDB keys (a sort key takes at most 1,024 bytes) and items,
URL paths, every error message that names them. Lengths count characters (code points).
A workflow id is also a URL path segment (`/workflows/{id}`): API Gateway hands the path on
decoded, so `/`, `?` and `#` in an id would change the path, and `.` or `..` would be
resolved away by clients; control characters have no place in a path either.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ID_LENGTH = 128  # workflow ids, node ids (and the edge ends naming them), node types
MAX_PORT_NAME_LENGTH = 128  # input and output names (and the edge ends naming them)
MAX_NAME_LENGTH = 256  # workflow and node names
MAX_DESCRIPTION_LENGTH = 10_000  # a workflow's description
MAX_TRIGGER_LENGTH = 64

# What a workflow id may not hold besides control characters, nor be.
URL_RESERVED = "/?#"
DOT_SEGMENTS = frozenset({".", ".."})
WORKFLOW_ID_RULE = (
    "a workflow id is a URL path segment: no '/', '?', '#' or control character, "
    "and not '.' or '..'"
)


def workflow_id_fault(workflow_id: str) -> str | None:
    """What is wrong with the characters of a workflow id, or None (its length is checked
    with the other lengths)."""
    if workflow_id in DOT_SEGMENTS:
        return f"Workflow id '{workflow_id}' is not allowed: {WORKFLOW_ID_RULE}"
    for character in workflow_id:
        if character in URL_RESERVED or unicodedata.category(character) == "Cc":
            return f"Workflow id {workflow_id!r} holds {character!r}: {WORKFLOW_ID_RULE}"
    return None


def is_workflow_id(text: str) -> bool:
    """Whether a workflow could have `text` as its id (length and characters)."""
    return 0 < len(text) <= MAX_ID_LENGTH and workflow_id_fault(text) is None


# Organization ids are joined with other names into DynamoDB keys (`org#workflow`), S3 keys
# (`values/org/...`) and execution names: a small set of characters keeps every join
# unambiguous. They come from API keys (`stepthunk keys create`, `serve --api-key`).
MAX_ORGANIZATION_ID_LENGTH = 64
ORGANIZATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
ORGANIZATION_ID_RULE = (
    f"an organization id is 1 to {MAX_ORGANIZATION_ID_LENGTH} ASCII letters, digits, '.', '_' "
    "or '-', starting with a letter or a digit"
)


def organization_id_fault(organization_id: str) -> str | None:
    """What is wrong with an organization id, or None."""
    if len(organization_id) > MAX_ORGANIZATION_ID_LENGTH or not ORGANIZATION_ID.fullmatch(
        organization_id
    ):
        return f"{organization_id!r} is not allowed: {ORGANIZATION_ID_RULE}"
    return None
