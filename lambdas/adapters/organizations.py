"""Organizations' credit accounts and the charge ledger in DynamoDB; each execution is charged once.

One table holds both: the account at ("ORG#<id>", "ORG") and one ledger item per charged
execution at ("ORG#<id>", "CHARGE#<executionId>"). A charge writes its ledger item (only if
absent) and adds to the account's usage in one transaction, so retries and redrives of
Finalize can never charge twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lambdas.adapters.errors import TRANSIENT_CODES, error_code, translate, translated
from lambdas.runtime.errors import TransientError
from lambdas.runtime.ports import Organization
from lambdas.runtime.record import utc_now
from lambdas.runtime.store_errors import OrganizationMissing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

ACCOUNT = "ORG"
# Cancellation reasons of TransactWriteItems that a retry can clear.
TRANSIENT_CANCELLATIONS = frozenset(
    {
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "TransactionConflict",
        "RequestLimitExceeded",
    }
)


def partition(organization_id: str) -> str:
    return f"ORG#{organization_id}"


def ledger_key(execution_id: str) -> str:
    return f"CHARGE#{execution_id}"


class DynamoOrganizationStore:
    """OrganizationStore on the organizations table (layout in lambdas.adapters.schema)."""

    def __init__(
        self, dynamodb: DynamoDBClient, table: str, *, clock: Callable[[], str] = utc_now
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._clock = clock

    def get(self, organization_id: str) -> Organization | None:
        with translated(f"GetItem {self._table}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"pk": {"S": partition(organization_id)}, "sk": {"S": ACCOUNT}},
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return None
        return Organization(
            id=organization_id,
            compute_credits=int(item["computeCredits"]["N"]),
            usage=int(item["usage"]["N"]) if "usage" in item else 0,
        )

    def put(self, organization: Organization) -> None:
        """Create or replace the account (credits and usage as given; the ledger is kept)."""
        with translated(f"PutItem {self._table}"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": partition(organization.id)},
                    "sk": {"S": ACCOUNT},
                    "computeCredits": {"N": str(organization.compute_credits)},
                    "usage": {"N": str(organization.usage)},
                },
            )

    def set_credits(self, organization_id: str, compute_credits: int) -> Organization:
        """Set the account's compute credits, creating it if needed; usage is left as it is
        (one UpdateItem, so a charge landing meanwhile is not lost)."""
        if compute_credits < 0:
            raise ValueError(f"Credits must not be negative, got {compute_credits}")
        with translated(f"UpdateItem {self._table}"):
            updated = self._dynamodb.update_item(
                TableName=self._table,
                Key={"pk": {"S": partition(organization_id)}, "sk": {"S": ACCOUNT}},
                UpdateExpression=(
                    "SET computeCredits = :credits, #usage = if_not_exists(#usage, :zero)"
                ),
                ExpressionAttributeNames={"#usage": "usage"},
                ExpressionAttributeValues={
                    ":credits": {"N": str(compute_credits)},
                    ":zero": {"N": "0"},
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        return Organization(
            id=organization_id,
            compute_credits=int(updated["computeCredits"]["N"]),
            usage=int(updated["usage"]["N"]),
        )

    def charge(self, organization_id: str, execution_id: str, usage: int) -> bool:
        """Charge `usage` once per execution; False when the execution was already charged.

        A usage of 0 only records the ledger item (the account need not exist then); a
        positive usage to an organization without an account raises OrganizationMissing.
        """
        if usage < 0:
            raise ValueError(f"Usage must not be negative, got {usage}")
        key = partition(organization_id)
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": key},
                        "sk": {"S": ledger_key(execution_id)},
                        "usage": {"N": str(usage)},
                        "chargedAt": {"S": self._clock()},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if usage > 0:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": key}, "sk": {"S": ACCOUNT}},
                        "UpdateExpression": "ADD #usage :usage",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#usage": "usage"},
                        "ExpressionAttributeValues": {":usage": {"N": str(usage)}},
                    }
                }
            )
        action = f"TransactWriteItems {self._table}"
        with translated(action):
            try:
                self._dynamodb.transact_write_items(TransactItems=items)
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                return _cancelled(error, action, organization_id)
        return True


def _cancelled(error: ClientError, action: str, organization_id: str) -> bool:
    """What a cancelled charge means: False if already charged, else raise why it failed."""
    response: dict[str, Any] = dict(error.response)
    reasons = [str(r.get("Code", "None")) for r in response.get("CancellationReasons", [])]
    if reasons and reasons[0] == "ConditionalCheckFailed":
        return False
    if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
        raise OrganizationMissing(
            f"Organization '{organization_id}' has no account to charge",
            action=action,
            code="ConditionalCheckFailed",
        ) from error
    if any(r in TRANSIENT_CANCELLATIONS or r in TRANSIENT_CODES for r in reasons):
        raise TransientError(f"{action} cancelled ({', '.join(reasons)}); retry") from error
    raise translate(error, action) from error
