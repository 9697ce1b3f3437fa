"""On `serve` with default settings, a workflow cannot reach this machine: a `fetch` of
127.0.0.1 or localhost, directly or through a redirect, is a node error naming the rule, and
nothing is sent there. `--allow-network` opens what a deployment needs.

The redirect starts at a public address: its name resolves through a stub, and the one
connection the guard lets through to it is opened to the local fake server instead (any
other address that is not this machine's fails the test), so nothing leaves the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LocalServer
from tests.support.http_server import serving as fake_serving
from tests.support.serving import CREDITS, Organization, Server, serving
from tests.support.workflows import node, workflow

PUBLIC = "93.184.216.34"


@pytest.fixture(scope="module")
def default_serve(cloud: LocalCloud) -> Iterator[Server]:
    """serve as `stepthunk serve` starts it: no --allow-network."""
    with serving(EmbeddedEngine(cloud=cloud, credits=CREDITS)) as up:
        yield up


@pytest.fixture
def fake() -> Iterator[LocalServer]:
    with fake_serving() as running_server:
        yield running_server


def fetched(organization: Organization, url: str) -> dict[str, Any]:
    """The fetch node's execution, once its workflow has run."""
    organization.deploy(workflow(node("call", "fetch", url=url), workflow_id="reach"))
    record = organization.wait_for(organization.start("reach"))
    (call,) = record["nodeExecutions"]
    return dict(call)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_fetch_of_this_machine_is_a_node_error_and_nothing_is_sent(
    default_serve: Server, fake: LocalServer, host: str
):
    call = fetched(default_serve.organization(), f"http://{host}:{fake.port}/json")
    assert call["status"] == "error"
    assert f"Request to http://{host}:{fake.port}/json refused: " in call["error"]
    assert "is a loopback address, which workflows may not reach here" in call["error"]
    assert fake.requests == []


def test_a_redirect_to_this_machine_is_not_followed(
    default_serve: Server, fake: LocalServer, monkeypatch: pytest.MonkeyPatch
):
    resolve, connect = socket.getaddrinfo, socket.create_connection

    def stub_resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "public.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        return resolve(host, port, *args, **kwargs)

    def loopback_only(address: Any, *args: Any, **kwargs: Any) -> Any:
        host = address[0]
        if host == PUBLIC:
            return connect(("127.0.0.1", fake.port), *args, **kwargs)
        assert host in ("127.0.0.1", "::1", "localhost"), f"a connection to {host} was opened"
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stub_resolve)
    monkeypatch.setattr(socket, "create_connection", loopback_only)
    inside = f"http://localhost:{fake.port}/json"
    call = fetched(default_serve.organization(), f"http://public.test/redirect?to={inside}")
    assert call["status"] == "error"
    assert "refused: 127.0.0.1 is a loopback address" in call["error"]
    assert [r.path for r in fake.requests] == ["/redirect"]  # the first hop only


def test_an_allowed_network_is_reached(cloud: LocalCloud, fake: LocalServer):
    engine = EmbeddedEngine(cloud=cloud, credits=CREDITS, allow_networks=["127.0.0.0/8"])
    with serving(engine) as served:
        call = fetched(served.organization(), fake.url("/json"))
    assert call["status"] == "completed"
    assert [r.path for r in fake.requests] == ["/json"]
