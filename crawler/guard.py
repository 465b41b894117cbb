"""The private-address guard.

The check runs on the address the socket actually connected to, inside the
connection pool's network backend, so it covers redirects and DNS names that
resolve (or re-resolve) to a private address.  No request bytes are sent to a
refused peer: the connection is closed right after the TCP handshake.
"""

from __future__ import annotations

import ipaddress
import typing

import httpcore
from httpcore._backends.auto import AutoBackend  # httpcore's default backend

SocketOption = typing.Any


class BlockedAddressError(Exception):
    """Raised when a connection reaches a private/loopback/reserved address."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(
            f"refused to talk to {host} at {address}: private, loopback, link-local, multicast "
            f"or reserved address (set allow_private_hosts = true in the sources file to allow)"
        )
        self.host = host
        self.address = address


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that refuses non-public peers.

    ``allowed`` decides per peer address (default: :func:`is_public_address`);
    tests pass a stricter or looser policy to exercise the guard on loopback.
    """

    def __init__(self, allowed: typing.Callable[[str], bool] = is_public_address) -> None:
        self._inner = AutoBackend()
        self._allowed = allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        sock = stream.get_extra_info("socket")
        peer = sock.getpeername()[0] if sock is not None else host
        if not self._allowed(peer):
            await stream.aclose()
            raise BlockedAddressError(host, peer)
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, "unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
