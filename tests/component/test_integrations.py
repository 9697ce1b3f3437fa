"""KmsIntegrationVault on moto, refreshing tokens at an OAuth token endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lambdas.adapters.integrations import KmsIntegrationVault
from lambdas.runtime.store_errors import IntegrationRefreshFailed, SealedValueRefused
from tests.component.conftest import Aws
from tests.support.http_server import RecordedRequest, Reply, serving

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ACCESS, REFRESH, CLIENT_SECRET = "old-access-token", "old-refresh-token", "client-secret-xyz"


@dataclass
class TokenEndpoint:
    """What the endpoint answers next, and the forms it received."""

    url: str
    status: int = 200
    answer: dict[str, Any] = field(
        default_factory=lambda: {"access_token": "new-access-token", "expires_in": 3600}
    )
    forms: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    state = TokenEndpoint(url="")

    def token(request: RecordedRequest) -> Reply:
        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        state.forms.append(form)
        # A failing provider may echo what it was sent: the vault must not repeat it.
        answer = state.answer if state.status == 200 else {"error": "invalid_grant", **form}
        return Reply(state.status, json.dumps(answer).encode(), "application/json")

    with serving(token) as server:
        state.url = server.url("/token")
        yield state


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def vault(aws: Aws, http: httpx.Client, clock: Clock) -> KmsIntegrationVault:
    return KmsIntegrationVault(
        aws.dynamodb, aws.tables["integrations"], aws.kms, aws.key_id, lambda: http, clock
    )


def store(vault: KmsIntegrationVault, url: str, expires_at: datetime, org: str = "org-a") -> None:
    vault.put(
        org,
        {
            "id": "gmail",
            "provider": "google",
            "accessToken": ACCESS,
            "refreshToken": REFRESH,
            "expiresAt": expires_at.isoformat(),
            "tokenEndpoint": url,
            "clientId": "client-1",
            "clientSecret": CLIENT_SECRET,
        },
    )


def test_a_valid_token_opens_without_asking_the_provider(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint
) -> None:
    store(vault, endpoint.url, NOW + timedelta(hours=1))
    opened = vault.open("org-a", vault.sealed("org-a")["gmail"])
    assert opened == {
        "id": "gmail",
        "provider": "google",
        "accessToken": ACCESS,
        "expiresAt": "2026-03-01T13:00:00.000Z",
    }
    assert endpoint.forms == []


def test_the_sealed_form_describes_the_integration_without_its_tokens(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint
) -> None:
    store(vault, endpoint.url, NOW + timedelta(hours=1))
    sealed = vault.sealed("org-a")
    assert set(sealed["gmail"]) == {
        "id", "provider", "tokenEndpoint", "clientId", "expiresAt", "ciphertext"
    }  # fmt: skip
    text = json.dumps(sealed)
    assert all(secret not in text for secret in (ACCESS, REFRESH, CLIENT_SECRET))


def test_no_token_is_stored_in_plaintext(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint, aws: Aws
) -> None:
    store(vault, endpoint.url, NOW + timedelta(hours=1))
    [item] = aws.scan("integrations")
    stored = repr(item).encode() + item["ciphertext"]["B"]
    assert all(secret.encode() not in stored for secret in (ACCESS, REFRESH, CLIENT_SECRET))


@pytest.mark.parametrize("expires_in", [timedelta(seconds=-5), timedelta(seconds=30)])
def test_an_expired_or_expiring_token_is_refreshed_and_stored(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint, expires_in: timedelta
) -> None:
    store(vault, endpoint.url, NOW + expires_in)
    opened = vault.open("org-a", vault.sealed("org-a")["gmail"])
    assert opened["accessToken"] == "new-access-token"
    assert opened["expiresAt"] == "2026-03-01T13:00:00.000Z"
    assert endpoint.forms == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": "client-1",
            "client_secret": CLIENT_SECRET,
        }
    ]
    resealed = vault.sealed("org-a")["gmail"]
    assert resealed["expiresAt"] == "2026-03-01T13:00:00.000Z"
    assert vault.open("org-a", resealed)["accessToken"] == "new-access-token"
    assert len(endpoint.forms) == 1


def test_a_rotated_refresh_token_is_used_for_the_next_refresh(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint, clock: Clock
) -> None:
    store(vault, endpoint.url, NOW)
    endpoint.answer = {"access_token": "second", "expires_in": 60, "refresh_token": "rotated"}
    vault.open("org-a", vault.sealed("org-a")["gmail"])
    clock.now = NOW + timedelta(minutes=5)
    endpoint.answer = {"access_token": "third", "expires_in": 600}
    assert vault.open("org-a", vault.sealed("org-a")["gmail"])["accessToken"] == "third"
    assert [form["refresh_token"] for form in endpoint.forms] == [REFRESH, "rotated"]


def test_a_stale_sealed_form_uses_the_token_refreshed_meanwhile(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint
) -> None:
    store(vault, endpoint.url, NOW)
    preloaded = vault.sealed("org-a")["gmail"]
    vault.open("org-a", preloaded)
    assert vault.open("org-a", preloaded)["accessToken"] == "new-access-token"
    assert len(endpoint.forms) == 1


def test_a_failing_token_endpoint_names_the_integration_and_status_only(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint
) -> None:
    store(vault, endpoint.url, NOW)
    sealed = vault.sealed("org-a")["gmail"]
    endpoint.status = 400
    with pytest.raises(IntegrationRefreshFailed) as raised:
        vault.open("org-a", sealed)
    message = str(raised.value)
    assert "gmail" in message
    assert "400" in message
    assert all(secret not in message for secret in (ACCESS, REFRESH, CLIENT_SECRET))
    assert raised.value.status == 400
    assert vault.sealed("org-a")["gmail"] == sealed


def test_an_unreachable_token_endpoint_fails_the_refresh(vault: KmsIntegrationVault) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    store(vault, f"http://127.0.0.1:{closed_port}/token", NOW)
    with pytest.raises(IntegrationRefreshFailed) as raised:
        vault.open("org-a", vault.sealed("org-a")["gmail"])
    assert raised.value.status is None


def test_an_integration_of_one_organization_is_refused_to_another(
    vault: KmsIntegrationVault, endpoint: TokenEndpoint
) -> None:
    store(vault, endpoint.url, NOW + timedelta(hours=1))
    with pytest.raises(SealedValueRefused) as raised:
        vault.open("org-b", vault.sealed("org-a")["gmail"])
    assert ACCESS not in str(raised.value)
    assert endpoint.forms == []
