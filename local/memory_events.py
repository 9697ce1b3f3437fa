"""Waiting for events in memory, for the in-process engine: the tokens of waiting nodes
(EventWaits), the callbacks that end their waits (TaskCallbacks), as Step Functions' task
tokens behave (a token ends its wait once; a wait ends by its callback or its timeout), and
the forms wait-for-form nodes wait for (FormStore)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from lambdas.runtime.forms import Form, FormStatus

# The base of the URLs the engines give create-form nodes: `stepthunk serve`'s default
# address (serve gives its own; `stepthunk run` serves no page: answer with --event).
LOCAL_FORMS_URL = "http://127.0.0.1:8080"


class MemoryEventWaits:
    """EventWaits in a dict."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def hold(self, execution_id: str, node_id: str, token: str, seconds: int) -> None:
        with self._lock:
            self._tokens[(execution_id, node_id)] = token

    def take(self, execution_id: str, node_id: str) -> str | None:
        with self._lock:
            return self._tokens.pop((execution_id, node_id), None)


@dataclass
class Waiting:
    """One task waiting for its token: `outcome` is what the callback sent, as Step Functions
    would put it in the task's result ({"payload"...}) or error ({"Error", "Cause"})."""

    ended: threading.Event = field(default_factory=threading.Event)
    outcome: dict[str, Any] | None = None
    over: bool = False


class MemoryCallbacks:
    """TaskCallbacks for tasks the in-process engine waits on (`wait`)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Waiting] = {}
        self._lock = threading.Lock()

    def token(self) -> str:
        """A new task token, its task waiting from now on."""
        token = uuid.uuid4().hex
        with self._lock:
            self._waiting[token] = Waiting()
        return token

    def wait(self, token: str, seconds: float) -> dict[str, Any] | None:
        """What ended the wait of `token`, or None when `seconds` passed first; either way
        its callbacks answer False from now on."""
        waiting = self._waiting[token]
        waiting.ended.wait(seconds)
        with self._lock:
            waiting.over = True
            del self._waiting[token]
            return waiting.outcome

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        return self._end(token, output)

    def fail(self, token: str, error: str, cause: str) -> bool:
        return self._end(token, {"Error": error, "Cause": cause})

    def _end(self, token: str, outcome: dict[str, Any]) -> bool:
        with self._lock:
            waiting = self._waiting.get(token)
            if waiting is None or waiting.over or waiting.outcome is not None:
                return False
            waiting.outcome = outcome
        waiting.ended.set()
        return True


class MemoryForms:
    """FormStore in a dict, claimed, answered, taken over and closed under a lock as the
    table's conditional writes do."""

    def __init__(self) -> None:
        self._forms: dict[str, Form] = {}
        self._nodes: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def create(self, key: str, form: Form) -> None:
        with self._lock:
            self._forms[key] = form

    def get(self, key: str) -> Form | None:
        with self._lock:
            return self._forms.get(key)

    def link(self, key: str, node_id: str, expires_at: str, seconds: int) -> Form | None:
        with self._lock:
            form = self._forms.get(key)
            if form is None:
                return None
            again = form.status == FormStatus.WAITING and form.node_id == node_id
            if form.status != FormStatus.OPEN and not again:
                return None
            update = {"status": FormStatus.WAITING, "node_id": node_id, "expires_at": expires_at}
            form = self._forms[key] = form.model_copy(update=update)
            self._nodes[(form.execution_id, node_id)] = key
            return form

    def of_node(self, execution_id: str, node_id: str) -> str | None:
        with self._lock:
            return self._nodes.get((execution_id, node_id))

    def close(self, key: str) -> None:
        with self._lock:
            form = self._forms.get(key)
            if form is not None and form.status != FormStatus.ANSWERED:
                self._forms[key] = form.model_copy(update={"status": FormStatus.CLOSED})

    def take_over(
        self, key: str, read: Form, execution_id: str, node_id: str, expires_at: str, seconds: int
    ) -> Form | None:
        with self._lock:
            form = self._forms.get(key)
            if (
                form is None
                or read.status == FormStatus.ANSWERED
                or (form.execution_id, form.status) != (read.execution_id, read.status)
            ):
                return None
            update = {
                "execution_id": execution_id,
                "status": FormStatus.WAITING,
                "node_id": node_id,
                "expires_at": expires_at,
            }
            form = self._forms[key] = form.model_copy(update=update)
            self._nodes[(execution_id, node_id)] = key
            return form

    def answer(self, key: str, execution_id: str, node_id: str) -> bool:
        return self._move(key, execution_id, node_id, FormStatus.WAITING, FormStatus.ANSWERED)

    def unanswer(self, key: str, execution_id: str, node_id: str, status: FormStatus) -> None:
        self._move(key, execution_id, node_id, FormStatus.ANSWERED, status)

    def _move(
        self, key: str, execution_id: str, node_id: str, was: FormStatus, status: FormStatus
    ) -> bool:
        with self._lock:
            form = self._forms.get(key)
            if form is None or (form.status, form.execution_id, form.node_id) != (
                was,
                execution_id,
                node_id,
            ):
                return False
            self._forms[key] = form.model_copy(update={"status": status})
            return True
