"""Ids as text for a bulk import, which computes millions of them: the same values the `uuid` module would give, at
a fraction of the cost (no `uuid.UUID` object per id). The driver takes a UUID column's value as text."""

from __future__ import annotations

import hashlib
import os
import time
import uuid

_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 9562 variant bits 10xx


def uuid5_hex(namespace: uuid.UUID, name: str) -> str:
    """`uuid.uuid5(namespace, name).hex`."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()


def time_ordered_id() -> str:
    """A new UUIDv7 (RFC 9562: Unix milliseconds, then random bits) in its canonical text form. Rows inserted
    together get neighbouring ids, so their primary-key index grows at one end instead of everywhere at once."""
    h = f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
