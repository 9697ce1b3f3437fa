"""`stepthunk keys create`: an organization's API key in a deployed stack's table."""

from __future__ import annotations

import boto3
from lambdas.adapters.api_keys import DynamoApiKeyStore

TABLE_OUTPUT = "ApiKeysTableName"


class StackOutputMissing(LookupError):
    """The stack does not name its API keys table in its outputs."""


def create_key(
    organization_id: str, *, table: str | None, stack: str | None, region: str | None
) -> str:
    """Create a key with the caller's AWS credentials; return the plaintext (shown once)."""
    session = boto3.session.Session(region_name=region)
    if table is None:
        outputs = session.client("cloudformation").describe_stacks(StackName=str(stack))
        found = {
            output["OutputKey"]: output["OutputValue"]
            for output in outputs["Stacks"][0].get("Outputs", [])
        }
        if TABLE_OUTPUT not in found:
            raise StackOutputMissing(f"Stack '{stack}' has no output {TABLE_OUTPUT}")
        table = found[TABLE_OUTPUT]
    return DynamoApiKeyStore(session.client("dynamodb"), table).create(organization_id)
