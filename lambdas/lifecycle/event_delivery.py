"""Delivering an event to a wait-for-event node, on every host: the API's routes, `stepthunk run
--event` and the in-process engine end a node's wait here (lambdas.lifecycle.event_wait
starts and settles it). Apart from the wait itself, so that the HTTP API, which only
delivers, does not load the unit runner.

The caller names the execution and the node; the token stays in the ports (EventWaits). An
event for a wait-for-form node is its form's answer: checked against the form's schema
first, it marks the form answered (one answer per form, whichever route gives it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lambdas.lifecycle.errors import Conflict, Invalid, NotFound
from lambdas.runtime.forms import FormStatus, FormStore
from lambdas.runtime.output_limits import json_size
from lambdas.runtime.ports import EventWaits, ExecutionStore, TaskCallbacks
from lambdas.runtime.record import FINAL_STATUSES
from lambdas.runtime.schema_fields import FieldProblem, answer_problems, form_fields
from statemachine.error_names import EVENT_REJECTED

# An event's JSON at most: Step Functions takes up to 256 KiB as a callback's output and as
# the state that carries it to the settling task, with the rest of the state.
MAX_EVENT_BYTES = 128 * 1024
# A rejection's reason at most: Step Functions takes a cause of up to 32,768 characters.
MAX_REASON_CHARACTERS = 4096


class DeliveryPorts(Protocol):
    """What a delivery needs: the executions, their nodes' tokens and the callbacks."""

    @property
    def executions(self) -> ExecutionStore: ...

    @property
    def event_waits(self) -> EventWaits | None: ...

    @property
    def callbacks(self) -> TaskCallbacks | None: ...

    @property
    def forms(self) -> FormStore | None: ...


@dataclass(frozen=True)
class Rejection:
    """An event refused: the waiting node fails with `reason` (`stepthunk run`, tests)."""

    reason: str = ""


def deliver(
    ports: DeliveryPorts,
    organization_id: str,
    execution_id: str,
    node_id: str,
    payload: Any = None,
    *,
    rejection: str | None = None,
) -> None:
    """Deliver `payload` to the organization's node waiting for an event, or with
    `rejection` fail it with that reason. NotFound for an execution or a node it does not
    have; Conflict NOT_WAITING when the node does not wait (not yet, not a wait-for-event
    node, an event delivered already, its wait timed out, its execution ended); Invalid
    EVENT_TOO_LARGE past MAX_EVENT_BYTES, INVALID_ANSWER when the node waits for a form
    whose schema the event does not answer."""
    waits, callbacks = _delivery_ports(ports)
    _check_node(ports, organization_id, execution_id, node_id)
    if rejection is None:
        _check_size(payload)
    forms = ports.forms
    form = None if forms is None else forms.of_node(execution_id, node_id)
    answer = None
    if forms is not None and form is not None and rejection is None:
        answer = _Answer.marked(forms, form, execution_id, node_id, payload)
    token = waits.take(execution_id, node_id)
    if token is None:
        if answer is not None:
            answer.undo()
        raise Conflict(
            "NOT_WAITING",
            f"Node '{node_id}' is not waiting for an event (it has not started waiting, "
            "or an event was delivered to it already)",
        )
    sent = False
    try:
        if rejection is None:
            sent = callbacks.succeed(token, {"payload": payload})
        else:
            sent = callbacks.fail(token, EVENT_REJECTED, rejection[:MAX_REASON_CHARACTERS])
    finally:
        if answer is not None and not sent:
            answer.undo()
    if form is not None and forms is not None:
        forms.close(form)  # its wait is over (an answered form stays answered)
    if not sent:
        raise Conflict(
            "NOT_WAITING",
            f"Node '{node_id}' no longer waits: its wait timed out or its execution ended",
        )


