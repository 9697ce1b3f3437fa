"""What bench/chain.py measures of a chain on the default engine: the Lambda time of each of
its unit tasks, read from the execution's history (the engine deploys a version and runs it;
the execution's ARN names the machine)."""

from __future__ import annotations

from bench.chain import addition_chain, measure_chain
from bench.measure import execution_arn
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.planner import plan_workflow
from statemachine.validation import validated


def test_an_execution_of_a_version_is_named_by_its_machine() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:flow"
    expected = "arn:aws:states:us-east-1:123456789012:execution:flow:run-1"
    assert execution_arn(f"{machine}:3", "run-1") == expected
    assert execution_arn(machine, "run-1") == expected


def test_a_chain_s_figures_come_from_its_execution_s_history(cloud: LocalCloud) -> None:
    engine = EmbeddedEngine(cloud=cloud, prefix="bench-chain-test")

    run = measure_chain(engine, InProcessEngine(), 120)

    catalog = engine.registry.catalog
    units = plan_workflow(validated(addition_chain(120), catalog), catalog).units
    assert len(run.unit_ms) == len(units) > 1
    assert all(ms >= 0 for ms in run.unit_ms)
    assert run.execution_ms > 0
