"""Faults for the reliability tests: failing Lambda tasks and AWS calls, and the checks that
an execution lost nothing (one whole record, one charge, one final update).

AWS faults wrap a method of the very boto3 client the adapters hold (an instance attribute
in front of the client's own method): chosen calls fail with a real botocore ClientError of
the chosen code, every other call reaches moto. Nothing of ours is patched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdas.nodes import default_registry
from lambdas.runtime.errors import TransientError
from lambdas.runtime.node_type import NodeContext, NodeFunction, NodeType
from lambdas.runtime.record import ExecutionRecord
from lambdas.runtime.registry import Registry
from local.cloud import REGION, LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES, RecordedRequest, Reply, serving
from tests.support.runs import (  # noqa: F401 - `faults_fixture` registers the fixture
    Run,
    faults_fixture,
    ledger,
    new_organization,
    run,
)
from tests.support.workflows import edge, node, workflow

FINAL = frozenset({"completed", "error", "exhausted", "cancelled"})
CREDITS = 1_000_000
SECRET = "pong-token-7f3a"  # the TOKEN secret of every organization that fetches


class Tripwire:
    """Makes chosen nodes raise TransientError the first time they run: a Lambda that dies
    in the middle of an inline group, after the members before it did their work."""

    def __init__(self) -> None:
        self.armed: set[str] = set()

    def wrap(self, run: NodeFunction) -> NodeFunction:
        def tripping(ctx: NodeContext) -> Any:
            if ctx.node_id in self.armed:
                self.armed.discard(ctx.node_id)
                raise TransientError(f"Lambda crashed while running node '{ctx.node_id}'")
            return run(ctx)

        return tripping


@pytest.fixture(scope="module")
def tripwire() -> Tripwire:
    return Tripwire()


@pytest.fixture(scope="module")
def paying(cloud: LocalCloud, tripwire: Tripwire) -> EmbeddedEngine:
    """A deployment that checks and charges credits, its node code behind the tripwire."""
    registry = Registry(
        NodeType(spec=t.spec, run=tripwire.wrap(t.run)) for t in default_registry().values()
    )
    return EmbeddedEngine(cloud=cloud, credits=0, registry=registry, allow_networks=LOCAL_FAKES)


def funded(engine: EmbeddedEngine, secrets: dict[str, str] | None = None) -> str:
    """A new organization with plenty of credits (and these secrets)."""
    organization = new_organization()
    engine.set_credits(organization, CREDITS)
    for name, plaintext in (secrets or {}).items():
        engine.secrets.put(organization, name, plaintext)
    return organization


@dataclass
class ClientFault:
    """Calls of one client method that `when` selects (by their parameters) fail with AWS
    error `code` the first `times` times (None: always). `code` None only watches.

    Every selected call is logged with the error code it ended with (None: it succeeded),
    so a test can also see what moto itself answered.
    """

    when: Callable[[dict[str, Any]], bool]
    code: str | None = None
    times: int | None = None
    status: int = 400
    message: str = "injected fault"
    response: dict[str, Any] = field(default_factory=dict)
    on_fault: Callable[[dict[str, Any]], None] | None = None
    calls: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    injected: int = 0

    def fires(self) -> bool:
        return self.code is not None and (self.times is None or self.injected < self.times)


@dataclass
class ClientFaults:
    """Wraps methods of boto3 clients with ClientFaults; `restore` unwraps them."""

    replaced: list[tuple[Any, str, Any]] = field(default_factory=list)

    def inject(self, client: Any, method: str, fault: ClientFault) -> ClientFault:
        previous = vars(client).get(method)  # an earlier wrapper, if any
        real = getattr(client, method)
        operation = client.meta.method_to_api_mapping[method]

        def call(**params: Any) -> Any:
            if not fault.when(params):
                return real(**params)
            if fault.fires():
                fault.injected += 1
                fault.calls.append((params, fault.code))
                if fault.on_fault is not None:
                    fault.on_fault(params)
                error = {"Code": fault.code, "Message": fault.message}
                response = {
                    "Error": error,
                    "ResponseMetadata": {"HTTPStatusCode": fault.status},
                    **fault.response,
                }
                raise client.exceptions.from_code(fault.code)(response, operation)
            try:
                answer = real(**params)
            except client.exceptions.ClientError as error:
                fault.calls.append((params, error.response["Error"]["Code"]))
                raise
            fault.calls.append((params, None))
            return answer

        setattr(client, method, call)
        self.replaced.append((client, method, previous))
        return fault

    def restore(self) -> None:
        for client, method, previous in reversed(self.replaced):
            if previous is None:
                delattr(client, method)
            else:
                setattr(client, method, previous)
        self.replaced.clear()


@pytest.fixture
def client_faults() -> Iterator[ClientFaults]:
    injected = ClientFaults()
    yield injected
    injected.restore()


def lambda_service() -> Any:
    """The Lambda client Step Functions invokes task functions with (moto's interpreter's)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    return lambda_eval_utils.boto_client_for(  # type: ignore[attr-defined]
        region=REGION, service="lambda", state_credentials=None
    )


