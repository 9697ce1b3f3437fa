"""The synthesized stack deployed into moto's CloudFormation, then used for real.

The assets go to the bootstrap bucket as `cdk deploy` would put them; CloudFormation creates
the tables, functions and state machines; then an example workflow runs through exactly those
resources: its state machine's definition as deployed, the functions' environments as
deployed (the handlers run in-process behind the deployed functions), and its record lands in
the deployed executions table.

moto's CloudFormation skips the API Gateway v2 resources and puts state machines in its
non-executing Step Functions backend: the deployed definitions are re-created in the executing
one, under new names.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import uuid
import zipfile
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.handlers.entry import Invocation
from lambdas.handlers.tasks import runs_nodes
from lambdas.handlers.wiring import Clients
from lambdas.nodes import default_registry
from lambdas.runtime.ports import Organization
from local.cloud import ACCOUNT, REGION, LocalCloud
from tests.infrastructure.conftest import STACK, Synthesized

# moto's CloudFormation warns for each resource type it skips (API Gateway v2, alarms, ...).
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

BOOTSTRAP_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
BOOTSTRAP_VERSION = "/cdk-bootstrap/hnb659fds/version"
ROOT = Path(__file__).resolve().parents[2]


class Deployed:
    """The stack as moto's CloudFormation created it."""

    def __init__(self, cloud: LocalCloud, stack_name: str) -> None:
        self.cloud = cloud
        described = cloud.client("cloudformation").describe_stacks(StackName=stack_name)
        self.stack = described["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in self.stack.get("Outputs", [])}
        resources = cloud.client("cloudformation").list_stack_resources(StackName=stack_name)
        self.resources = resources["StackResourceSummaries"]

    def physical(self, kind: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.resources if r["ResourceType"] == kind]


def upload_assets(cloud: LocalCloud, synthesized: Synthesized) -> int:
    """Each file asset zipped under its hash in the bootstrap bucket, as `cdk deploy` does."""
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BOOTSTRAP_BUCKET)
    cloud.client("ssm").put_parameter(Name=BOOTSTRAP_VERSION, Value="21", Type="String")
    manifest = json.loads((synthesized.outdir / f"{STACK}.assets.json").read_text())
    for asset_hash, asset in manifest["files"].items():
        source = synthesized.outdir / asset["source"]["path"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
            for path in sorted(source.rglob("*")) if source.is_dir() else [source]:
                if path.is_file():
                    zipped.write(path, path.relative_to(source) if source.is_dir() else path.name)
        for destination in asset["destinations"].values():
            s3.put_object(
                Bucket=BOOTSTRAP_BUCKET, Key=destination["objectKey"], Body=archive.getvalue()
            )
        assert asset_hash
    return len(manifest["files"])


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Deployed:
    cloud = LocalCloud.shared()
    cloud.time_scale = 0.01
    upload_assets(cloud, synthesized)
    stack_name = f"Stepthunk-{uuid.uuid4().hex[:6]}"
    cloudformation = cloud.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=synthesized.template_path.read_text(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    return Deployed(cloud, stack_name)


def serve_functions(deployed: Deployed) -> dict[str, str]:
    """Answer each deployed function with its handler, built from its deployed environment."""
    cloud = deployed.cloud
    lambdas = cloud.client("lambda")
    clients = Clients(factory=cloud.client)
    served = {}
    for name in deployed.physical("AWS::Lambda::Function"):
        configuration = lambdas.get_function_configuration(FunctionName=name)
        module_name = configuration["Handler"].rsplit(".", 1)[0]
        module = importlib.import_module(module_name)
        environment = configuration.get("Environment", {}).get("Variables", {})
        with patch.dict(os.environ, environment):  # read as the Lambda reads it, at setup
            settings = module.Settings()
        deps = (
            module.deps_from(settings, clients, default_registry())
            if runs_nodes(module)
            else module.deps_from(settings, clients)
        )

        def call(
            event: dict[str, Any], deadline: float, module: Any = module, deps: Any = deps
        ) -> Any:
            return module.process(event, deps, Invocation(deadline=deadline))

        cloud.functions[name] = (call, int(configuration.get("Timeout", 60)))
        served[module_name.rsplit(".", 1)[1]] = name
    return served


def executing_copy(deployed: Deployed, output: str) -> str:
    """The deployed state machine's definition, created again where moto executes it."""
    from moto.stepfunctions.models import stepfunctions_backends

    arn = next(
        a
        for a in deployed.physical("AWS::StepFunctions::StateMachine")
        if a.endswith(":" + deployed.outputs[output])
    )
    definition = stepfunctions_backends[ACCOUNT][REGION].describe_state_machine(arn).definition
    created = deployed.cloud.client("stepfunctions").create_state_machine(
        name=f"{deployed.outputs[output]}-executing"[:80],
        definition=definition,
        roleArn=deployed.cloud.role_arn,
    )
    return str(created["stateMachineArn"])


def test_the_stack_creates_its_tables_functions_and_state_machines(deployed: Deployed) -> None:
    workflows = sorted((ROOT / "workflows").glob("*.json"))
    assert len(deployed.physical("AWS::DynamoDB::Table")) == 7
    assert len(deployed.physical("AWS::Lambda::Function")) == 10
    assert len(deployed.physical("AWS::StepFunctions::StateMachine")) == len(workflows)
    assert deployed.outputs["ApiKeysTableName"] in deployed.physical("AWS::DynamoDB::Table")


def test_an_example_runs_through_the_deployed_resources_and_its_record_is_in_the_table(
    deployed: Deployed,
) -> None:
    served = serve_functions(deployed)
    assert set(served) >= {"check_credits", "run_inline_group", "finalize", "http_api"}
    cloud = deployed.cloud
    clients = Clients(factory=cloud.client)
    organization = f"org-{uuid.uuid4().hex[:8]}"
    organizations = DynamoOrganizationStore(
        clients.dynamodb, deployed.outputs["OrganizationsTableName"]
    )
    organizations.put(Organization(id=organization, compute_credits=100))
    machine = executing_copy(deployed, "ArithmeticStateMachineName")
    execution_id = str(uuid.uuid4())
    state = {
        "execution": {
            "id": execution_id,
            "workflowId": "arithmetic",
            "workflowName": "Arithmetic",
            "organizationId": organization,
        },
        "inputs": {},
    }
    arn = cloud.client("stepfunctions").start_execution(
        stateMachineArn=machine, name=execution_id, input=json.dumps(state)
    )["executionArn"]
    assert cloud.wait_for_execution(arn, timeout=60) == "SUCCEEDED"

    bucket = next(b for b in deployed.physical("AWS::S3::Bucket") if b != BOOTSTRAP_BUCKET)
    executions = DynamoExecutionStore(
        clients.dynamodb, deployed.outputs["ExecutionsTableName"], clients.s3, bucket
    )
    record = executions.get(execution_id)
    assert record is not None
    assert record.status == "completed"
    assert record.node("show-total").outputs == {"displayValue": 45}
    account = organizations.get(organization)
    assert account is not None
    assert account.usage == record.usage == 10
