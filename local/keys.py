"""Administering a deployed stack with your AWS credentials: API keys, credits, and the state
machines its API deployed (which `cdk destroy` does not know of)."""

from __future__ import annotations

import boto3

from lambdas.adapters.api_keys import DynamoApiKeyStore
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.runtime.ports import Organization

API_KEYS_OUTPUT = "ApiKeysTableName"
ORGANIZATIONS_OUTPUT = "OrganizationsTableName"
RUNTIME_ROLE_OUTPUT = "RuntimeStateMachineRoleArn"
# The names of the state machines the API deploys start so (lambdas.handlers.api.workflows).
API_MACHINE_PREFIX = "stepthunk-"


class StackOutputMissing(LookupError):
    """The stack does not name the table in its outputs."""


def create_key(
    organization_id: str, *, table: str | None, stack: str | None, region: str | None
) -> str:
    """Create a key with the caller's AWS credentials; return the plaintext (shown once)."""
    session = boto3.session.Session(region_name=region)
    table = table or _stack_output(session, str(stack), API_KEYS_OUTPUT)
    return DynamoApiKeyStore(session.client("dynamodb"), table).create(organization_id)


def set_credits(
    organization_id: str,
    credits: int,
    *,
    table: str | None,
    stack: str | None,
    region: str | None,
) -> Organization:
    """Give an organization `credits` compute credits (its usage so far is kept)."""
    session = boto3.session.Session(region_name=region)
    table = table or _stack_output(session, str(stack), ORGANIZATIONS_OUTPUT)
    return DynamoOrganizationStore(session.client("dynamodb"), table).set_credits(
        organization_id, credits
    )


def delete_machines(*, role: str | None, stack: str | None, region: str | None) -> list[str]:
    """Delete every state machine the stack's API deployed (named stepthunk-..., running as
    the stack's runtime role; their running executions stop); the names deleted."""
    session = boto3.session.Session(region_name=region)
    role = role or _stack_output(session, str(stack), RUNTIME_ROLE_OUTPUT)
    machines = session.client("stepfunctions")
    deleted = []
    for page in machines.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if not machine["name"].startswith(API_MACHINE_PREFIX):
                continue
            arn = machine["stateMachineArn"]
            if machines.describe_state_machine(stateMachineArn=arn)["roleArn"] != role:
                continue  # another stack's, or not stepthunk's at all
            machines.delete_state_machine(stateMachineArn=arn)
            deleted.append(str(machine["name"]))
    return deleted


def _stack_output(session: boto3.session.Session, stack: str, output: str) -> str:
    described = session.client("cloudformation").describe_stacks(StackName=stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    if output not in outputs:
        raise StackOutputMissing(f"Stack '{stack}' has no output {output}")
    return str(outputs[output])
