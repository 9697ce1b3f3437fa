"""DynamoApiKeyStore on moto: keys resolve to their organization and are stored only hashed."""

from __future__ import annotations

import hashlib

import pytest

from lambdas.adapters.api_keys import DynamoApiKeyStore
from lambdas.runtime.errors import TransientError
from lambdas.runtime.store_errors import ApiKeyConflict
from tests.component.conftest import Aws, failing


@pytest.fixture
def keys(aws: Aws) -> DynamoApiKeyStore:
    return DynamoApiKeyStore(aws.dynamodb, aws.tables["apiKeys"])


def test_a_created_key_belongs_to_its_organization(keys: DynamoApiKeyStore) -> None:
    first = keys.create("org-1")
    second = keys.create("org-2")
    assert first.startswith("stk_")
    assert len(first) > 40
    assert first != second
    assert keys.organization_of(first) == "org-1"
    assert keys.organization_of(second) == "org-2"


@pytest.mark.parametrize("key", ["stk_unknown", "", "stk_" + "x" * 2000])
def test_an_unknown_key_belongs_to_no_organization(keys: DynamoApiKeyStore, key: str) -> None:
    keys.create("org-1")
    assert keys.organization_of(key) is None


def test_only_the_hash_of_a_key_is_stored(keys: DynamoApiKeyStore, aws: Aws) -> None:
    key = keys.create("org-1")
    [item] = aws.scan("apiKeys")
    assert item["keyHash"] == {"S": hashlib.sha256(key.encode()).hexdigest()}
    assert item["organizationId"] == {"S": "org-1"}
    assert key not in repr(item)
    assert key.removeprefix("stk_") not in repr(item)


def test_a_chosen_key_can_be_registered_again_for_its_organization(
    keys: DynamoApiKeyStore,
) -> None:
    keys.add("local-dev-key", "dev")
    keys.add("local-dev-key", "dev")
    assert keys.organization_of("local-dev-key") == "dev"


def test_a_key_registered_to_one_organization_cannot_move_to_another(
    keys: DynamoApiKeyStore,
) -> None:
    keys.add("local-dev-key", "org-1")
    with pytest.raises(ApiKeyConflict) as raised:
        keys.add("local-dev-key", "org-2")
    assert "local-dev-key" not in str(raised.value)
    assert keys.organization_of("local-dev-key") == "org-1"


def test_an_empty_key_cannot_be_registered(keys: DynamoApiKeyStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        keys.add("", "org-1")


def test_a_throttled_lookup_is_transient_and_does_not_show_the_key(
    keys: DynamoApiKeyStore, aws: Aws
) -> None:
    with (
        failing(aws.dynamodb, "get_item", "ThrottlingException"),
        pytest.raises(TransientError) as raised,
    ):
        keys.organization_of("stk_secret-value")
    assert "secret-value" not in str(raised.value)


def test_a_found_key_is_remembered_for_a_minute_and_an_unknown_one_never(
    keys: DynamoApiKeyStore, aws: Aws
) -> None:
    """The HTTP API's keys: a client's requests read the table once a minute, a key removed
    from it stops working within that minute, and a key added works at once."""
    from lambdas.adapters.api_keys import KEY_MEMORY_SECONDS, RememberedApiKeys

    now = [1000.0]
    remembered = RememberedApiKeys(keys, clock=lambda: now[0])
    reads: list[str] = []

    def reading(params: dict[str, object], **_: object) -> None:
        reads.append(str(params["TableName"]))

    aws.dynamodb.meta.events.register("before-parameter-build.dynamodb.GetItem", reading)
    try:
        key = remembered.create("org-1")
        assert [remembered.organization_of(key) for _ in range(3)] == ["org-1"] * 3
        assert len(reads) == 1
        assert remembered.organization_of("stk_later") is None
        remembered.add("stk_later", "org-2")  # registered after a miss: works at once
        assert remembered.organization_of("stk_later") == "org-2"
        assert len(reads) == 3

        [item] = [i for i in aws.scan("apiKeys") if i["organizationId"] == {"S": "org-1"}]
        aws.dynamodb.delete_item(TableName=aws.tables["apiKeys"], Key={"keyHash": item["keyHash"]})
        assert remembered.organization_of(key) == "org-1"  # within the minute
        now[0] += KEY_MEMORY_SECONDS
        assert remembered.organization_of(key) is None
        assert remembered.organization_of(key) is None
        assert len(reads) == 5
    finally:
        aws.dynamodb.meta.events.unregister("before-parameter-build.dynamodb.GetItem", reading)
