"""An HTTP transport that connects only where a NetworkPolicy allows, checked on the address.

Each connection resolves its host once and opens to one of the addresses it resolved to that
the policy allows, never to the name: a redirect to another host is a new connection, checked
again, and a name that resolves elsewhere the second time (DNS rebinding) cannot pass, since
what was checked is what is connected to. TLS still verifies the certificate against the
host name the request named.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from lambdas.runtime.network import NetworkPolicy

# A host name and port -> the addresses it resolves to, in order (socket.getaddrinfo's).
Resolver = Callable[[str, int], list[str]]


class DestinationRefused(httpcore.ConnectError):
    """A connection the policy refuses: `reason` says which address and why."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.reason = reason


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to for a TCP connection, each once, in order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # socket.gaierror: the name does not resolve
        raise httpcore.ConnectError(str(error)) from error
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, opening TCP connections to allowed addresses only."""

    def __init__(
        self,
        policy: NetworkPolicy,
        resolver: Resolver = resolve,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolver(host, port)
        refusals = [self.policy.refusal(host, address) for address in addresses]
        allowed = [a for a, refused in zip(addresses, refusals, strict=True) if refused is None]
        if not allowed:
            reason = next((r for r in refusals if r is not None), f"{host} has no address")
            raise DestinationRefused(host, reason)
        return self.inner.connect_tcp(allowed[0], port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise DestinationRefused(path, "a Unix socket is not a network destination")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport (no proxy, no environment settings) over a GuardedBackend."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx's transport takes no network backend: its pool is made again with one, as
        # httpx's constructor makes it for a transport without a proxy (a fetch sends one
        # request at a time: httpcore's default limits are plenty).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=backend
        )


def refusal_of(error: BaseException) -> DestinationRefused | None:
    """The refusal beneath an httpx error, if a refused destination caused it."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DestinationRefused):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None
