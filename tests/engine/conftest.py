"""The embedded engine's tests: engines created once per module (each is a whole deployment),
runs and injected faults from tests.support.runs."""

from __future__ import annotations

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES
from tests.support.runs import faults_fixture

__all__ = ["faults_fixture"]  # fixtures


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    """A deployment in development mode, with the default group size."""
    return EmbeddedEngine(cloud=cloud, allow_networks=LOCAL_FAKES)


@pytest.fixture(scope="module")
def unit_per_node(cloud: LocalCloud) -> EmbeddedEngine:
    """A deployment in development mode where every node is a unit of its own."""
    return EmbeddedEngine(cloud=cloud, max_group_size=1, allow_networks=LOCAL_FAKES)