@dataclass(frozen=True)
class _Answer:
    """The answer to the form `key` that `node_id` of `execution_id` waits for."""

    forms: FormStore
    key: str
    execution_id: str
    node_id: str

    @classmethod
    def marked(
        cls, forms: FormStore, key: str, execution_id: str, node_id: str, payload: Any
    ) -> _Answer:
        """`payload` checked against the form's schema (Invalid INVALID_ANSWER), then marked
        as the form's answer."""
        _check_answer(forms, key, payload)
        answer = cls(forms, key, execution_id, node_id)
        answer.mark()
        return answer

    def mark(self) -> None:
        """Mark the form answered before the answer resumes the node: a second answer (by
        the form's page or the event route) or a retry taking the form over finds it
        answered. Conflict NOT_WAITING when it is answered already, or its wait ended."""
        if not self.forms.answer(self.key, self.execution_id, self.node_id):
            raise Conflict(
                "NOT_WAITING",
                f"Node '{self.node_id}' no longer waits: its form was answered already, or "
                "its wait ended",
            )

    def undo(self) -> None:
        """The answer did not resume the node, whose wait ended meanwhile (timed out,
        rejected, its execution ended): the form is closed, unanswered, so that a retry of
        the execution may take it over."""
        self.forms.unanswer(self.key, self.execution_id, self.node_id, FormStatus.CLOSED)


def _check_size(payload: Any) -> None:
    if (size := json_size(payload)) > MAX_EVENT_BYTES:
        raise Invalid(
            "EVENT_TOO_LARGE",
            f"The event is {size:,} bytes of JSON, over the {MAX_EVENT_BYTES:,} bytes an "
            "event may be: store large data elsewhere and send a reference",
        )


# What a record's waiting node waits for, when a delivery can reach it (event_wait's EVENT and
# FORM, not imported: the HTTP API's cold start reads no workflow validator).
WAITS = frozenset({"event", "form"})


def _check_node(
    ports: DeliveryPorts, organization_id: str, execution_id: str, node_id: str
) -> None:
    """NotFound unless the organization's execution has the node; Conflict NOT_WAITING
    when the execution ended, or its record does not show the node waiting for an event or
    a form yet. A node shows it once its wait is set up whole (its token kept and its form
    claimed): an answer that came between the two found no form and skipped its schema."""
    handle = ports.executions.handle(execution_id)
    if handle is None or handle.organization_id != organization_id:
        raise NotFound("Execution", execution_id)
    if handle.status in FINAL_STATUSES:
        raise Conflict("NOT_WAITING", f"The execution is {handle.status}: no node waits")
    record = ports.executions.get(execution_id)
    node = (
        next((n for n in record.node_executions if n.node_id == node_id), None) if record else None
    )
    if node is None:
        raise NotFound("Node", node_id)
    if node.waiting_for not in WAITS:
        raise Conflict(
            "NOT_WAITING",
            f"Node '{node_id}' is not waiting for an event (it has not started waiting, "
            "or an event was delivered to it already)",
        )


def _check_answer(forms: FormStore | None, key: str, answer: Any) -> None:
    """Invalid INVALID_ANSWER, naming each field, when `answer` does not answer the form."""
    form = None if forms is None else forms.get(key)
    if form is None:
        return
    problems = answer_problems(form_fields(form.form_schema), answer)
    if problems:
        raise invalid_answer(problems)


def invalid_answer(problems: list[FieldProblem]) -> Invalid:
    """The refusal of an answer with `problems`: the first in the message, all in details."""
    details = [{"field": problem.field, "message": problem.message} for problem in problems]
    return Invalid("INVALID_ANSWER", problems[0].message, details)


def deliver_given(
    ports: DeliveryPorts, organization_id: str, execution_id: str, node_id: str, given: Any
) -> None:
    """`deliver` the event `given`, or the Rejection it is."""
    if isinstance(given, Rejection):
        deliver(ports, organization_id, execution_id, node_id, rejection=given.reason)
    else:
        deliver(ports, organization_id, execution_id, node_id, given)


def _delivery_ports(ports: DeliveryPorts) -> tuple[EventWaits, TaskCallbacks]:
    if ports.event_waits is None or ports.callbacks is None:
        raise RuntimeError("This host cannot deliver events")
    return ports.event_waits, ports.callbacks
