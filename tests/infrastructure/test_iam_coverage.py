"""IAM coverage: every AWS call the deployed functions make is granted by their roles.

The synthesized stack is deployed on moto (tests/infrastructure/deployed.py) and used as a
client uses it, through the HTTP API and the WebSocket API (serve's ASGI application in front
of the deployed functions): secrets, deploys, executions with live updates, a fetch with a
secret, a blob, a record too large for its table, a cancel, a retry, a start without credits,
deletes. Each function's boto3 clients record every call (tests/infrastructure/iam.py); each
call is checked, at resource level and with its condition keys, against the policies the
template gives that function's role. State machine roles are checked against what their
definitions call: the stack's own machines, the machines the API created while the scenario
ran, and a workflow split into parts as the API would deploy it.

moto checks none of this: a missing grant passes every other test and answers 500 in an
AWS account.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import httpx
import pytest
from websockets.sync.client import connect

from lambdas.adapters.api_keys import DynamoApiKeyStore
from lambdas.adapters.integrations import KmsIntegrationVault
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.handlers.settings import NETWORK_SETTING
from lambdas.handlers.wiring import Clients
from lambdas.lifecycle.deploy import state_machine_name
from lambdas.nodes import default_registry
from lambdas.runtime.ports import Organization
from local.cloud import ACCOUNT, REGION
from local.server import server as local_server
from local.server_app import create_app
from local.server_gateway import Gateway
from statemachine.compiler import compile_machines
from statemachine.model import Workflow
from statemachine.parts import part_machine_name
from statemachine.task_functions import TaskFunctions
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.deployed import Deployed, deploy, serve_functions
from tests.infrastructure.iam import Call, Need, Recorder, allows, machine_needs, needs
from tests.infrastructure.placeholders import resolve
from tests.support.http_server import LocalServer, serving, unused_port
from tests.support.serving import running
from tests.support.workflows import (
    bulky,
    bulky_texts,
    chain,
    edge,
    expense_form,
    node,
    workflow,
)

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

# moto's CloudFormation creates no API Gateway v2 API: this stands in for the WebSocket API's id.
WEBSOCKET_API = "wsapi0test"
# The machines whose tasks the scenario's deliveries end (by their names' end).
TOKEN_MACHINES = ("-approval", "-forms")
WEBSOCKET_ENDPOINT = f"https://{WEBSOCKET_API}.execute-api.{REGION}.amazonaws.com/prod"
FINAL = frozenset({"completed", "error", "exhausted", "cancelled"})
PATIENCE = 30.0
SECRET = "tok-3f9a1c"


@dataclass
class Coverage:
    """The deployed stack, the calls its functions made, and its template's policies."""

    deployed: Deployed
    calls: list[Call]
    template: dict[str, Any]
    names: dict[str, str]  # physical id by logical id, the WebSocket API's stand-in included

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == kind}


