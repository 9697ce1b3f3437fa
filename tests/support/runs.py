"""The embedded engine as an operator sees it: runs, their Step Functions history, injected
faults (the `faults` fixture, which a suite registers by importing `faults_fixture`), charges.

Every test gets an organization of its own so that credits, values and records never mix
between tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest

from lambdas.runtime.record import ExecutionRecord
from local.cloud import LambdaCall, LocalCloud
from local.embedded import EmbeddedEngine, UpdateListener
from statemachine.planner import plan_workflow
from statemachine.validation import validate_workflow


def new_organization() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


@dataclass
class Run:
    """One finished execution: its persisted record and what Step Functions says of it."""

    engine: EmbeddedEngine
    record: ExecutionRecord
    arn: str
    units: int

    @cached_property
    def description(self) -> dict[str, Any]:
        return dict(self.client.describe_execution(executionArn=self.arn))

    @cached_property
    def history(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"executionArn": self.arn, "maxResults": 1000}
        while True:
            page = self.client.get_execution_history(**request)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            request["nextToken"] = page["nextToken"]

    def entered(self, kind: str = "") -> list[str]:
        """Names of the states entered, in order (only `<kind>StateEntered` events if given)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if event["type"].endswith("StateEntered") and event["type"].startswith(kind)
        ]

    def entered_inputs(self, name: str) -> list[Any]:
        """The state input (JSON) each time the state `name` was entered."""
        return [
            json.loads(event["stateEnteredEventDetails"]["input"])
            for event in self.history
            if event["type"].endswith("StateEntered")
            and event["stateEnteredEventDetails"]["name"] == name
        ]

    def invocations(self, task: str) -> int:
        """How many times Step Functions invoked the Lambda of `task` (a TaskFunctions field)."""
        arn = getattr(self.engine.deployment.functions, task)
        return sum(
            1
            for event in self.history
            if event["type"] == "LambdaFunctionScheduled"
            and event["lambdaFunctionScheduledEventDetails"]["resource"] == arn
        )

    @property
    def client(self) -> Any:
        return self.engine.cloud.client("stepfunctions")


def run(
    engine: EmbeddedEngine,
    workflow: dict[str, Any],
    *,
    inputs: Any = None,
    organization_id: str | None = None,
    on_update: UpdateListener | None = None,
    execution_id: str | None = None,
    events: Mapping[str, Any] | None = None,
) -> Run:
    """Run `workflow` to its end on `engine` (in a fresh organization unless one is given,
    under a new execution id unless one is given; `events` for its wait-for-event nodes)."""
    execution_id = execution_id or str(uuid.uuid4())
    record = engine.run(
        workflow,
        inputs=inputs,
        organization_id=organization_id or new_organization(),
        execution_id=execution_id,
        on_update=on_update,
        events=events,
    )
    valid = validate_workflow(workflow, engine.registry.catalog)
    handle = engine.executions.handle(execution_id)
    arn = (handle.execution_arn if handle else None) or ""  # none kept of an Express one
    plan = plan_workflow(valid, engine.registry.catalog, max_group_size=engine.max_group_size)
    return Run(engine=engine, record=record, arn=arn, units=len(plan.units))


@dataclass
class Fault:
    """What an injected fault does to the invocations of one Lambda.

    Invocations that match (`node`: only units running that node) raise `error` the first
    `times` times (None: always); `after_real_call` runs the real function first, as a Lambda
    whose response is lost after it did its work.
    """

    error: type[Exception]
    message: str
    times: int | None = None
    node: str | None = None
    after_real_call: bool = False
    attempts: int = 0

    def __call__(self, real: LambdaCall, event: dict[str, Any], deadline: float) -> dict[str, Any]:
        running = {n["id"] for n in event.get("nodes", [])} | set(event.get("nodeIds", []))
        if self.node is not None and self.node not in running:
            return real(event, deadline)
        self.attempts += 1
        if self.times is not None and self.attempts > self.times:
            return real(event, deadline)
        if self.after_real_call:
            real(event, deadline)
        raise self.error(self.message)


@dataclass
class Faults:
    """Injects faults into an engine's Lambda functions, each removed when the test ends."""

    replaced: list[tuple[LocalCloud, str, tuple[LambdaCall, int]]] = field(default_factory=list)

    def inject(self, engine: EmbeddedEngine, task: str, fault: Fault) -> Fault:
        name = str(getattr(engine.deployment.functions, task)).rsplit(":", 1)[-1]
        original = engine.cloud.functions[name]
        real, timeout = original

        def call(event: dict[str, Any], deadline: float) -> dict[str, Any]:
            return fault(real, event, deadline)

        engine.cloud.functions[name] = (call, timeout)
        self.replaced.append((engine.cloud, name, original))
        return fault

    def restore(self) -> None:
        for cloud, name, original in reversed(self.replaced):
            cloud.functions[name] = original
        self.replaced.clear()


@pytest.fixture(name="faults")
def faults_fixture() -> Iterator[Faults]:
    injected = Faults()
    yield injected
    injected.restore()


def compact_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON (how messages and values are measured)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def ledger(engine: EmbeddedEngine, organization: str) -> list[dict[str, Any]]:
    """The organization's charge items, as stored."""
    found = engine.cloud.client("dynamodb").query(
        TableName=engine.deployment.settings["organizations_table"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :charge)",
        ExpressionAttributeValues={
            ":pk": {"S": f"ORG#{organization}"},
            ":charge": {"S": "CHARGE#"},
        },
        ConsistentRead=True,
    )
    return list(found["Items"])
