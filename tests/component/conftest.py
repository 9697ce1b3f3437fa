"""The AWS every component test runs against: moto in-process, fresh for each test.

Names carry a random suffix so that these tests also run in a process where the embedded
engine's moto is already active (moto's backends are shared by nested mocks).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws
from moto.core.config import DefaultConfig

from lambdas.adapters.schema import TABLES, create_tables

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

REGION = "us-east-1"
WEBSOCKET_ENDPOINT = f"https://component.execute-api.{REGION}.amazonaws.com/test"


@dataclass
class Aws:
    """Clients of the mocked account and the resources created for one test."""

    dynamodb: DynamoDBClient
    s3: S3Client
    kms: KMSClient
    management: ApiGatewayManagementApiClient
    stepfunctions: SFNClient
    iam: IAMClient
    tables: dict[str, str]
    bucket: str
    suffix: str

    @cached_property
    def key_id(self) -> str:
        """A KMS key, created on first use (moto makes an RSA key pair for every key: slow)."""
        return self.kms.create_key(Description="component tests")["KeyMetadata"]["KeyId"]

    @cached_property
    def role_arn(self) -> str:
        """An IAM role for state machines, created on first use."""
        return self.iam.create_role(
            RoleName=f"component-{self.suffix}", AssumeRolePolicyDocument='{"Statement": []}'
        )["Role"]["Arn"]

    def scan(self, table: str) -> list[dict[str, AttributeValueTypeDef]]:
        """Every item of logical table `table`."""
        return self.dynamodb.scan(TableName=self.tables[table]).get("Items", [])


# botocore's own retries (with back-off sleeps) are not the adapters' behaviour: one attempt.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="session")
def session() -> boto3.Session:
    """One boto3 session for every test: it loads each service model once."""
    return boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def moto_config() -> DefaultConfig | None:
    """moto's configuration for a test; a module overrides this fixture to change it."""
    return None


@pytest.fixture
def aws(session: boto3.Session, moto_config: DefaultConfig | None) -> Iterator[Aws]:
    with mock_aws(config=moto_config):
        suffix = uuid.uuid4().hex[:8]
        dynamodb = session.client("dynamodb", config=CLIENT_CONFIG)
        tables = {name: f"component-{suffix}-{name}" for name in TABLES}
        create_tables(dynamodb, tables)
        s3 = session.client("s3", config=CLIENT_CONFIG)
        bucket = f"component-{suffix}-blobs"
        s3.create_bucket(Bucket=bucket)
        kms = session.client("kms", config=CLIENT_CONFIG)
        management = session.client(
            "apigatewaymanagementapi", endpoint_url=WEBSOCKET_ENDPOINT, config=CLIENT_CONFIG
        )
        stepfunctions = session.client("stepfunctions", config=CLIENT_CONFIG)
        iam = session.client("iam", config=CLIENT_CONFIG)
        yield Aws(dynamodb, s3, kms, management, stepfunctions, iam, tables, bucket, suffix)


@contextmanager
def failing(client: Any, method: str, code: str, status: int = 400) -> Iterator[None]:
    """The next call of `method` on `client` fails with AWS error `code`; any other call
    inside the block fails the test (botocore's Stubber answers every call)."""
    with Stubber(client) as stubber:
        stubber.add_client_error(method, service_error_code=code, http_status_code=status)
        yield
