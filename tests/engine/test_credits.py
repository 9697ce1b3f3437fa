"""Credits on Step Functions: refused before any node runs, charged once for completed nodes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from lambdas.runtime.errors import TransientError
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LOCAL_FAKES,
    LocalServer,
    http_server_fixture,
)
from tests.support.runs import Fault, Faults, ledger, new_organization, run
from tests.support.workflows import edge, node, workflow


@pytest.fixture(scope="module")
def paying(cloud: LocalCloud) -> EmbeddedEngine:
    """A deployment that checks and charges credits."""
    return EmbeddedEngine(cloud=cloud, credits=0, allow_networks=LOCAL_FAKES)


def mixed() -> dict[str, Any]:
    """Two nodes complete, one fails, one is skipped: an estimate of 4, a charge of 2."""
    return workflow(
        node("a", "number-input", value=6),
        node("d", "division", b=0),
        node("after", "addition", b=1),
        node("ok", "addition", a=1, b=2),
        edges=[edge("a.value", "d.a"), edge("d.result", "after.a")],
    )


def usage(engine: EmbeddedEngine, organization: str) -> int:
    account = engine.organizations.get(organization)
    assert account is not None
    return account.usage


def test_too_few_credits_end_in_the_exhausted_state_before_any_node_runs(
    paying: EmbeddedEngine,
) -> None:
    organization = new_organization()
    paying.set_credits(organization, credits=7, usage=5)

    finished = run(paying, mixed(), organization_id=organization)

    assert finished.record.status == "exhausted"
    assert finished.record.error == "Insufficient compute credits"
    assert {e.status for e in finished.record.node_executions} == {"idle"}
    assert not [name for name in finished.entered() if name.startswith("Run ")]
    assert finished.entered()[-2:] == ["Persist exhausted", "Exhausted"]
    assert finished.description["status"] == "FAILED"
    assert finished.description["error"] == "CreditsExhausted"
    assert finished.description["cause"] == "Insufficient compute credits"
    assert usage(paying, organization) == 5
    assert ledger(paying, organization) == []


def test_a_refused_credit_check_logs_the_organization_and_the_estimate(
    paying: EmbeddedEngine, info_logs: io.StringIO
) -> None:
    organization = new_organization()
    paying.set_credits(organization, credits=7, usage=5)

    finished = run(paying, mixed(), organization_id=organization)

    assert finished.record.status == "exhausted"
    logs = [json.loads(line) for line in info_logs.getvalue().splitlines()]
    refused = [log for log in logs if log.get("organization") == organization]
    assert [(log["level"], log["message"], log["estimate"]) for log in refused] == [
        ("INFO", "Insufficient compute credits", 4)
    ]


def test_an_organization_without_an_account_runs_nothing(
    paying: EmbeddedEngine, http_server: LocalServer
) -> None:
    organization = new_organization()  # never given credits: no account at all
    flow = workflow(
        node("f", "fetch", url=http_server.url("/json")),
        node("a", "addition", a=1, b=2),
    )

    finished = run(paying, flow, organization_id=organization)

    assert finished.record.status == "exhausted"
    assert finished.record.error == "Insufficient compute credits"
    assert {e.status for e in finished.record.node_executions} == {"idle"}
    assert not [name for name in finished.entered() if name.startswith("Run ")]
    assert http_server.requests == []
    assert paying.organizations.get(organization) is None
    assert ledger(paying, organization) == []


def test_only_completed_nodes_are_charged(paying: EmbeddedEngine) -> None:
    organization = new_organization()
    paying.set_credits(organization, credits=100, usage=10)

    finished = run(paying, mixed(), organization_id=organization)

    record = finished.record
    completed = [e for e in record.node_executions if e.status == "completed"]
    assert [e.node_id for e in completed] == ["a", "ok"]
    assert record.node("d").status == "error"
    assert record.node("after").status == "skipped"
    assert record.usage == sum(e.usage for e in completed) == 2
    assert usage(paying, organization) == 10 + 2
    [charge] = ledger(paying, organization)
    assert charge["sk"]["S"] == f"CHARGE#{record.id}"
    assert charge["usage"]["N"] == "2"


def test_a_retried_finalize_charges_once(paying: EmbeddedEngine, faults: Faults) -> None:
    organization = new_organization()
    paying.set_credits(organization, credits=100)
    lost = faults.inject(
        paying,
        "finalize",
        Fault(TransientError, "response lost", times=1, after_real_call=True),
    )

    finished = run(
        paying,
        workflow(node("x", "addition", a=1, b=2), node("y", "addition", a=3, b=4)),
        organization_id=organization,
    )

    assert lost.attempts == 2
    assert finished.invocations("finalize") == 2
    assert finished.description["status"] == "SUCCEEDED"
    assert finished.record.status == "completed"
    assert finished.record.usage == 2
    assert usage(paying, organization) == 2
    [charge] = ledger(paying, organization)
    assert charge["usage"]["N"] == "2"


def test_development_mode_charges_nothing(engine: EmbeddedEngine) -> None:
    organization = new_organization()
    engine.set_credits(organization, credits=1, usage=1)

    finished = run(engine, mixed(), organization_id=organization)

    assert finished.record.status == "error"
    assert finished.record.usage == 2  # what would be charged, recorded but not billed
    assert usage(engine, organization) == 1
    assert ledger(engine, organization) == []
