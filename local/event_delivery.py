"""Delivering events given before a run (`stepthunk run --event`, the engines' `events`) to
wait-for-event nodes once they wait (and answers to wait-for-form nodes): the lifecycle's
delivery, tried until each node waits or the execution ends. An answer its form's schema
refuses is dropped with a warning, and its node waits on (as a form's page would refuse it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from lambdas.lifecycle.errors import Conflict, Invalid
from lambdas.lifecycle.event_delivery import DeliveryPorts, deliver_given

# How often a node not yet waiting is asked again.
POLL_SECONDS = 0.02
logger = logging.getLogger(__name__)


def deliver_when_waiting(
    ports: DeliveryPorts,
    organization_id: str,
    execution_id: str,
    events: Mapping[str, Any],
    done: threading.Event,
) -> None:
    """Deliver each of `events` (node id -> JSON value, or a Rejection) when its node waits,
    until all are delivered or `done` is set (the execution ended)."""
    pending = dict(events)
    while pending and not done.is_set():
        for node_id, given in list(pending.items()):
            try:
                deliver_given(ports, organization_id, execution_id, node_id, given)
            except Conflict as refusal:
                if refusal.code == "NOT_WAITING":
                    continue  # not yet (or never: the execution's end stops the loop)
                raise
            except Invalid as refusal:
                logger.warning("Not delivered to node '%s': %s", node_id, refusal.message)
            del pending[node_id]
        done.wait(POLL_SECONDS)


def delivering(
    ports: DeliveryPorts, organization_id: str, execution_id: str, events: Mapping[str, Any]
) -> tuple[threading.Thread, threading.Event]:
    """A started thread delivering `events` as `deliver_when_waiting` does, and the event
    that stops it."""
    done = threading.Event()
    thread = threading.Thread(
        target=deliver_when_waiting,
        args=(ports, organization_id, execution_id, events, done),
        name=f"events for {execution_id}",
        daemon=True,
    )
    thread.start()
    return thread, done
