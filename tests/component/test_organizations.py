"""DynamoOrganizationStore on moto: accounts, and charges that happen once per execution."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.runtime.errors import TransientError
from lambdas.runtime.ports import Organization
from lambdas.runtime.store_errors import OrganizationMissing
from tests.component.conftest import Aws, failing


@pytest.fixture
def store(aws: Aws) -> DynamoOrganizationStore:
    organizations = DynamoOrganizationStore(aws.dynamodb, aws.tables["organizations"])
    organizations.put(Organization(id="org-1", compute_credits=100, usage=10))
    return organizations


def usage(store: DynamoOrganizationStore, organization_id: str = "org-1") -> int:
    organization = store.get(organization_id)
    assert organization is not None
    return organization.usage


def test_an_organization_reads_back_as_stored(store: DynamoOrganizationStore) -> None:
    assert store.get("org-1") == Organization(id="org-1", compute_credits=100, usage=10)
    assert store.get("org-2") is None


def test_a_charge_adds_to_the_organizations_usage(store: DynamoOrganizationStore) -> None:
    assert store.charge("org-1", "exec-1", 7) is True
    assert usage(store) == 17


def test_charging_an_execution_again_changes_nothing(store: DynamoOrganizationStore) -> None:
    assert store.charge("org-1", "exec-1", 7) is True
    assert store.charge("org-1", "exec-1", 7) is False
    assert store.charge("org-1", "exec-1", 3) is False
    assert usage(store) == 17


def test_each_execution_is_charged(store: DynamoOrganizationStore) -> None:
    store.charge("org-1", "exec-1", 1)
    store.charge("org-1", "exec-2", 2)
    assert usage(store) == 13


def test_the_ledger_records_what_each_execution_was_charged(
    store: DynamoOrganizationStore, aws: Aws
) -> None:
    store.charge("org-1", "exec-1", 7)
    ledger = [item for item in aws.scan("organizations") if item["sk"]["S"] != "ORG"]
    assert [(item["pk"], item["sk"], item["usage"]) for item in ledger] == [
        ({"S": "ORG#org-1"}, {"S": "CHARGE#exec-1"}, {"N": "7"})
    ]
    assert "chargedAt" in ledger[0]


def test_a_zero_usage_charges_nothing_but_counts_as_charged(
    store: DynamoOrganizationStore,
) -> None:
    assert store.charge("org-1", "exec-1", 0) is True
    assert store.charge("org-1", "exec-1", 5) is False
    assert usage(store) == 10


def test_charging_an_organization_without_account_fails_and_records_nothing(
    store: DynamoOrganizationStore,
) -> None:
    with pytest.raises(OrganizationMissing):
        store.charge("org-2", "exec-1", 5)
    store.put(Organization(id="org-2", compute_credits=10))
    assert store.charge("org-2", "exec-1", 5) is True
    assert usage(store, "org-2") == 5


def test_a_negative_usage_is_refused(store: DynamoOrganizationStore) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.charge("org-1", "exec-1", -1)
    assert usage(store) == 10


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
def test_a_throttled_charge_is_a_transient_error(
    store: DynamoOrganizationStore, aws: Aws, code: str
) -> None:
    with failing(aws.dynamodb, "transact_write_items", code), pytest.raises(TransientError):
        store.charge("org-1", "exec-1", 7)
    assert store.charge("org-1", "exec-1", 7) is True
    assert usage(store) == 17


@pytest.mark.parametrize("reason", ["ThrottlingError", "TransactionConflict"])
def test_a_charge_cancelled_by_throttling_or_a_conflict_is_a_transient_error(
    store: DynamoOrganizationStore, aws: Aws, reason: str
) -> None:
    # A conflict is another transaction on the account at the same moment: retried, the
    # charge goes through.
    reasons = {"CancellationReasons": [{"Code": "None"}, {"Code": reason}]}
    with Stubber(aws.dynamodb) as stubber:
        stubber.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            modeled_fields=reasons,
        )
        with pytest.raises(TransientError):
            store.charge("org-1", "exec-1", 7)
    assert usage(store) == 10
    assert store.charge("org-1", "exec-1", 7) is True
    assert usage(store) == 17