class DeployedGateway(Gateway):
    """serve's gateway in front of the deployed functions instead of an engine's."""

    def __init__(self, deployed: Deployed, served: dict[str, Any]) -> None:
        self.cloud = deployed.cloud
        self._http_call = served["http_api"]
        self._websocket_call = served["websocket"]

    def http(self, event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._http_call(event)
        return answer

    def websocket(self, event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._websocket_call(event)
        return answer


@pytest.fixture(scope="module")
def coverage(synthesized: Synthesized) -> Coverage:
    deployed = deploy(synthesized)
    recorder = Recorder()

    def clients_for(name: str, handler: str) -> Clients:
        def make(service: str, **settings: Any) -> Any:
            client = boto3.client(service, region_name=REGION, **settings)  # type: ignore[call-overload]
            return recorder.attach(client, handler)

        return Clients(factory=make)

    # the scenario's fetch goes to a local fake server, which a deployment allows explicitly
    # and a for-each of more than two items runs them in a Distributed Map
    environment = {
        "WEBSOCKET_ENDPOINT": WEBSOCKET_ENDPOINT,
        NETWORK_SETTING: "127.0.0.1",
        "STEPTHUNK_FOR_EACH_INLINE_ITEMS": "2",
    }
    served = serve_functions(deployed, clients_for, environment)
    template = synthesized.template()
    names = deployed.names()
    websocket_api = next(
        logical
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
        and resource["Properties"].get("ProtocolType") == "WEBSOCKET"
    )
    names[websocket_api] = WEBSOCKET_API
    with serving() as http_server:
        use_the_stack(deployed, served, http_server)
    calls = with_token_machines(list(recorder.calls), deployed)
    return Coverage(deployed, calls, template, names)


TASK_RESPONSES = frozenset({"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"})


def with_token_machines(calls: list[Call], deployed: Deployed) -> list[Call]:
    """`calls`, each task response with the state machine its token belongs to, which IAM
    authorizes it against (the call names only the token): the machine of the execution
    whose history scheduled a task with that token."""
    client = deployed.cloud.client("stepfunctions")
    histories: list[tuple[str, str]] = []
    for page in client.get_paginator("list_state_machines").paginate():
        # the machines of the scenario's workflows that deliver events and answers (the
        # local cloud holds the process's other tests' machines too)
        waiting = [m for m in page["stateMachines"] if m["name"].endswith(TOKEN_MACHINES)]
        for machine in waiting:
            arn = machine["stateMachineArn"]
            listed = client.get_paginator("list_executions").paginate(stateMachineArn=arn)
            for execution in (e for p in listed for e in p["executions"]):
                events = client.get_paginator("get_execution_history").paginate(
                    executionArn=execution["executionArn"]
                )
                history = [event for p in events for event in p["events"]]
                histories.append((arn, json.dumps(history, default=str)))
    annotated = []
    for call in calls:
        if call.service == "stepfunctions" and call.operation in TASK_RESPONSES:
            token = call.params["taskToken"]
            machine = next(arn for arn, history in histories if token in history)
            call = replace(call, params={**call.params, "stateMachineArn": machine})
        annotated.append(call)
    return annotated


# --- the scenario -----------------------------------------------------------------------


def use_the_stack(deployed: Deployed, served: dict[str, Any], http_server: LocalServer) -> None:
    """Everything a client does with a stack, and what only older machines call."""
    shared = Clients(factory=deployed.cloud.client)  # the operator's setup: not recorded
    outputs = deployed.outputs
    organization = f"org-{uuid.uuid4().hex[:8]}"
    organizations = DynamoOrganizationStore(shared.dynamodb, outputs["OrganizationsTableName"])
    organizations.put(Organization(id=organization, compute_credits=1_000_000))
    keys = DynamoApiKeyStore(shared.dynamodb, outputs["ApiKeysTableName"])
    poor = f"org-{uuid.uuid4().hex[:8]}"
    organizations.put(Organization(id=poor, compute_credits=0))
    headers = {"Authorization": f"Bearer {keys.create(organization)}"}
    poor_headers = {"Authorization": f"Bearer {keys.create(poor)}"}

    port = unused_port()
    app = create_app(DeployedGateway(deployed, served))
    with (
        running(local_server(app, host="127.0.0.1", port=port)),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as client,
    ):
        api = Api(client, headers)
        api.expect("PUT", "/secrets/token", 200, json={"value": SECRET})
        api.expect("GET", "/secrets", 200)
        fetching = workflow(
            node(
                "call",
                "fetch",
                url=http_server.url("/json"),
                headers={"X-Token": "{{secrets.token}}"},
            ),
            node("shown", "output-json"),
            *chain()["nodes"],
            edges=[edge("call.body", "shown.value"), *chain()["edges"]],
            workflow_id="fetching",
        )
        api.expect("PUT", "/workflows/fetching", 201, json=fetching)
        api.expect("GET", "/workflows/fetching", 200)
        api.expect("GET", "/workflows", 200)
        session = f"session-{uuid.uuid4().hex[:8]}"
        with connect(
            f"ws://127.0.0.1:{port}/?sessionId={session}", additional_headers=headers
        ) as socket:
            started = api.start("fetching", sessionId=session)
            updates = list(updates_until_final(socket))
        assert updates[-1]["status"] == "completed", updates[-1]
        assert http_server.last.headers["x-token"] == SECRET
        api.expect("GET", f"/executions/{started}", 200)
        api.expect("GET", f"/executions/{started}/nodes", 200)
        api.expect("GET", "/workflows/fetching/executions", 200)

        blob = api.expect(
            "POST", "/blobs", 201, content=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}
        )
        api.expect(
            "PUT",
            "/workflows/photo",
            201,
            json=workflow(node("photo", "image-input"), workflow_id="photo"),
        )
        photo = api.wait_for(api.start("photo", inputs={"photo": {"value": blob}}))
        assert photo["status"] == "completed", photo

        # a record over DynamoDB's item size (kept in the bucket), cancelled while it runs
        api.expect("PUT", "/workflows/bulky", 201, json=bulky("bulky", wait=True))
        waiting = api.start("bulky", inputs=bulky_texts())
        api.wait_for(waiting, frozenset({"executing"}))
        api.expect("POST", f"/executions/{waiting}/cancel", 200)
        assert api.wait_for(waiting)["status"] == "cancelled"

        failing = workflow(node("ratio", "division", a=1, b=0), workflow_id="failing")
        api.expect("PUT", "/workflows/failing", 201, json=failing)
        failed = api.wait_for(api.start("failing"))
        assert failed["status"] == "error", failed
        retried = api.expect("POST", f"/executions/{failed['id']}/retry", 202)
        assert api.wait_for(retried["executionId"])["status"] == "error"

        # a workflow calling another: a child execution, started by the caller's machine
        callee = workflow(node("one", "number-input", value=1), workflow_id="callee")
        api.expect("PUT", "/workflows/callee", 201, json=callee)
        calling = workflow(node("call", "run-workflow", workflowId="callee"), workflow_id="calling")
        api.expect("PUT", "/workflows/calling", 201, json=calling)
        called = api.wait_for(api.start("calling"))
        assert called["status"] == "completed", called
        # a for-each: a child execution per item, started by the Map state of the caller's
        # machine; run-node submits and then reads every child's record
        looping = workflow(
            node("loop", "for-each", items=[1, 2], workflowId="callee", itemInput="one.value"),
            workflow_id="looping",
        )
        api.expect("PUT", "/workflows/looping", 201, json=looping)
        looped = api.wait_for(api.start("looping"))
        assert looped["status"] == "completed", looped
        # past the inline items (lowered to 2 here): a Distributed Map reading them from S3
        many = workflow(
            node("loop", "for-each", items=[1, 2, 3], workflowId="callee", itemInput="one.value"),
            workflow_id="many",
        )
        api.expect("PUT", "/workflows/many", 201, json=many)
        mapped = api.wait_for(api.start("many"))
        assert mapped["status"] == "completed", mapped

        wait_for_events(api)
        wait_for_forms(api)

        api.expect("PUT", "/workflows/fetching", 200, json=fetching)  # an update
        broke = Api(client, poor_headers)
        broke.expect("PUT", "/workflows/chain", 201, json=chain() | {"id": "chain"})
        assert broke.wait_for(broke.start("chain"))["status"] == "exhausted"

        preload_as_older_machines_do(deployed, served, organization)
        # approval, gated and forms stay: their histories name the machines of their tokens
        for workflow_id in (
            "fetching",
            "photo",
            "bulky",
            "failing",
            "calling",
            "looping",
            "many",
            "callee",
        ):
            api.expect("DELETE", f"/workflows/{workflow_id}", 204)
        api.expect("DELETE", "/secrets/token", 204)


def wait_for_events(api: Api) -> None:
    """A wait-for-event node given its event, and a second delivery refused; one rejected;
    one cancelled while it waits; one skipped, whose task ends its own wait."""
    approval = {**node("approval", "wait-for-event"), "timeoutSeconds": 600}
    api.expect("PUT", "/workflows/approval", 201, json=workflow(approval, workflow_id="approval"))
    for ending in ("event", "reject", "cancel"):
        started = api.start("approval")
        api.wait_until_waiting(started, "approval")
        if ending == "cancel":
            api.expect("POST", f"/executions/{started}/cancel", 200)
            continue
        path = f"/executions/{started}/nodes/approval/{ending}"
        api.expect("POST", path, 202, json={"ok": True} if ending == "event" else {})
        api.expect("POST", path, 409, json={})
        assert api.wait_for(started)["status"] == ("completed" if ending == "event" else "error")
    gated = workflow(
        node("gate", "conditional-fork", value=1, condition=False),
        approval,
        edges=[edge("gate.true", "approval.value")],
        workflow_id="gated",
    )
    api.expect("PUT", "/workflows/gated", 201, json=gated)
    assert api.wait_for(api.start("gated"))["status"] == "completed"


def wait_for_forms(api: Api) -> None:
    """A form opened by a create-form node, its page read and its answer sent without an
    API key, a second answer refused."""
    api.expect("PUT", "/workflows/forms", 201, json={**expense_form(600), "id": "forms"})
    started = api.start("forms")
    api.wait_until_waiting(started, "review")
    record = api.expect("GET", f"/executions/{started}", 200)
    token = {n["nodeId"]: n for n in record["nodeExecutions"]}["form"]["outputs"]["token"]
    address = f"/forms?token={token}"  # a token is URL-safe
    page = api.client.get(address, headers={"Authorization": ""})
    assert page.status_code == 200, page.text
    answer = {"amount": 5, "approved": True}
    answered = api.client.post(address, json=answer, headers={"Authorization": ""})
    assert answered.status_code == 202, answered.text
    again = api.client.post(address, json=answer, headers={"Authorization": ""})
    assert again.status_code == 410, again.text
    assert api.wait_for(started)["status"] == "completed"


def preload_as_older_machines_do(
    deployed: Deployed, served: dict[str, Any], organization: str
) -> None:
    """Preload secrets and integrations: only machines deployed before Initialize preloaded
    call them."""
    shared = Clients(factory=deployed.cloud.client)
    vault = KmsIntegrationVault(
        shared.dynamodb,
        outputs_table(deployed, "Integrations"),
        shared.kms,
        kms_key(deployed),
        lambda: shared.http,
    )
    vault.put(organization, {"id": "mail", "provider": "test", "accessToken": "t"})
    execution = {"id": str(uuid.uuid4()), "workflowId": "legacy", "workflowName": "Legacy"}
    state = {"execution": execution | {"organizationId": organization}, "inputs": {}}
    served["preload_secrets"]({"state": state})
    served["preload_integrations"]({"state": state})


class Api:
    """The HTTP API as one organization's client sees it."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def expect(self, method: str, path: str, status: int, **request: Any) -> Any:
        headers = {**self.headers, **request.pop("headers", {})}
        answer = self.client.request(method, path, headers=headers, **request)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def start(self, workflow_id: str, **body: Any) -> str:
        started = self.expect("POST", f"/workflows/{workflow_id}/executions", 202, json=body)
        return str(started["executionId"])

    def wait_until_waiting(self, execution_id: str, node_id: str) -> None:
        """Until the node waits for an event (its record says so)."""
        give_up = time.monotonic() + PATIENCE
        while True:
            record = self.expect("GET", f"/executions/{execution_id}", 200)
            shown = {n["nodeId"]: n for n in record["nodeExecutions"]}[node_id]
            if shown.get("waitingFor") in ("event", "form"):
                return
            assert time.monotonic() < give_up, shown
            time.sleep(0.02)

    def wait_for(self, execution_id: str, statuses: frozenset[str] = FINAL) -> dict[str, Any]:
        give_up = time.monotonic() + PATIENCE
        while True:
            record: dict[str, Any] = self.expect("GET", f"/executions/{execution_id}", 200)
            if record["status"] in statuses:
                return record
            assert time.monotonic() < give_up, record["status"]
            time.sleep(0.02)


def updates_until_final(socket: Any) -> Iterator[dict[str, Any]]:
    while True:
        message: dict[str, Any] = json.loads(socket.recv(timeout=PATIENCE))
        yield message
        if message["status"] in FINAL and message["page"]["index"] == message["page"]["count"]:
            return


def outputs_table(deployed: Deployed, name: str) -> str:
    return next(t for t in deployed.physical("AWS::DynamoDB::Table") if f"Storage{name}" in t)


def kms_key(deployed: Deployed) -> str:
    (key,) = deployed.physical("AWS::KMS::Key")
    return key


# --- what the template grants ----------------------------------------------------------


def role_statements(
    template: dict[str, Any], names: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Each role's policy statements, resolved to the deployment's names, by role logical id."""
    resources = template["Resources"]
    granted: dict[str, list[dict[str, Any]]] = {}
    for policy in resources.values():
        if policy["Type"] != "AWS::IAM::Policy":
            continue
        document = resolve(policy["Properties"]["PolicyDocument"], resources, names)
        for role in policy["Properties"]["Roles"]:
            granted.setdefault(role["Ref"], []).extend(document["Statement"])
    return granted


def function_roles(template: dict[str, Any]) -> dict[str, str]:
    """The role logical id of each function, by handler name (lambdas.handlers.<name>)."""
    return {
        resource["Properties"]["Handler"].rsplit(".", 2)[-2]: resource["Properties"]["Role"][
            "Fn::GetAtt"
        ][0]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }


def machine_roles(coverage: Coverage) -> list[tuple[str, Need]]:
    """(role, need) of every state machine: the stack's, the API's, a split workflow's."""
    template, names = coverage.template, coverage.names
    resources = template["Resources"]
    found: list[tuple[str, Need]] = []
    for logical, machine in coverage.resources("AWS::StepFunctions::StateMachine").items():
        properties = machine["Properties"]
        definition = json.loads(resolve(properties["DefinitionString"], resources, names))
        role = properties["RoleArn"]["Fn::GetAtt"][0]
        logs = "LoggingConfiguration" in properties
        traces = properties.get("TracingConfiguration", {}).get("Enabled", False)
        found += [(role, n) for n in machine_needs(logical, definition, logs=logs, traces=traces)]
    by_arn = {
        resolve({"Fn::GetAtt": [k, "Arn"]}, resources, names): k
        for k in coverage.resources("AWS::IAM::Role")
    }
    # what a call may start: any machine the API deployed, and its versions
    deployed = [
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{call.params['name']}"
        for call in coverage.calls
        if call.operation == "CreateStateMachine"
    ]
    children = [*deployed, *(f"{arn}:1" for arn in deployed)]
    [bucket] = [
        resolve({"Ref": k}, resources, names) for k in coverage.resources("AWS::S3::Bucket")
    ]
    for call in coverage.calls:
        if (
            call.operation in ("CreateStateMachine", "UpdateStateMachine")
            and "definition" in call.params
        ):
            role = by_arn[call.params["roleArn"]]
            who = call.params.get("name") or call.params["stateMachineArn"]
            logs = bool(call.params.get("loggingConfiguration", {}).get("destinations"))
            traces = bool(call.params.get("tracingConfiguration", {}).get("enabled"))
            definition = json.loads(call.params["definition"])
            itself = call.params.get("stateMachineArn") or (
                f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{who}"
            )
            needed = machine_needs(
                who,
                definition,
                logs=logs,
                traces=traces,
                children=children,
                items=f"arn:aws:s3:::{bucket}/values/an-organization/a-value",
                itself=itself,
            )
            found += [(role, n) for n in needed]
    return found


def denied(
    statements: dict[str, list[dict[str, Any]]], asked: Iterable[tuple[str, Need]]
) -> list[str]:
    return sorted({str(need) for role, need in asked if not allows(statements.get(role, []), need)})


def function_needs(coverage: Coverage) -> list[tuple[str, Need]]:
    roles = function_roles(coverage.template)
    return [(roles[call.who], need) for call in coverage.calls for need in needs(call)]


# --- the checks ---------------------------------------------------------------------------


def test_every_call_each_function_made_is_granted_to_its_role(coverage: Coverage, figure: Any):
    asked = function_needs(coverage)
    statements = role_statements(coverage.template, coverage.names)
    found = denied(statements, asked)
    assert not found, "Calls no statement of the function's role allows:\n" + "\n".join(found)
    roles = {role for role, _ in asked} | {role for role, _ in machine_roles(coverage)}
    figure(
        f"IAM coverage: {len(coverage.calls)} AWS calls recorded, "
        f"{len({need.action for _, need in asked})} distinct actions, {len(roles)} roles checked"
    )


def test_every_function_made_calls_that_were_checked(coverage: Coverage):
    assert {call.who for call in coverage.calls} == set(function_roles(coverage.template))


def test_every_state_machine_role_allows_what_its_definitions_call(coverage: Coverage):
    asked = machine_roles(coverage)
    machine_role_ids = {
        m["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        for m in coverage.resources("AWS::StepFunctions::StateMachine").values()
    }
    assert {role for role, _ in asked} == machine_role_ids | {runtime_role(coverage)}
    statements = role_statements(coverage.template, coverage.names)
    assert denied(statements, asked) == []


def runtime_role(coverage: Coverage) -> str:
    return next(
        logical
        for logical in coverage.resources("AWS::IAM::Role")
        if logical.startswith("RuntimeDeployment")
    )


def test_the_parts_of_a_split_workflow_are_allowed_to_the_role_of_deployed_machines(
    coverage: Coverage,
):
    asked = split_workflow_needs(coverage)
    assert {need.action for _, need in asked} >= {"states:StartExecution", "events:PutRule"}
    statements = role_statements(coverage.template, coverage.names)
    assert denied(statements, asked) == []


def split_workflow_needs(coverage: Coverage) -> list[tuple[str, Need]]:
    """A chain compiled as the API compiles it, within 12 KB a machine so that it is split
    into parts (a workflow over 1 MB of definition would take too long to deploy here), each
    part named as the API names it: the needs of its machine and of each part."""
    http_api = next(
        r
        for r in coverage.resources("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"].endswith("http_api.handler")
    )
    environment = resolve(
        http_api["Properties"]["Environment"]["Variables"],
        coverage.template["Resources"],
        coverage.names,
    )
    functions = TaskFunctions.model_validate_json(environment["TASK_FUNCTIONS"])
    name = state_machine_name("org-split", "split")
    account_region = f"{REGION}:{ACCOUNT}"

    def part_arn(number: int) -> str:
        return f"arn:aws:states:{account_region}:stateMachine:{part_machine_name(name, number)}"

    nodes = [node("n0", "number-input", value=1)]
    nodes += [node(f"n{i}", "addition", b=1) for i in range(1, 60)]
    edges = [edge("n0.value", "n1.a")] + [edge(f"n{i - 1}.result", f"n{i}.a") for i in range(2, 60)]
    valid = Workflow.model_validate(workflow(*nodes, edges=edges, workflow_id="split"))
    compiled = compile_machines(
        valid,
        default_registry().catalog,
        functions,
        part_arn=part_arn,
        max_group_size=1,
        max_definition_bytes=12_000,
    )
    assert compiled.parts
    role = runtime_role(coverage)
    found = [(role, n) for n in machine_needs(name, compiled.definition, logs=False, traces=False)]
    for number, part in enumerate(compiled.parts, 1):
        found += [
            (role, n)
            for n in machine_needs(part_machine_name(name, number), part, logs=False, traces=False)
        ]
    return found


# --- a gap in a grant fails the check ----------------------------------------------------


def without(
    statements: dict[str, list[dict[str, Any]]], role: str, action: str
) -> dict[str, list[dict[str, Any]]]:
    """`statements` with `action` taken out of every statement of `role`."""
    planted = copy.deepcopy(statements)
    for statement in planted[role]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        statement["Action"] = [a for a in actions if a != action]
    return planted


def test_an_action_taken_from_a_role_is_a_denied_call_naming_function_action_and_resource(
    coverage: Coverage,
):
    statements = role_statements(coverage.template, coverage.names)
    role = function_roles(coverage.template)["http_api"]
    found = denied(
        without(statements, role, "states:DescribeStateMachine"), function_needs(coverage)
    )
    assert found
    assert all(
        f.startswith("http_api: states:DescribeStateMachine on arn:aws:states:") for f in found
    ), found


def test_a_resource_narrowed_to_the_wrong_table_is_a_denied_call(coverage: Coverage):
    statements = role_statements(coverage.template, coverage.names)
    role = function_roles(coverage.template)["finalize"]
    executions = resolve(
        {"Fn::GetAtt": [logical_of(coverage, "StorageExecutions"), "Arn"]},
        coverage.template["Resources"],
        coverage.names,
    )
    organizations = executions.replace(
        coverage.names[logical_of(coverage, "StorageExecutions")],
        coverage.names[logical_of(coverage, "StorageOrganizations")],
    )
    planted = copy.deepcopy(statements)
    for statement in planted[role]:
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        statement["Resource"] = [organizations if r == executions else r for r in resources]
    found = denied(planted, function_needs(coverage))
    assert found
    assert all(f.startswith("finalize: dynamodb:") and f.endswith(executions) for f in found), found


def test_a_grant_missing_from_the_role_of_deployed_machines_is_a_denied_invoke(coverage: Coverage):
    statements = role_statements(coverage.template, coverage.names)
    role = runtime_role(coverage)
    inline_group = coverage.names[logical_of(coverage, "FunctionsRunInlineGroupFunction")]
    planted = copy.deepcopy(statements)
    planted[role] = [
        s for s in planted[role] if not any(inline_group in r for r in listed(s["Resource"]))
    ]
    found = denied(planted, machine_roles(coverage))
    assert found
    assert all(
        f"lambda:InvokeFunction on arn:aws:lambda:{REGION}:{ACCOUNT}:function:{inline_group}" in f
        for f in found
    ), found


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def logical_of(coverage: Coverage, prefix: str) -> str:
    """The logical id CDK made of construct path `prefix` (it adds an 8-character hash)."""
    (logical,) = [
        k
        for k in coverage.template["Resources"]
        if k.startswith(prefix) and k[len(prefix) :].isalnum() and len(k) - len(prefix) == 8
    ]
    return str(logical)
