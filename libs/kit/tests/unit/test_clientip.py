"""The client's address: X-Forwarded-For is believed only when the peer is a configured proxy, and then only up to
the first entry no trusted proxy wrote."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from kit.clientip import client_address, parse_address
from kit.settings import HttpSettings

PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


@pytest.mark.parametrize(("peer", "forwarded", "proxies", "expected"), [
    # no proxy configured (the default): the header is the client's own words
    ("127.0.0.1", ["203.0.113.9"], [], "127.0.0.1"),
    ("198.51.100.4", ["203.0.113.9"], PROXIES, "198.51.100.4"),  # a peer that is not a proxy
    # a trusted proxy: the address it saw; anything the client put left of it is ignored
    ("10.1.2.3", ["203.0.113.9"], PROXIES, "203.0.113.9"),
    ("10.1.2.3", ["1.1.1.1, 203.0.113.9"], PROXIES, "203.0.113.9"),
    ("10.1.2.3", ["1.1.1.1", "203.0.113.9"], PROXIES, "203.0.113.9"),  # several header lines read as one list
    ("10.1.2.3", ["1.1.1.1, 203.0.113.9, 10.9.9.9"], PROXIES, "203.0.113.9"),  # a chain of trusted proxies
    ("10.1.2.3", ["10.8.8.8, 10.9.9.9"], PROXIES, "10.8.8.8"),  # only proxies: the farthest one
    ("10.1.2.3", [], PROXIES, "10.1.2.3"),  # a proxy that added nothing
    ("10.1.2.3", ["1.1.1.1, not-an-address"], PROXIES, "10.1.2.3"),  # garbage where the proxy writes: the proxy
    ("10.1.2.3", ["203.0.113.9:5123"], PROXIES, "203.0.113.9"),
    ("10.1.2.3", ["[2001:db8::7]:443"], PROXIES, "2001:db8::7"),
    ("fd00::1", ["2001:db8::7"], PROXIES, "2001:db8::7"),
    ("::ffff:10.1.2.3", ["203.0.113.9"], PROXIES, "203.0.113.9"),  # IPv4-mapped peer
    ("10.1.2.3", ["::ffff:203.0.113.9"], PROXIES, "203.0.113.9"),
    (None, ["203.0.113.9"], PROXIES, "unknown"),
])
def test_the_client_address(peer: str | None, forwarded: list[str], proxies: list, expected: str) -> None:  # type: ignore[type-arg]
    assert client_address(peer, forwarded, proxies) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("203.0.113.9", "203.0.113.9"), (" 203.0.113.9 ", "203.0.113.9"), ("2001:DB8::7", "2001:db8::7"),
    ("unknown", None), ("", None), ("203.0.113.009", None), ("_hidden", None),
])
def test_addresses_as_proxies_write_them(value: str, expected: str | None) -> None:
    parsed = parse_address(value)
    assert (str(parsed) if parsed else None) == expected


def test_trusted_proxies_come_from_the_settings_and_default_to_none() -> None:
    assert HttpSettings().trusted_proxies == []
    assert HttpSettings(trusted_proxies=["10.0.0.0/8", "fd00::/8"]).trusted_proxies == PROXIES  # type: ignore[list-item]
    with pytest.raises(ValueError):
        HttpSettings(trusted_proxies=["not a network"])  # type: ignore[list-item]
