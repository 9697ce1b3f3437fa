"""The security tests search whole deployments for plaintexts (tests.support.secret_scan)."""

from __future__ import annotations

from tests.support.secret_scan import handler_logs_fixture, serve_fixture

__all__ = ["handler_logs_fixture", "serve_fixture"]  # fixtures
