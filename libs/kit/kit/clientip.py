"""The client's address, for rate limits and the audit log.

It is the TCP peer, unless the peer is one of the proxies configured in `http.trusted_proxies` (default: none).
Then it is the right-most X-Forwarded-For entry that is not itself a trusted proxy: each proxy appends the address it
saw, so everything left of that entry was written by the client and proves nothing.

The process must hand us the real peer: uvicorn rewrites the peer from X-Forwarded-For for loopback peers unless it
runs with `--no-proxy-headers` (devstack and deploy/ do), and the decision is made here, once, from the settings.

    ClientIP = kit.clientip.ClientIP          # Annotated[str, Depends(client_ip)]
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Annotated

from fastapi import Depends, Request

from kit.app import state_of

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_address(value: str) -> Address | None:
    """An address as proxies write them: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client's address given the TCP peer, the X-Forwarded-For header values (in order) and the proxies."""
    if peer is None:
        return UNKNOWN
    current = parse_address(peer)
    if current is None:
        return peer  # not an IP peer (a Unix socket): nothing to believe either
    hops = [entry for value in forwarded_for for entry in value.split(",") if entry.strip()]
    while _trusted(current, proxies) and hops:
        written = parse_address(hops.pop())
        if written is None:
            break  # a trusted proxy passed on something that is not an address: keep the last one we can vouch for
        current = written
    return str(current)


async def client_ip(request: Request) -> str:
    """FastAPI dependency: the calling client's address (see the module docstring)."""
    proxies = state_of(request).settings.http.trusted_proxies
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)


ClientIP = Annotated[str, Depends(client_ip)]
