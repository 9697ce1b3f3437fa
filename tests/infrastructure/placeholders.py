"""Resolving a synthesized template's intrinsic functions to plausible placeholder values.

What CloudFormation would substitute at deploy time (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) becomes a
fixed string of the right shape: an ARN of the right service for `Arn`, the logical id for a
name, so that values can be checked by the models and tools that will read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "Stepthunk",
}
ARN_FORMATS = {
    "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{{}}",
    "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{{}}",
    "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{{}}",
    "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{{}}",
    "AWS::S3::Bucket": "arn:aws:s3:::{}",
    "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{}}:*",
    "AWS::StepFunctions::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{{}}",
}


def resolve(value: Any, resources: dict[str, Any], names: Mapping[str, str] | None = None) -> Any:
    """`value` with every Ref, Fn::GetAtt and Fn::Join replaced by placeholder strings.

    A resource's name is its physical id in `names` if there (as a deployment named it; a
    state machine's is its ARN, as CloudFormation's Ref gives it), else its logical id in
    lower case."""

    def name_of(logical: str) -> str:
        return names[logical] if names and logical in names else logical.lower()

    if isinstance(value, list):
        return [resolve(item, resources, names) for item in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        name = value["Ref"]
        return PSEUDO.get(name) or name_of(name)
    if "Fn::GetAtt" in value:
        name, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            return f"{name}.{attribute}"
        physical = name_of(name)
        if physical.startswith("arn:"):
            return physical
        return ARN_FORMATS[resources[name]["Type"]].format(physical)
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return re.sub(
            r"\$\{([^}]+)\}",
            lambda match: str(resolve({"Ref": match.group(1)}, resources, names)),
            value["Fn::Sub"],
        )
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(part, resources, names)) for part in parts)
    unresolved = [key for key in value if key.startswith("Fn::")]
    assert not unresolved, f"No placeholder for {unresolved}"
    return {key: resolve(item, resources, names) for key, item in value.items()}


def references(value: Any) -> set[str]:
    """The logical ids that `value` refers to with Ref or Fn::GetAtt (pseudo parameters aside)."""
    if isinstance(value, list):
        return set().union(*(references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    if "Ref" in value:
        return set() if value["Ref"].startswith("AWS::") else {value["Ref"]}
    if "Fn::GetAtt" in value:
        return {value["Fn::GetAtt"][0]}
    return set().union(*(references(item) for item in value.values()))
