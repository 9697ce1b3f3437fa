"""Forms a person answers (Dafthunk's create-form and wait-for-form): what is kept of one,
where it is kept, and how a create-form node opens one.

A form's token is a bearer credential of ours (never Step Functions' task token): whoever
holds it may read the form and answer it, once. Stores key a form by the token's digest
(`form_key`), so that no table holds the token itself.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlencode

from pydantic import Field

from lambdas.runtime.errors import NodeError
from lambdas.runtime.record import utc_now
from statemachine.model import WireModel

# Bytes of randomness in a token: 256 bits, past guessing (43 characters, URL-safe).
TOKEN_BYTES = 32
# Where a form is answered, below the HTTP API's base URL: /forms?token={token}. The token
# goes in the query string, not the path: the API's access log keeps every request's path
# (API Gateway's `$context.path` has no query string), never a form's credential.
FORMS_PATH = "forms"
TOKEN_PARAMETER = "token"
# Requests a second to each form route (its page, its answer), steady and at once: past them
# API Gateway's route throttling (and serve's) answers 429. Ten people a second answering
# is plenty; a token guessed at that rate is guessed never.
FORM_RATE_LIMIT = 10
FORM_BURST_LIMIT = 20


class FormStatus(StrEnum):
    OPEN = "open"  # created; its wait-for-form node is not waiting yet
    WAITING = "waiting"  # its node waits: an answer resumes the execution
    ANSWERED = "answered"  # an answer was given: no other may be, nor a retry take it over
    CLOSED = "closed"  # its wait ended unanswered: worth nothing, unless a retry takes it over


class Form(WireModel):
    """A form as stored: whose it is, what it asks and how far it is."""

    organization_id: str
    execution_id: str
    title: str
    description: str | None = None
    # Dafthunk's schema, as the create-form node was given it (checked then)
    form_schema: dict[str, Any] = Field(alias="schema")
    created_at: str
    status: FormStatus = FormStatus.OPEN
    # once a wait-for-form node waits for it: the node, and when its wait times out
    node_id: str | None = None
    expires_at: str | None = None


class FormStore(Protocol):
    """Forms by key (`form_key` of their token), and which form each waiting node waits for."""

    def create(self, key: str, form: Form) -> None: ...

    def get(self, key: str) -> Form | None: ...

    def link(self, key: str, node_id: str, expires_at: str, seconds: int) -> Form | None:
        """The form `key`, now waited for by `node_id` until `expires_at` (within `seconds`
        from now, when the store may forget it): only an open form, or one that node waits
        for already (its task ran again). None when the form is not open."""
        ...

    def of_node(self, execution_id: str, node_id: str) -> str | None:
        """The key of the form the node waits (or waited) for; None when it is no form's."""
        ...

    def close(self, key: str) -> None:
        """Close the form: its wait ended. An answered form stays answered."""
        ...

    def take_over(
        self, key: str, read: Form, execution_id: str, node_id: str, expires_at: str, seconds: int
    ) -> Form | None:
        """The form `key`, as `read`, now the form of the retry `execution_id`, waited for
        by its `node_id` until `expires_at` (as `link`): one conditional write, only while
        the form's execution and status are still as read and it is not answered; a closed
        form reopens. None when it changed meanwhile (another retry took it, an answer came)."""
        ...

    def answer(self, key: str, execution_id: str, node_id: str) -> bool:
        """Mark the form answered, only while `node_id` of `execution_id` waits for it: one
        answer wins, and a retry taking the form over and an answer to the execution it
        retries never both do. False when it is not so."""
        ...

    def unanswer(self, key: str, execution_id: str, node_id: str, status: FormStatus) -> None:
        """Undo `answer` when its delivery failed: the form's status becomes `status`."""
        ...


def form_key(token: str) -> str:
    """What a form is kept by: its token's SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class FormDesk:
    """Where create-form nodes open forms: the store, and the base URL of the HTTP API
    that serves them (a deployment's, or serve's own address; None: create-form nodes fail
    saying that this host serves no forms)."""

    store: FormStore
    base_url: str | None
    clock: Callable[[], str] = utc_now

    def open(
        self,
        organization_id: str,
        execution_id: str,
        title: str,
        description: str | None,
        schema: dict[str, Any],
    ) -> tuple[str, str]:
        """A new form of the execution: its URL and its token."""
        if self.base_url is None:
            raise NodeError("This deployment has no forms URL (STEPTHUNK_FORMS_URL): no form opens")
        token = new_token()
        form = Form(
            organization_id=organization_id,
            execution_id=execution_id,
            title=title,
            description=description,
            form_schema=schema,
            created_at=self.clock(),
        )
        self.store.create(form_key(token), form)
        return form_url(self.base_url, token), token


def form_url(base_url: str, token: str) -> str:
    query = urlencode({TOKEN_PARAMETER: token})
    return f"{base_url.rstrip('/')}/{FORMS_PATH}?{query}"
