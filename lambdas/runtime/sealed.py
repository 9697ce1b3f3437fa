"""Secrets and integrations as node code sees them: opened from their sealed form on demand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.ports import IntegrationVault, SecretVault


class SealedSecrets:
    """The secrets preloaded for an execution; each is decrypted the first time a node asks.

    A secret not preloaded is looked up in the vault once: the compiler leaves `Preload
    secrets` out when no node is known to read one, yet a run's input overrides can still
    reference one.
    """

    def __init__(self, sealed: Mapping[str, str], vault: SecretVault, organization_id: str) -> None:
        self._sealed = sealed
        self._vault = vault
        self._organization_id = organization_id
        self._opened: dict[str, str] = {}
        self._looked_up = False

    def get(self, name: str, /) -> str | None:
        if name not in self._sealed and not self._looked_up:
            self._looked_up = True
            self._sealed = {**self._vault.sealed(self._organization_id), **self._sealed}
        if name not in self._sealed:
            return None
        if name not in self._opened:
            self._opened[name] = self._vault.open(self._organization_id, self._sealed[name])
        return self._opened[name]


class SealedIntegrations:
    """The integrations preloaded for an execution; tokens are opened (refreshed) on demand."""

    def __init__(
        self,
        sealed: Mapping[str, Mapping[str, Any]],
        vault: IntegrationVault,
        organization_id: str,
    ) -> None:
        self._sealed = sealed
        self._vault = vault
        self._organization_id = organization_id
        self._opened: dict[str, dict[str, Any]] = {}

    def get(self, integration_id: str, /) -> Mapping[str, Any] | None:
        if integration_id not in self._sealed:
            return None
        if integration_id not in self._opened:
            sealed = self._sealed[integration_id]
            self._opened[integration_id] = self._vault.open(self._organization_id, sealed)
        return self._opened[integration_id]
