"""What bench/control_flow.py counts: a map run's iterations, of which moto keeps no history,
counted by the definition as many as an inline Map's iterations enter in the caller's
history; and the Lambda invocations it counts as they reach the functions, as many as the
histories schedule."""

from __future__ import annotations

import pytest

from bench.control_flow import Invocations, doubler, for_each_run
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from statemachine.validation import validated
from tests.support.runs import new_organization

ITEMS = 3


@pytest.fixture(scope="module")
def inline(cloud: LocalCloud) -> tuple[EmbeddedEngine, Invocations]:
    engine = EmbeddedEngine(cloud=cloud)
    return engine, Invocations(engine)


@pytest.fixture(scope="module")
def distributed(cloud: LocalCloud) -> tuple[EmbeddedEngine, Invocations]:
    engine = EmbeddedEngine(cloud=cloud, for_each_inline_items=ITEMS - 1)
    return engine, Invocations(engine)


def test_a_map_runs_iterations_count_as_the_inline_maps_iterations_enter(
    inline: tuple[EmbeddedEngine, Invocations], distributed: tuple[EmbeddedEngine, Invocations]
) -> None:
    measured = []
    for engine, invocations in (inline, distributed):
        organization = new_organization()
        engine.deploy(validated(doubler(), engine.registry.catalog), organization)
        measured.append(for_each_run(engine, invocations, organization, ITEMS)[0])
    on_inline, on_map_run = measured

    assert on_inline.name == "for-each, inline Map"
    assert on_map_run.name == "for-each, Distributed Map"
    assert on_map_run.map_run_transitions == ITEMS  # one state an iteration
    assert on_map_run.transitions == on_inline.transitions
    assert on_inline.invocations == on_inline.scheduled == on_map_run.invocations
    assert on_map_run.invocations == on_map_run.scheduled
