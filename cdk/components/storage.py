"""Where stepthunk keeps data: one DynamoDB table per schema entry, the bucket, the KMS key.

Functions get a resource through `use_*`, which sets the environment variable the handler's
settings read and grants exactly that access, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk import nag
from cdk.config import Config
from lambdas.adapters.kms_secrets import OWNER_CONTEXT_KEY
from lambdas.adapters.schema import BY_WORKFLOW_SUMMARY, TABLES, Key, listing_index, tables
from lambdas.handlers.settings import LISTING_INDEX_SETTING

RECOVERY_WINDOW = Duration.days(35)
# Tables whose values are sealed with the KMS key: their readers also need its id.
SEALED_TABLES = frozenset({"secrets", "integrations"})


def table_variable(name: str) -> str:
    """The environment variable naming table `name`: apiKeys -> API_KEYS_TABLE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_TABLE"


class Storage(Construct):
    """The tables (`tables[name]` for each schema.TABLES entry), the bucket and the key."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="stepthunk: seals organization secrets and integration tokens",
            enable_key_rotation=True,
            removal_policy=config.removal,
        )
        self.bucket = s3.Bucket(
            self,
            "Blobs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # Overwritten or deleted objects stay recoverable as long as the tables' point-in-
            # time recovery reaches back, then expire.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(noncurrent_version_expiration=RECOVERY_WINDOW),
            ],
            removal_policy=config.removal,
            # A throwaway stage's bucket empties itself (every version) when the stack goes:
            # CloudFormation deletes no bucket that holds objects.
            auto_delete_objects=config.removal_policy == "destroy",
        )
        nag.acknowledge(
            self.bucket,
            "S1",
            "Only this stack's functions reach these objects, through their roles (public "
            "access is blocked and no presigned URL is ever made), and each S3 call they "
            "make is a subsegment of the function's X-Ray trace; server access logs would "
            "need a second bucket of their own, itself unlogged.",
        )
        made = {}
        for name, spec in tables(config.keep_indexes).items():
            table = dynamodb.Table(
                self,
                name[0].upper() + name[1:],
                partition_key=_attribute(spec.partition),
                sort_key=_attribute(spec.sort) if spec.sort else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                time_to_live_attribute=spec.expiry,
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                removal_policy=config.removal,
            )
            for index in spec.indexes:
                projection = index.projection
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition),
                    sort_key=_attribute(index.sort) if index.sort else None,
                    projection_type=dynamodb.ProjectionType(projection["ProjectionType"]),
                    non_key_attributes=projection.get("NonKeyAttributes"),
                )
            made[name] = table
        self.tables: Mapping[str, dynamodb.Table] = MappingProxyType(made)
        self._listing_index = listing_index(config.keep_indexes)

    def use_tables(
        self, function: lambda_.Function, *, read: Iterable[str] = (), write: Iterable[str] = ()
    ) -> None:
        """Let `function` read the `read` tables and read and write the `write` tables."""
        for name, writes in [*((name, False) for name in read), *((name, True) for name in write)]:
            table = self.tables[name]
            function.add_environment(table_variable(name), table.table_name)
            if name == "executions" and self._listing_index != BY_WORKFLOW_SUMMARY:
                function.add_environment(LISTING_INDEX_SETTING, self._listing_index)
            if writes:
                table.grant_read_write_data(function)
            else:
                table.grant_read_data(function)
            if name in SEALED_TABLES:
                function.add_environment("KMS_KEY_ID", self.key.key_arn)
            if TABLES[name].indexes:
                nag.acknowledge_wildcard(
                    function,
                    f"{nag.arn_of(table)}/index/*",
                    f"Queries on the {name} table's own global secondary indexes.",
                )

    def use_bucket(self, function: lambda_.Function, *, write: bool) -> None:
        """Let `function` read (and, with `write`, put and delete) objects of the bucket."""
        function.add_environment("BLOB_BUCKET", self.bucket.bucket_name)
        # The exact calls the adapters make; ListBucket makes a missing key answer 404, not 403.
        self.bucket.grants.actions_on_bucket_and_object_keys(function, "*", "s3:ListBucket")
        actions = ["s3:GetObject", *(["s3:PutObject", "s3:DeleteObject"] if write else [])]
        self.bucket.grants.actions_on_object_keys(function, "*", *actions)
        nag.acknowledge_wildcard(
            function,
            f"{nag.arn_of(self.bucket)}/*",
            "Objects of this stack's own bucket, whose keys (per organization, execution and "
            "value) are only known at run time.",
        )

    def use_key(self, function: lambda_.Function, *, encrypt: bool, decrypt: bool) -> None:
        """Let `function` seal (`encrypt`) and open (`decrypt`) values with the key."""
        function.add_environment("KMS_KEY_ID", self.key.key_arn)
        # Exactly the calls the vaults make (grant_encrypt adds ReEncrypt*/GenerateDataKey*),
        # and only for a value bound to an organization: the key's grants take no condition.
        actions = [
            action
            for action, wanted in (("kms:Encrypt", encrypt), ("kms:Decrypt", decrypt))
            if wanted
        ]
        if actions:
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=actions,
                    resources=[self.key.key_arn],
                    conditions={"Null": {f"kms:EncryptionContext:{OWNER_CONTEXT_KEY}": "false"}},
                )
            )


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
