"""A form answered by whoever holds its token (the HTTP API's /forms?token=...): the form read
for its page, and its answer delivered to the wait-for-form node that waits for it, through
the delivery every event takes (lambdas.lifecycle.event_delivery).

The token is the only credential: no message, error or log names it, and a form answers 404
to a token that is no form's and 410 to one whose form is over (answered, its wait timed
out, its execution ended), the same whoever asks.
"""

from __future__ import annotations

import time
from typing import Any

from lambdas.lifecycle.errors import Conflict, Gone, LifecycleError, NotFound
from lambdas.lifecycle.event_delivery import DeliveryPorts, deliver
from lambdas.runtime.forms import Form, FormStatus, FormStore, form_key
from lambdas.runtime.record import FINAL_STATUSES, instant

OVER = "This form is closed: it was answered already, or it no longer waits for an answer"


class UnknownForm(NotFound):
    def __init__(self) -> None:
        LifecycleError.__init__(self, "NOT_FOUND", "No form has this address")


def read_form(ports: DeliveryPorts, token: str) -> Form:
    """The form of `token`, while it may be answered: UnknownForm (404) when there is none,
    Gone (410) when it is over."""
    forms = _forms(ports)
    form = forms.get(form_key(token))
    if form is None:
        raise UnknownForm()
    over = form.status in (FormStatus.ANSWERED, FormStatus.CLOSED) or (
        form.expires_at is not None and instant(form.expires_at) <= time.time()
    )
    handle = ports.executions.handle(form.execution_id)
    if over or handle is None or handle.status in FINAL_STATUSES:
        raise Gone("FORM_CLOSED", OVER)
    return form


def answer_form(ports: DeliveryPorts, token: str, answer: Any) -> Form:
    """Deliver `answer` to the node waiting for the form of `token`, once; the form.

    As read_form refuses, and: Conflict NOT_WAITING (409) when no node waits for the form
    yet (its wait-for-form node has not started: try again in a moment), Invalid
    INVALID_ANSWER (400) naming each field the answer gets wrong, Gone when its wait ended
    meanwhile or another answer came first."""
    form = read_form(ports, token)
    if form.status == FormStatus.OPEN or form.node_id is None:
        raise Conflict(
            "NOT_WAITING",
            "The workflow is not waiting for this form yet: send the answer again in a moment",
        )
    try:
        deliver(ports, form.organization_id, form.execution_id, form.node_id, answer)
    except (Conflict, NotFound):
        raise Gone("FORM_CLOSED", OVER) from None
    return form


def _forms(ports: DeliveryPorts) -> FormStore:
    if ports.forms is None:
        raise RuntimeError("This host keeps no forms")
    return ports.forms
