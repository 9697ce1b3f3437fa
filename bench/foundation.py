"""Foundation benchmarks: planning a 10,000-node workflow and the executor's cost per node.

Prints measurements next to their targets; nothing here asserts timings. Each figure is the
best of several rounds, since these machines are noisy.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from lambdas.nodes import default_registry
from lambdas.runtime.executor import PreparedWorkflow, run_unit
from lambdas.runtime.node_type import ExecutionEnvironment, NodeContext, NodeFamily, port
from lambdas.runtime.record import NodeExecution
from lambdas.runtime.registry import Registry
from local.memory import MappingSource, MemoryBlobStore
from statemachine.model import ParameterType, Workflow
from statemachine.planner import IndividualUnit, plan_workflow
from statemachine.validation import validate_workflow

PLAN_TARGET_S = 1.0
OVERHEAD_TARGET_US = 50.0


def best_of(rounds: int, action: Callable[[], object]) -> float:
    """The shortest wall time of `rounds` runs of `action`, in seconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def large_workflow(node_count: int = 10_000, edge_count: int = 20_000) -> dict[str, Any]:
    """A random DAG: `sum` nodes (inlinable) with one in ten `random-number` (not inlinable)."""
    rng = random.Random(7)
    nodes = [
        {"id": f"n{i}", "type": "random-number" if rng.random() < 0.1 else "sum"}
        for i in range(node_count)
    ]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edge_count:
        target = rng.randrange(1, node_count)
        source = rng.randrange(max(0, target - 200), target)
        if nodes[target]["type"] == "sum":
            pairs.add((source, target))
    edges = [
        {
            "source": f"n{s}",
            "sourceOutput": "value" if nodes[s]["type"] == "random-number" else "result",
            "target": f"n{t}",
            "targetInput": "numbers",
        }
        for s, t in sorted(pairs)
    ]
    return {"id": "large", "name": "Large", "nodes": nodes, "edges": edges}


def chain(node_type: str, length: int, **literals: Any) -> dict[str, Any]:
    """`length` nodes of `node_type`, each one's `result` feeding the next one's `a`."""
    given = [{"name": name, "value": value} for name, value in literals.items()]
    nodes = [{"id": f"n{i}", "type": node_type, "inputs": given} for i in range(length)]
    nodes[0] = {**nodes[0], "inputs": [*given, {"name": "a", "value": 0}]}
    edges = [
        {"source": f"n{i - 1}", "sourceOutput": "result", "target": f"n{i}", "targetInput": "a"}
        for i in range(1, length)
    ]
    return {"id": f"{node_type}-chain", "name": "Chain", "nodes": nodes, "edges": edges}


def noop_registry() -> Registry:
    """The starter catalog plus `noop`, a node that does nothing: the framework's cost alone."""
    family = NodeFamily("Benchmark")

    @family.node(
        "noop",
        "No-op",
        "Passes its input on",
        inputs=(port("a", ParameterType.ANY),),
        outputs=(port("result", ParameterType.ANY),),
    )
    def noop(ctx: NodeContext) -> Mapping[str, Any]:
        return {"result": ctx.inputs.get("a")}

    return Registry([*default_registry().values(), noop])


def execute(workflow: Workflow, registry: Registry) -> Callable[[], object]:
    """Running the workflow's units with the executor alone (no validation or planning)."""
    plan = plan_workflow(workflow, registry.catalog)
    prepared = PreparedWorkflow(workflow, registry)
    environment = ExecutionEnvironment(
        workflow_id=workflow.id,
        execution_id="bench",
        organization_id="bench",
        secrets=MappingSource(),
        integrations=MappingSource(),
        blobs=MemoryBlobStore(),
    )

    def run() -> None:
        results: dict[str, NodeExecution] = {}
        for unit in plan.units:
            ids = [unit.node_id] if isinstance(unit, IndividualUnit) else unit.node_ids
            run_unit(prepared, ids, results, {}, environment)

    return run


def main() -> None:
    registry = noop_registry()
    catalog = registry.catalog

    raw = large_workflow()
    validated = validate_workflow(raw, catalog)
    validate_s = best_of(3, lambda: validate_workflow(raw, catalog))
    plan_s = best_of(3, lambda: plan_workflow(validated, catalog))
    plan = plan_workflow(validated, catalog)
    print("(a) 10,000 nodes / 20,000 edges")
    print(f"    validate: {validate_s * 1000:8.1f} ms")
    print(
        f"    plan:     {plan_s * 1000:8.1f} ms   target < {PLAN_TARGET_S * 1000:.0f} ms "
        f"(ratio {plan_s / PLAN_TARGET_S:.2f})   {len(plan.units)} units"
    )

    length = 1000
    addition = validate_workflow(chain("addition", length, b=1), catalog)
    noop = validate_workflow(chain("noop", length), catalog)
    addition_s = best_of(5, execute(addition, registry))
    noop_s = best_of(5, execute(noop, registry))
    units = len(plan_workflow(addition, catalog).units)
    print(f"(b) 1,000-node inline chain of `addition` ({units} units)")
    print(
        f"    {length / addition_s:10,.0f} nodes/s   {addition_s / length * 1e6:6.1f} µs per node"
    )
    overhead_us = noop_s / length * 1e6
    print("(c) the same chain of a no-op node: the framework's overhead per node")
    print(
        f"    {length / noop_s:10,.0f} nodes/s   {overhead_us:6.1f} µs per node   "
        f"target < {OVERHEAD_TARGET_US:.0f} µs (ratio {overhead_us / OVERHEAD_TARGET_US:.2f})"
    )


if __name__ == "__main__":
    main()
