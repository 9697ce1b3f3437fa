"""The guarded transport connects only to allowed addresses, checked on the address it opens,
on every redirect hop, whatever a name resolves to the second time.

No test here sends anything off this machine, even with the guard broken: names resolve
through a stub, and the network underneath connects only to the local fake server, recording
the address it was asked for (an address it was not told to stand in for fails the test).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx
import pytest

from lambdas.nodes.guard import DestinationRefused, GuardedBackend, GuardedTransport, refusal_of
from lambdas.runtime.network import PUBLIC_ONLY, NetworkPolicy
from tests.support.http_server import LocalServer, serving

PUBLIC = "93.184.216.34"


class LoopbackOnly(httpcore.NetworkBackend):
    """Connects every address it stands in for to the local server; records each asked."""

    def __init__(self, server: LocalServer, stands_in_for: Iterable[str]) -> None:
        self.server = server
        self.stands_in_for = set(stands_in_for)
        self.asked: list[str] = []
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.asked.append(host)
        assert host in self.stands_in_for, f"the guard let a connection to {host} through"
        return self.inner.connect_tcp("127.0.0.1", self.server.port, timeout)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class Names:
    """A resolver stub: each name's answers, one list per lookup (the last repeats)."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {name.replace("_", "."): list(lists) for name, lists in answers.items()}
        self.looked_up: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.looked_up.append(host)
        answers = self.answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as running:
        yield running


def client(policy: NetworkPolicy, names: Names, network: LoopbackOnly) -> httpx.Client:
    backend = GuardedBackend(policy, resolver=names, inner=network)
    return httpx.Client(transport=GuardedTransport(backend), follow_redirects=True, timeout=5)


def refused(call: Any) -> DestinationRefused:
    with pytest.raises(httpx.HTTPError) as failed:
        call()
    refusal = refusal_of(failed.value)
    assert refusal is not None, failed.value
    return refusal


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fd00:ec2::254", "a private network address"),
        ("10.0.0.5", "a private network address"),
        ("192.168.0.1", "a private network address"),
        ("fe80::1", "a link-local address"),
    ],
)
def test_a_name_resolving_to_a_refused_range_is_never_connected_to(
    server: LocalServer, address: str, kind: str
):
    names, network = Names(target_test=[[address]]), LoopbackOnly(server, [])
    with client(PUBLIC_ONLY, names, network) as http:
        refusal = refused(lambda: http.get("http://target.test/json"))
    assert refusal.reason.startswith(f"{address} is {kind}")
    assert network.asked == []
    assert server.requests == []


def test_a_public_address_is_connected_to_by_address_not_by_name(server: LocalServer):
    names, network = Names(public_test=[[PUBLIC]]), LoopbackOnly(server, [PUBLIC])
    with client(PUBLIC_ONLY, names, network) as http:
        answer = http.get("http://public.test/json")
    assert answer.status_code == 200
    assert network.asked == [PUBLIC]
    assert server.last.headers["host"] == "public.test"  # the request still names its host


def test_a_redirect_into_a_refused_range_is_not_followed(server: LocalServer):
    names = Names(public_test=[[PUBLIC]], metadata_test=[["169.254.169.254"]])
    network = LoopbackOnly(server, [PUBLIC])
    with client(PUBLIC_ONLY, names, network) as http:
        refusal = refused(
            lambda: http.get("http://public.test/redirect?to=http://metadata.test/latest/meta-data")
        )
    assert refusal.reason.startswith("169.254.169.254 is a link-local address")
    assert network.asked == [PUBLIC]
    assert [r.path for r in server.requests] == ["/redirect"]


def test_a_name_that_resolves_elsewhere_the_second_time_is_checked_again(server: LocalServer):
    # DNS rebinding: public when first looked up, loopback when looked up again
    names = Names(rebind_test=[[PUBLIC], ["127.0.0.1"]])
    network = LoopbackOnly(server, [PUBLIC])
    with client(PUBLIC_ONLY, names, network) as first:
        assert first.get("http://rebind.test/json").status_code == 200
    with client(PUBLIC_ONLY, names, network) as second:
        refusal = refused(lambda: second.get("http://rebind.test/json"))
    assert refusal.reason.startswith("127.0.0.1 is a loopback address")
    assert network.asked == [PUBLIC]
    assert len(server.requests) == 1


def test_a_name_with_public_and_private_answers_is_connected_to_its_public_one(
    server: LocalServer,
):
    names = Names(mixed_test=[["10.0.0.1", PUBLIC]])
    network = LoopbackOnly(server, [PUBLIC])
    with client(PUBLIC_ONLY, names, network) as http:
        assert http.get("http://mixed.test/json").status_code == 200
    assert network.asked == [PUBLIC]


def test_the_allowlist_opens_a_network_and_a_host_name(server: LocalServer):
    names = Names(intranet_test=[["10.1.2.3"]], wiki_corp=[["172.16.5.5"]])
    network = LoopbackOnly(server, ["10.1.2.3", "172.16.5.5"])
    policy = NetworkPolicy.allowing(["10.0.0.0/8", "wiki.corp"])
    with client(policy, names, network) as http:
        assert http.get("http://intranet.test/json").status_code == 200
        assert http.get("http://wiki.corp/json").status_code == 200
    assert network.asked == ["10.1.2.3", "172.16.5.5"]
