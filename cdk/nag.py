"""Acknowledging cdk-nag AwsSolutions findings, each with its reason, next to its cause."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept `finding` (a rule id, with `[detail]` for one finding of it) under `scope`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{finding}", reason=reason))


def acknowledge_wildcard(grantee: iam.IGrantable, resource: str, reason: str) -> None:
    """Accept the wildcard resource `resource` in the policy of `grantee`'s role."""
    acknowledge(cast(IConstruct, grantee.grant_principal), f"IAM5[Resource::{resource}]", reason)


def ref_of(resource: IConstruct) -> str:
    """How cdk-nag writes a reference to `resource` (an L2 construct) in a finding: `<Id>`."""
    element = cast(CfnElement, resource.node.default_child)
    stack = Stack.of(resource)
    return f"<{stack.resolve(stack.get_logical_id(element))}>"


def arn_of(resource: IConstruct) -> str:
    """How cdk-nag writes the ARN of `resource` in a finding: `<Id.Arn>`."""
    return f"{ref_of(resource)[:-1]}.Arn>"
