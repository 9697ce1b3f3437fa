"""Fixtures every test folder shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.cloud import LocalCloud
from tests.timing import TEST_TIME_SCALE


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The process's local cloud, its retries and Wait states fast for this module's tests."""
    shared = LocalCloud.shared()
    previous = shared.time_scale
    shared.time_scale = TEST_TIME_SCALE
    yield shared
    shared.time_scale = previous
