"""The synthesized stack deployed into moto's CloudFormation (tests/infrastructure/deployed.py),
then used for real: an example workflow runs through exactly its resources (its state machine's
definition as deployed, the functions' environments as deployed) and its record lands in the
deployed executions table.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.handlers.wiring import Clients
from lambdas.runtime.ports import Organization
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.deployed import (
    BOOTSTRAP_BUCKET,
    Deployed,
    deploy,
    executing_copy,
    serve_functions,
)

# moto's CloudFormation warns for each resource type it skips (API Gateway v2, alarms, ...).
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Deployed:
    return deploy(synthesized)


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
