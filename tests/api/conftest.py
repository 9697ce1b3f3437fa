"""The API tests run against serve's application on a free localhost port, one per module
(tests.support.serving)."""

from __future__ import annotations

from tests.support.serving import org_a_fixture, org_b_fixture, server_fixture

__all__ = ["org_a_fixture", "org_b_fixture", "server_fixture"]  # fixtures
