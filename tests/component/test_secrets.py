"""KmsSecretVault on moto: secrets sealed at rest, opened only for their own organization."""

from __future__ import annotations

import base64

import pytest
from botocore.stub import Stubber

from lambdas.adapters.kms_secrets import KmsSecretVault
from lambdas.runtime.errors import TransientError
from lambdas.runtime.store_errors import SealedValueRefused, StoreError, ValueTooLarge
from tests.component.conftest import Aws, failing

PLAINTEXT = "sk-live-correct-horse-battery-staple"


@pytest.fixture
def vault(aws: Aws) -> KmsSecretVault:
    secrets = KmsSecretVault(aws.dynamodb, aws.tables["secrets"], aws.kms, aws.key_id)
    secrets.put("org-a", "API_KEY", PLAINTEXT)
    return secrets


def test_a_sealed_secret_opens_to_its_plaintext(vault: KmsSecretVault) -> None:
    sealed = vault.sealed("org-a")
    assert set(sealed) == {"API_KEY"}
    assert PLAINTEXT not in sealed["API_KEY"]
    assert vault.open("org-a", sealed["API_KEY"]) == PLAINTEXT


def test_a_secret_put_again_opens_to_the_new_value(vault: KmsSecretVault) -> None:
    vault.put("org-a", "API_KEY", "rotated ✓")
    assert vault.open("org-a", vault.sealed("org-a")["API_KEY"]) == "rotated ✓"


def test_names_are_listed_sorted_per_organization(vault: KmsSecretVault) -> None:
    vault.put("org-a", "DB_PASSWORD", "hunter2")
    vault.put("org-b", "OTHER", "x")
    assert vault.names("org-a") == ["API_KEY", "DB_PASSWORD"]
    assert vault.names("org-c") == []
    assert vault.sealed("org-c") == {}


def test_deleting_a_secret_says_whether_there_was_one(vault: KmsSecretVault) -> None:
    assert vault.delete("org-a", "API_KEY") is True
    assert vault.delete("org-a", "API_KEY") is False
    assert vault.names("org-a") == []


def test_sealing_needs_no_decryption(vault: KmsSecretVault, aws: Aws) -> None:
    # An active Stubber with nothing queued fails any KMS call.
    with Stubber(aws.kms):
        sealed = vault.sealed("org-a")
    assert set(sealed) == {"API_KEY"}


def test_no_plaintext_is_stored_in_the_secrets_table(vault: KmsSecretVault, aws: Aws) -> None:
    [item] = aws.scan("secrets")
    stored = repr(item).encode() + item["ciphertext"]["B"]
    assert PLAINTEXT.encode() not in stored
    assert base64.b64encode(PLAINTEXT.encode()) not in stored
    assert set(item) == {"organizationId", "name", "ciphertext", "updatedAt"}


def test_a_secret_of_one_organization_is_refused_to_another(vault: KmsSecretVault) -> None:
    sealed = vault.sealed("org-a")["API_KEY"]
    with pytest.raises(SealedValueRefused) as raised:
        vault.open("org-b", sealed)
    assert raised.value.code == "InvalidCiphertextException"
    assert PLAINTEXT not in str(raised.value)
    assert "org-b" in str(raised.value)


@pytest.mark.parametrize("sealed", ["not base64!", base64.b64encode(b"garbage" * 8).decode()])
def test_a_value_that_was_never_sealed_is_refused(vault: KmsSecretVault, sealed: str) -> None:
    with pytest.raises(SealedValueRefused):
        vault.open("org-a", sealed)


def test_a_secret_too_large_for_kms_is_refused_without_echoing_it(vault: KmsSecretVault) -> None:
    huge = "s3cr3t" * 1000
    with pytest.raises(ValueTooLarge) as raised:
        vault.put("org-a", "HUGE", huge)
    assert "s3cr3t" not in str(raised.value)
    assert isinstance(raised.value, StoreError)


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInternalException"])
def test_kms_throttling_while_opening_is_a_transient_error(
    vault: KmsSecretVault, aws: Aws, code: str
) -> None:
    sealed = vault.sealed("org-a")["API_KEY"]
    with failing(aws.kms, "decrypt", code), pytest.raises(TransientError) as raised:
        vault.open("org-a", sealed)
    assert PLAINTEXT not in str(raised.value)
