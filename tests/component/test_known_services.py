"""The embedded engine's start asks botocore whether a service is known without listing the
449 it has models of; every answer is the one the full listing gives."""

from __future__ import annotations

import pytest
from botocore.loaders import Loader

from local.moto_start import KnownServices

NAMES = ["dynamodb", "stepfunctions", "s3", "apigatewaymanagementapi", "sesv2", "nothing", ""]
KINDS = ["service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"]


@pytest.mark.parametrize("type_name", KINDS)
def test_a_name_is_known_exactly_when_the_listing_has_it(type_name: str) -> None:
    loader = Loader()
    listed = Loader.list_available_services(loader, type_name)
    known = KnownServices(Loader(), type_name, Loader.list_available_services)
    for name in [*NAMES, "../botocore", "dynamodb/2012-08-10", ".hidden", 3]:
        assert (name in known) == (name in listed), name
    assert "dynamodb" in known
    assert ("apigatewaymanagementapi" in known) == (type_name != "waiters-2")  # it has none


def test_read_as_a_list_it_is_the_listing() -> None:
    known = KnownServices(Loader(), "service-2", Loader.list_available_services)
    listed = Loader.list_available_services(Loader(), "service-2")
    assert known == listed
    assert len(known) == len(listed) > 400
    assert ", ".join(known) == ", ".join(listed)
    assert known[0] == listed[0]
