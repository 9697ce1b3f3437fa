"""How executions end on Step Functions: terminal states, Finalize on every path, retries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdas.runtime.errors import TransientError
from local.embedded import EmbeddedEngine
from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.runs import Fault, Faults, new_organization, run
from tests.support.workflows import chain, edge, node, workflow

ARITHMETIC = Path(__file__).parents[2] / "workflows" / "arithmetic.json"
# Around the units: Check credits, Initialize workflow (which persists the start record),
# then Finalize, Outcome and the terminal state.
STATES_AROUND_UNITS = 5


def without_identity(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in {"id", "startedAt", "endedAt"}}


def test_a_failed_node_ends_the_execution_in_the_failed_state(engine: EmbeddedEngine) -> None:
    finished = run(
        engine,
        workflow(
            node("d", "division", a=1, b=0),
            node("e", "addition", b=1),
            edges=[edge("d.result", "e.a")],
        ),
    )

    assert finished.record.status == "error"
    assert finished.record.node("d").error == "Division by zero is not allowed"
    assert finished.record.node("e").status == "skipped"
    assert finished.description["status"] == "FAILED"
    assert finished.description["error"] == "WorkflowExecutionError"
    assert "'d'" in finished.description["cause"]
    assert "Division by zero is not allowed" in finished.description["cause"]
    assert finished.entered()[-3:] == ["Finalize", "Outcome", "Failed"]
    assert engine.record(finished.record.id).status == "error"


def test_a_completed_workflow_ends_in_the_succeeded_state(engine: EmbeddedEngine) -> None:
    finished = run(engine, chain())

    assert finished.record.status == "completed"
    assert finished.record.node("c").outputs == {"result": 20}
    assert finished.description["status"] == "SUCCEEDED"
    assert json.loads(finished.description["output"])["status"] == "completed"
    assert finished.entered()[-3:] == ["Finalize", "Outcome", "Succeeded"]


def test_a_crashed_run_task_still_reaches_finalize_and_records_the_crash(
    unit_per_node: EmbeddedEngine, faults: Faults
) -> None:
    crash = faults.inject(unit_per_node, "run_node", Fault(RuntimeError, "disk on fire", node="b"))

    finished = run(unit_per_node, chain())

    assert crash.attempts == 1  # an unexpected error is not retried
    assert "Finalize" in finished.entered()
    assert finished.record.status == "error"
    assert "RuntimeError" in (finished.record.error or "")
    assert "disk on fire" in (finished.record.error or "")
    assert [e.status for e in finished.record.node_executions] == ["completed", "idle", "idle"]
    assert finished.description["status"] == "FAILED"
    assert finished.description["error"] == "WorkflowExecutionError"
    assert "disk on fire" in finished.description["cause"]


def test_a_transient_error_is_retried_to_the_record_of_a_fault_free_run(
    unit_per_node: EmbeddedEngine, faults: Faults
) -> None:
    organization = new_organization()
    clean = run(unit_per_node, chain(), organization_id=organization)
    hiccup = faults.inject(
        unit_per_node, "run_node", Fault(TransientError, "throttled", times=2, node="b")
    )

    retried = run(unit_per_node, chain(), organization_id=organization)

    assert hiccup.attempts == 3
    assert retried.description["status"] == "SUCCEEDED"
    assert retried.record.status == "completed"
    assert without_identity(retried.record.to_json()) == without_identity(clean.record.to_json())


def test_a_transient_error_outlasting_the_retries_still_reaches_finalize(
    unit_per_node: EmbeddedEngine, faults: Faults
) -> None:
    outage = faults.inject(unit_per_node, "run_node", Fault(TransientError, "throttled", node="b"))

    finished = run(unit_per_node, chain())

    assert outage.attempts == 4  # the first attempt and three retries
    assert "Finalize" in finished.entered()
    assert finished.record.status == "error"
    assert "TransientError" in (finished.record.error or "")
    assert [e.status for e in finished.record.node_executions] == ["completed", "idle", "idle"]
    assert finished.description["status"] == "FAILED"


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"ghost": {"value": 1}}, "ghost"),
        ({"a": {"min": "two"}}, "a.min"),
    ],
)
def test_invalid_input_overrides_are_recorded_as_an_error_without_retries(
    engine: EmbeddedEngine, inputs: dict[str, Any], named: str
) -> None:
    finished = run(engine, chain(), inputs=inputs)

    assert finished.invocations("initialize") == 1
    entered = ["Check credits", "Initialize workflow", "Finalize", "Outcome", "Failed"]
    assert finished.entered() == entered
    assert finished.record.status == "error"
    assert "[INVALID_VALUE]" in (finished.record.error or "")
    assert named in (finished.record.error or "")
    assert {e.status for e in finished.record.node_executions} == {"idle"}
    assert finished.description["status"] == "FAILED"
    assert "[INVALID_VALUE]" in finished.description["cause"]


def test_the_arithmetic_example_enters_five_states_besides_its_units(
    engine: EmbeddedEngine,
) -> None:
    finished = run(engine, json.loads(ARITHMETIC.read_text()))
    entered = finished.entered()

    assert finished.record.status == "completed"
    assert len(entered) == finished.units + STATES_AROUND_UNITS
    assert entered[:2] == ["Check credits", "Initialize workflow"]
    assert entered[-3:] == ["Finalize", "Outcome", "Succeeded"]


def test_a_fetch_referencing_a_secret_has_it_preloaded_by_initialize_without_a_state_more(
    engine: EmbeddedEngine, http_server: LocalServer
) -> None:
    organization = new_organization()
    engine.secrets.put(organization, "TOKEN", "s3cret-token")
    signed = {"Authorization": "Bearer {{secrets.TOKEN}}"}
    finished = run(
        engine,
        workflow(
            node("f", "fetch", url=http_server.url("/json"), headers=signed),
            node("show", "output-json"),
            edges=[edge("f.body", "show.value")],
        ),
        organization_id=organization,
    )
    entered = finished.entered()

    assert finished.record.status == "completed"
    assert (finished.record.node("show").outputs or {})["displayValue"]["path"] == "/json"
    assert http_server.last.headers["authorization"] == "Bearer s3cret-token"
    assert len(entered) == finished.units + STATES_AROUND_UNITS
    assert entered[:2] == ["Check credits", "Initialize workflow"]


def test_a_secret_referenced_only_by_an_input_override_is_looked_up_when_used(
    engine: EmbeddedEngine, http_server: LocalServer
) -> None:
    organization = new_organization()
    engine.secrets.put(organization, "TOKEN", "late-token")
    raw = workflow(node("f", "fetch", url=http_server.url("/json")))
    overrides = {"f": {"headers": {"Authorization": "Bearer {{secrets.TOKEN}}"}}}

    finished = run(engine, raw, inputs=overrides, organization_id=organization)

    assert "Preload secrets" not in finished.entered()
    assert finished.record.status == "completed", finished.record.error
    assert http_server.last.headers["authorization"] == "Bearer late-token"
    assert "late-token" not in json.dumps(finished.record.to_json())
