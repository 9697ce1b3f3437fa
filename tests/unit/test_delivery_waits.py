"""A delivery reaches a node its record shows waiting for what event_wait says it waits for."""

from lambdas.lifecycle import event_delivery, event_wait


def test_a_delivery_knows_every_kind_of_wait_a_node_shows() -> None:
    assert {event_wait.EVENT, event_wait.FORM} == event_delivery.WAITS
