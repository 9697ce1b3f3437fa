"""Where a workflow's requests may go: public addresses, and what a deployment allows besides.

A `fetch` runs inside the deployment: from there, 127.0.0.1 is the Lambda runtime API (or the
user's own machine under `serve`), 169.254.169.254 the cloud's metadata service, and private
networks whatever the account reaches. A deployment with several organizations refuses any
destination that is not a public address unless its allowlist names the network or the host;
`stepthunk run` on a laptop (one user, their own machine) allows every destination.

The check is made on the address a connection is actually opened to (after DNS, on every
redirect hop): lambdas.nodes.guard connects only to an address this policy allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# An allowlist entry that opens every destination.
EVERYWHERE = "*"
# Where a refused request says the allowlist is set.
HOW_TO_ALLOW = "allow it with `serve --allow-network` or the stack's allowNetworks"


@dataclass(frozen=True)
class NetworkPolicy:
    """The destinations besides public addresses that requests may reach: `networks`, `hosts`
    (by name, in lower case), or all of them (`everywhere`)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    everywhere: bool = False

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> NetworkPolicy:
        """The policy of an allowlist: CIDR networks or addresses, host names, or `*`.
        Raises ValueError naming an entry that is none of these."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        everywhere = False
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            if entry == EVERYWHERE:
                everywhere = True
            elif (fault := entry_fault(entry)) is not None:
                raise ValueError(fault)
            elif _is_network(entry):
                networks.append(ipaddress.ip_network(entry, strict=False))
            else:
                hosts.add(entry.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts), everywhere)

    def refusal(self, host: str, address: str) -> str | None:
        """Why a connection to `address` (which `host` resolved to) is refused; None when
        it is allowed."""
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        kind = non_public(ip)
        if kind is None or self.everywhere or host.lower().rstrip(".") in self.hosts:
            return None
        if any(ip in network for network in self.networks if network.version == ip.version):
            return None
        return f"{address} is {kind}, which workflows may not reach here ({HOW_TO_ALLOW})"


# What `stepthunk run` allows: the user's own machine and networks.
EVERYWHERE_ALLOWED = NetworkPolicy(everywhere=True)
# What a deployment allows with an empty allowlist.
PUBLIC_ONLY = NetworkPolicy()


def non_public(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is, named for the error; None for a public one."""
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "not a public address"
    return None


def entry_fault(entry: str) -> str | None:
    """What is wrong with an allowlist entry (a CIDR network, an address, a host name or
    `*`), or None."""
    if entry == EVERYWHERE or _is_network(entry):
        return None
    labels = entry.rstrip(".").split(".")
    if (
        0 < len(entry) <= 253
        and all(0 < len(label) <= 63 for label in labels)
        and all(label.replace("-", "").isalnum() and label.isascii() for label in labels)
        and not labels[-1].isdigit()
    ):
        return None
    return f"'{entry}' is not a network (CIDR), an address or a host name"


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True
