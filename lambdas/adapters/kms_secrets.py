"""Organization secrets encrypted with KMS (the organization id as encryption context) in DynamoDB.

The encryption context binds each ciphertext to its organization: KMS refuses to decrypt a
value sealed for organization A on behalf of organization B. Plaintext exists only in the
arguments of `put` and the result of `open`; it is never stored, logged or put in a message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from lambdas.adapters.errors import translated
from lambdas.runtime.record import utc_now
from lambdas.runtime.store_errors import SealedValueRefused, ValueTooLarge
from statemachine import quotas

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
    from mypy_boto3_kms import KMSClient

# The key of the encryption context every sealed value carries: its organization's id. The
# stack lets its functions use the key only with it (cdk/components/storage.py).
OWNER_CONTEXT_KEY = "organizationId"


def encryption_context(organization_id: str) -> dict[str, str]:
    return {OWNER_CONTEXT_KEY: organization_id}


class KmsSecretVault:
    """SecretVault on the secrets table (organizationId, name) and a KMS key."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        kms: KMSClient,
        key_id: str,
        *,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._kms = kms
        self._key_id = key_id
        self._clock = clock

    def put(self, organization_id: str, name: str, plaintext: str) -> None:
        data = plaintext.encode("utf-8")
        if len(data) > quotas.KMS_PLAINTEXT_BYTES:
            raise ValueTooLarge(
                f"Secret '{name}' is {len(data)} bytes; "
                f"at most {quotas.KMS_PLAINTEXT_BYTES} are allowed",
                action="Encrypt secret",
            )
        with translated("Encrypt secret"):
            ciphertext = self._kms.encrypt(
                KeyId=self._key_id,
                Plaintext=data,
                EncryptionContext=encryption_context(organization_id),
            )["CiphertextBlob"]
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "organizationId": {"S": organization_id},
                    "name": {"S": name},
                    "ciphertext": {"B": ciphertext},
                    "updatedAt": {"S": self._clock()},
                },
            )

    def delete(self, organization_id: str, name: str) -> bool:
        """Delete a secret; False when there was none of that name."""
        with translated(f"DeleteItem {self._table}"):
            deleted = self._dynamodb.delete_item(
                TableName=self._table,
                Key={"organizationId": {"S": organization_id}, "name": {"S": name}},
                ReturnValues="ALL_OLD",
            )
        return "Attributes" in deleted

    def names(self, organization_id: str) -> list[str]:
        """The organization's secret names, sorted."""
        return [item["name"]["S"] for item in self._items(organization_id, "#name")]

    def sealed(self, organization_id: str) -> dict[str, str]:
        """name -> base64 ciphertext, without decrypting anything."""
        return {
            item["name"]["S"]: base64.b64encode(item["ciphertext"]["B"]).decode("ascii")
            for item in self._items(organization_id, "#name, ciphertext")
        }

    def open(self, organization_id: str, sealed: str) -> str:
        """The plaintext of a sealed value of this organization; SealedValueRefused otherwise."""
        action = f"Decrypt secret of organization '{organization_id}'"
        try:
            ciphertext = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError) as error:
            raise SealedValueRefused(f"{action}: not a sealed value", action=action) from error
        with translated(action):
            plaintext = self._kms.decrypt(
                KeyId=self._key_id,
                CiphertextBlob=ciphertext,
                EncryptionContext=encryption_context(organization_id),
            )["Plaintext"]
        return plaintext.decode("utf-8")

    def _items(
        self, organization_id: str, projection: str
    ) -> Iterator[dict[str, AttributeValueTypeDef]]:
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="organizationId = :organization",
            ExpressionAttributeValues={":organization": {"S": organization_id}},
            ExpressionAttributeNames={"#name": "name"},
            ProjectionExpression=projection,
        )
        with translated(f"Query {self._table}"):
            for page in pages:
                yield from page.get("Items", [])
