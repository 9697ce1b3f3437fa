"""Where a workflow's requests may go: every non-public range is refused and named, and an
allowlist opens networks, addresses or host names (lambdas.runtime.network)."""

from __future__ import annotations

import pytest

from lambdas.runtime.network import EVERYWHERE_ALLOWED, PUBLIC_ONLY, NetworkPolicy, entry_fault


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.53.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("169.254.169.254", "a link-local address (where cloud metadata services answer)"),
        ("fe80::1", "a link-local address"),
        ("10.1.2.3", "a private network address"),
        ("172.16.0.1", "a private network address"),
        ("192.168.1.1", "a private network address"),
        ("fd00:ec2::254", "a private network address"),  # the EC2 metadata service over IPv6
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("198.18.0.1", "a private network address"),  # benchmarking
    ],
)
def test_every_non_public_address_is_refused_by_default_naming_its_kind(address: str, kind: str):
    refusal = PUBLIC_ONLY.refusal("somewhere.example", address)
    assert refusal is not None
    assert refusal.startswith(f"{address} is {kind}")
    assert "--allow-network" in refusal
    assert EVERYWHERE_ALLOWED.refusal("somewhere.example", address) is None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str):
    assert PUBLIC_ONLY.refusal("somewhere.example", address) is None


def test_an_allowlist_opens_its_networks_addresses_and_host_names_only():
    policy = NetworkPolicy.allowing(["10.0.0.0/8", "192.168.1.7", "Intranet.Example.", "fd00::/8"])
    assert policy.refusal("x", "10.200.3.4") is None
    assert policy.refusal("x", "192.168.1.7") is None
    assert policy.refusal("x", "192.168.1.8") is not None
    assert policy.refusal("intranet.example", "172.16.0.1") is None  # by host name
    assert policy.refusal("other.example", "172.16.0.1") is not None
    assert policy.refusal("x", "fd12::1") is None
    assert policy.refusal("x", "127.0.0.1") is not None
    assert NetworkPolicy.allowing(["*"]).refusal("x", "169.254.169.254") is None
    assert NetworkPolicy.allowing(["", " "]) == PUBLIC_ONLY


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "http://10.0.0.1", "host name", "a..b", "1.2.3"])
def test_an_allowlist_entry_that_is_no_network_address_or_host_is_refused(entry: str):
    assert entry_fault(entry) == f"'{entry}' is not a network (CIDR), an address or a host name"
    with pytest.raises(ValueError, match="is not a network"):
        NetworkPolicy.allowing([entry])


@pytest.mark.parametrize("entry", ["10.0.0.0/8", "::1", "localhost", "api.internal-1.example", "*"])
def test_networks_addresses_and_host_names_are_allowlist_entries(entry: str):
    assert entry_fault(entry) is None