def invoking(arn: str, node: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """Selects Invoke calls of function `arn` (for a unit running `node`, if given)."""

    def selected(params: dict[str, Any]) -> bool:
        if params.get("FunctionName") != arn:
            return False
        if node is None:
            return True
        event = json.loads(params.get("Payload") or b"{}")
        return node in {n["id"] for n in event.get("nodes", [])}

    return selected


def final_writes(client_faults: ClientFaults, engine: EmbeddedEngine) -> ClientFault:
    """Watches the writes of final records to the engine's executions table."""
    table = engine.deployment.settings["executions_table"]

    def final(params: dict[str, Any]) -> bool:
        status = params.get("ExpressionAttributeValues", {}).get(":status", {}).get("S")
        return params.get("TableName") == table and status in FINAL

    return client_faults.inject(engine.cloud.client("dynamodb"), "update_item", ClientFault(final))


@dataclass
class Updates:
    """The live updates one run's session received."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def finals(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("status") in FINAL]


def launch(
    engine: EmbeddedEngine,
    workflow: dict[str, Any],
    organization_id: str,
    *,
    execution_id: str | None = None,
    on_update: Callable[[dict[str, Any]], None] | None = None,
) -> Run:
    """Run `workflow` to its end in the organization (tests.support.runs.run)."""
    return run(
        engine,
        workflow,
        organization_id=organization_id,
        execution_id=execution_id,
        on_update=on_update,
    )


def attempts(finished: Run, node_id: str) -> int:
    """How many times Step Functions invoked the task of the unit running `node_id`."""
    count = 0
    for event in finished.history:
        if event["type"] == "LambdaFunctionScheduled":
            sent = json.loads(event["lambdaFunctionScheduledEventDetails"]["input"])
            count += node_id in {n["id"] for n in sent.get("nodes", [])}
    return count


def charges(engine: EmbeddedEngine, organization_id: str) -> list[int]:
    """The usage of each ledger item (one per charged execution) of the organization."""
    return [int(item["usage"]["N"]) for item in ledger(engine, organization_id)]


def usage(engine: EmbeddedEngine, organization_id: str) -> int:
    account = engine.organizations.get(organization_id)
    assert account is not None
    return account.usage


def whole_record(engine: EmbeddedEngine, execution_id: str) -> ExecutionRecord | None:
    """The stored record of an execution, checked whole: its JSON parses into a record of
    that execution that names every node, and the item's listed status is the record's.
    None when nothing is stored yet."""
    item = (
        engine.cloud.client("dynamodb")
        .get_item(
            TableName=engine.deployment.settings["executions_table"],
            Key={"id": {"S": execution_id}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if item is None:
        return None
    record = engine.executions.get(execution_id)  # parses the JSON, inline or from S3
    assert record is not None
    assert record.id == execution_id
    assert item["status"]["S"] == record.status, "the item's status is not its record's"
    assert record.node_executions, "a record without its nodes"
    return record


def comparable(record: ExecutionRecord | dict[str, Any]) -> dict[str, Any]:
    """A record without what differs between two runs of one workflow (ids, times)."""
    data = record if isinstance(record, dict) else record.to_json()
    ignored = {"id", "executionId", "organizationId", "startedAt", "endedAt"}
    return {k: v for k, v in data.items() if k not in ignored}


def fetch_secret(url: str) -> dict[str, Any]:
    """address -> fetch (Bearer secret) -> its status and body shown: 3 units."""
    return workflow(
        node("address", "text-input", value=url),
        node("f", "fetch", headers={"Authorization": "Bearer {{secrets.TOKEN}}"}),
        node("show-status", "output-number"),
        node("show-body", "output-text"),
        edges=[
            edge("address.value", "f.url"),
            edge("f.status", "show-status.value"),
            edge("f.body", "show-body.value"),
        ],
    )


@dataclass
class PongServer:
    """A 127.0.0.1 server answering every GET with `pong`, the same bytes every time."""

    url: str
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
def pong() -> Iterator[PongServer]:
    state = PongServer(url="")

    def answer(request: RecordedRequest) -> Reply:
        state.requests.append(request.headers)
        # without Date and Server: identical responses
        return Reply(200, b"pong", "text/plain; charset=utf-8", bare=True)

    with serving(answer) as server:
        state.url = server.url("/ping")
        yield state
