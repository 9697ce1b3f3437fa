"""SealedSecrets, the secrets a node task sees: each opened once, on demand, and the vault listed
at most once per task, only for a secret the preload did not carry."""

from __future__ import annotations

from collections import Counter

from lambdas.runtime.sealed import SealedSecrets


class CountingVault:
    """A SecretVault of one organization whose sealed form is `sealed:<plaintext>`."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self._secrets = secrets
        self.calls: Counter[str] = Counter()

    def put(self, organization_id: str, name: str, plaintext: str) -> None:
        self._secrets[name] = plaintext

    def delete(self, organization_id: str, name: str) -> bool:
        return self._secrets.pop(name, None) is not None

    def names(self, organization_id: str) -> list[str]:
        return sorted(self._secrets)

    def sealed(self, organization_id: str) -> dict[str, str]:
        assert organization_id == "org-1"
        self.calls["sealed"] += 1
        return {name: f"sealed:{value}" for name, value in self._secrets.items()}

    def open(self, organization_id: str, sealed: str) -> str:
        assert organization_id == "org-1"
        self.calls["open"] += 1
        return sealed.removeprefix("sealed:")


def test_a_preloaded_secret_is_opened_once_without_listing_the_vault() -> None:
    vault = CountingVault({"TOKEN": "t0k3n-value", "OTHER": "other-value"})
    secrets = SealedSecrets({"TOKEN": "sealed:t0k3n-value"}, vault, "org-1")

    assert [secrets.get("TOKEN") for _ in range(3)] == ["t0k3n-value"] * 3
    assert vault.calls == {"open": 1}


def test_a_secret_not_preloaded_is_found_with_one_listing_of_the_vault() -> None:
    vault = CountingVault({"TOKEN": "t0k3n-value", "LATE": "late-value", "MORE": "more-value"})
    secrets = SealedSecrets({"TOKEN": "sealed:stale-but-preloaded"}, vault, "org-1")

    assert secrets.get("LATE") == "late-value"
    assert secrets.get("MORE") == "more-value"
    assert secrets.get("MISSING") is None
    assert secrets.get("MISSING") is None
    # What the execution preloaded wins over what the listing found later.
    assert secrets.get("TOKEN") == "stale-but-preloaded"
    assert vault.calls == {"sealed": 1, "open": 3}


def test_a_secret_nobody_has_is_none_and_opens_nothing() -> None:
    vault = CountingVault({})
    secrets = SealedSecrets({}, vault, "org-1")

    assert secrets.get("NOPE") is None
    assert vault.calls == {"sealed": 1}
