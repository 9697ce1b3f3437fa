"""Step Functions engine benchmarks: state transitions per execution, and end-to-end time.

(a) Transitions: `*StateEntered` events in each execution's history, for the example
    workflows and a 100-node workflow, next to what a one-task-per-node compilation (every
    node its own unit) needs. Target: at most units + 8 per execution.
(b) Wall time of a 20-node mixed workflow on the embedded engine (moto) next to the
    in-process engine. Target: under 0.5 s on the embedded engine.
Prints measurements; asserts nothing. Times are the best of several runs (noisy machines).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from bench.foundation import best_of
from lambdas.nodes import default_registry
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from statemachine.planner import plan_workflow
from statemachine.validation import validate_workflow

ROOT = Path(__file__).resolve().parents[1]
TRANSITION_SLACK = 8
E2E_TARGET_S = 0.5


def edge(source: str, output: str, target: str, target_input: str) -> dict[str, str]:
    return {"source": source, "sourceOutput": output, "target": target, "targetInput": target_input}


def hundred_nodes() -> dict[str, Any]:
    """100 nodes: `sum` nodes fed from earlier ones, one in ten a `random-number`."""
    rng = random.Random(100)
    nodes: list[dict[str, Any]] = []
    edges = []
    for i in range(100):
        alone = i % 10 == 5
        nodes.append({"id": f"n{i}", "type": "random-number" if alone else "sum"})
        if not alone and i:
            for source in rng.sample(range(max(0, i - 8), i), k=min(i, 2)):
                output = "value" if nodes[source]["type"] == "random-number" else "result"
                edges.append(edge(f"n{source}", output, f"n{i}", "numbers"))
        elif not alone:
            nodes[-1]["inputs"] = [{"name": "numbers", "value": [1]}]
    return {"id": "hundred", "name": "100 nodes", "nodes": nodes, "edges": edges}


def mixed_twenty() -> dict[str, Any]:
    """20 nodes of every family: inputs, math, text, JSON, a fork and join, random, time."""

    def node(node_id: str, node_type: str, **values: Any) -> dict[str, Any]:
        inputs = [{"name": k, "value": v} for k, v in values.items()]
        return {"id": node_id, "type": node_type, "inputs": inputs}

    nodes = [
        node("price", "number-input", value=40),
        node("qty", "number-input", value=3),
        node("name", "text-input", value="  ada  "),
        node("order", "json-input", json=[{"sku": "a"}, {"sku": "b"}]),
        node("big", "boolean-input", value=True),
        node("subtotal", "multiplication"),
        node("noise", "random-number", min=0, max=1),
        node("now", "date-now"),
        node("total", "addition"),
        node("trim", "string-trim"),
        node("upper", "string-to-upper-case"),
        node("count", "json-array-length"),
        node("route", "conditional-fork"),
        node("discount", "multiplication", b=0.9),
        node("shipping", "addition", b=5),
        node("final", "conditional-join"),
        node("label", "to-string"),
        node("greeting", "string-concat", input_1="Hello "),
        node("summary", "json-agg"),
        node("show", "output-json"),
    ]
    edges = [
        edge("price", "value", "subtotal", "a"),
        edge("qty", "value", "subtotal", "b"),
        edge("subtotal", "result", "total", "a"),
        edge("noise", "value", "total", "b"),
        edge("name", "value", "trim", "string"),
        edge("trim", "result", "upper", "string"),
        edge("order", "json", "count", "array"),
        edge("total", "result", "route", "value"),
        edge("big", "value", "route", "condition"),
        edge("route", "true", "discount", "a"),
        edge("route", "false", "shipping", "a"),
        edge("discount", "result", "final", "true"),
        edge("shipping", "result", "final", "false"),
        edge("final", "result", "label", "value"),
        edge("upper", "result", "greeting", "input_2"),
        edge("label", "result", "summary", "values"),
        edge("greeting", "result", "summary", "values"),
        edge("count", "length", "summary", "values"),
        edge("now", "date", "summary", "values"),
        edge("summary", "result", "show", "value"),
    ]
    return {"id": "mixed-20", "name": "20-node mixed", "nodes": nodes, "edges": edges}


def transitions(engine: EmbeddedEngine, workflow: dict[str, Any]) -> int:
    """`*StateEntered` events in the history of one execution of `workflow`."""
    record = engine.run(workflow)
    assert record.status == "completed", record.error
    client = engine.cloud.client("stepfunctions")
    arn = next(
        e["executionArn"]
        for machine in client.list_state_machines()["stateMachines"]
        for e in client.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        if e["name"] == record.id
    )
    entered, token = 0, None
    while True:
        page = client.get_execution_history(
            executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        entered += sum(1 for e in page["events"] if e["type"].endswith("StateEntered"))
        token = page.get("nextToken")
        if not token:
            return entered


def main() -> None:
    cloud = LocalCloud.shared()
    grouped = EmbeddedEngine(cloud=cloud)
    per_node = EmbeddedEngine(cloud=cloud, max_group_size=1)
    catalog = default_registry().catalog
    workflows = {
        path.stem: json.loads(path.read_text()) for path in sorted(ROOT.glob("workflows/*.json"))
    }
    workflows["100 nodes"] = hundred_nodes()
    workflows["20-node mixed"] = mixed_twenty()

    print("(a) state transitions per execution (*StateEntered events)")
    print(
        f"    {'workflow':<22}{'nodes':>6}{'units':>6}{'ours':>6}{'per node':>10}"
        f"{'ours/per node':>15}{'slack (units+8)':>17}"
    )
    total_ours = total_per_node = 0
    for name, workflow in workflows.items():
        plan = plan_workflow(validate_workflow(workflow, catalog), catalog)
        ours, naive = transitions(grouped, workflow), transitions(per_node, workflow)
        total_ours, total_per_node = total_ours + ours, total_per_node + naive
        slack = ours - len(plan.units)
        verdict = "ok" if slack <= TRANSITION_SLACK else "OVER"
        print(
            f"    {name:<22}{len(workflow['nodes']):>6}{len(plan.units):>6}{ours:>6}{naive:>10}"
            f"{ours / naive:>15.2f}{f'+{slack} {verdict}':>17}"
        )
    print(f"    all: {total_ours} vs {total_per_node} ({total_ours / total_per_node:.2f})")

    mixed = mixed_twenty()
    inprocess = InProcessEngine()
    embedded_s = best_of(5, lambda: grouped.run(mixed))
    inprocess_s = best_of(5, lambda: inprocess.run(mixed))
    print("(b) 20-node mixed workflow, end to end")
    print(
        f"    embedded (Step Functions on moto): {embedded_s * 1000:7.1f} ms   "
        f"target < {E2E_TARGET_S * 1000:.0f} ms (ratio {embedded_s / E2E_TARGET_S:.2f})"
    )
    print(
        f"    in-process:                        {inprocess_s * 1000:7.1f} ms   "
        f"embedded / in-process = {embedded_s / inprocess_s:.0f}x"
    )


if __name__ == "__main__":
    main()
