"""The synthesized stack deployed into moto's CloudFormation, its functions served in-process.

The assets go to the bootstrap bucket as `cdk deploy` would put them; CloudFormation creates
the tables, functions and state machines; each function is answered by its handler, built from
its environment as deployed.

moto's CloudFormation skips the API Gateway v2 resources (their ids and endpoints are not
made: a test stands in for the WebSocket API's) and puts state machines in its non-executing
Step Functions backend: a test that runs one creates its definition again in the executing
one, under a new name.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Mapping
from typing import Any
from unittest.mock import patch

from lambdas.handlers.entry import Invocation
from lambdas.handlers.tasks import runs_nodes
from lambdas.handlers.wiring import Clients
from lambdas.nodes import default_registry
from local.cloud import ACCOUNT, REGION, LocalCloud
from tests.infrastructure.conftest import STACK, Synthesized

BOOTSTRAP_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
BOOTSTRAP_VERSION = "/cdk-bootstrap/hnb659fds/version"
# What a deployed function's clients are: (function name, handler module) -> its Clients.
ClientsFor = Callable[[str, str], Clients]


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

    def names(self) -> dict[str, str]:
        """The physical id of each resource CloudFormation created, by logical id."""
        return {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in self.resources
            if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
        }


def upload_assets(cloud: LocalCloud, synthesized: Synthesized) -> int:
    """Each file asset zipped under its hash in the bootstrap bucket, as `cdk deploy` does."""
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BOOTSTRAP_BUCKET)
    cloud.client("ssm").put_parameter(
        Name=BOOTSTRAP_VERSION, Value="21", Type="String", Overwrite=True
    )
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


def deploy(synthesized: Synthesized) -> Deployed:
    """A new stack of `synthesized`'s template in the process's local cloud."""
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


def serve_functions(
    deployed: Deployed,
    clients_for: ClientsFor | None = None,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Answer each deployed function with its handler, built from its deployed environment
    (`environment` set over it) and its clients (`clients_for`; default: the cloud's); the
    handler modules' processes with their deps, by handler name."""
    cloud = deployed.cloud
    lambdas = cloud.client("lambda")
    shared = Clients(factory=cloud.client)
    served = {}
    for name in deployed.physical("AWS::Lambda::Function"):
        configuration = lambdas.get_function_configuration(FunctionName=name)
        module_name = configuration["Handler"].rsplit(".", 1)[0]
        module = importlib.import_module(module_name)
        handler = module_name.rsplit(".", 1)[1]
        deployed_environment = configuration.get("Environment", {}).get("Variables", {})
        with patch.dict(os.environ, {**deployed_environment, **(environment or {})}):
            settings = module.Settings()  # read as the Lambda reads it, at setup
        clients = clients_for(name, handler) if clients_for else shared
        deps = (
            module.deps_from(settings, clients, default_registry())
            if runs_nodes(module)
            else module.deps_from(settings, clients)
        )

        def call(
            event: dict[str, Any],
            deadline: float | None = None,
            module: Any = module,
            deps: Any = deps,
        ) -> Any:
            return module.process(event, deps, Invocation(deadline=deadline))

        cloud.functions[name] = (call, int(configuration.get("Timeout", 60)))
        served[handler] = call
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
