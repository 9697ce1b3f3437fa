"""The transitions the corpus test counts in compiled definitions are those executions enter:
the benchmark corpus's small workflows, run on the embedded engine, their histories counted."""

from __future__ import annotations

import pytest

from bench.corpus import FETCH_DELAY_S, SECRET_NAME, SECRET_VALUE, corpus
from bench.measure import Engines, measure
from bench.slow_server import slow_server
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.runs import new_organization, run
from tests.support.transitions import TRANSITIONS


@pytest.mark.parametrize(
    "name", ["tiny", "20-node mixed", "fetch-heavy", "secrets-using", "secret waves"]
)
def test_an_execution_enters_the_transitions_counted_in_its_definition(
    engine: EmbeddedEngine, name: str
) -> None:
    organization = new_organization()
    engine.secrets.put(organization, SECRET_NAME, SECRET_VALUE)
    with slow_server(FETCH_DELAY_S / 10, SECRET_VALUE) as base_url:
        case = next(case for case in corpus(base_url) if case.name == name)
        finished = run(engine, case.workflow, inputs=case.inputs, organization_id=organization)

    assert finished.record.status == "completed", finished.record.error
    assert case.check is None or case.check(finished.record) is None
    assert len(finished.entered()) == TRANSITIONS[name]


def test_the_report_s_engines_reach_its_slow_server(cloud: LocalCloud) -> None:
    # fetch refuses loopback unless allowed: the report allows its own server
    engines = Engines.create(cloud)
    with slow_server(FETCH_DELAY_S / 10, SECRET_VALUE) as base_url:
        case = next(case for case in corpus(base_url) if case.name == "fetch-heavy")
        row = measure(case, engines, fixed_states=None)

    assert row.problems == []
    assert row.usage is not None
    assert row.inprocess_s is not None
