"""What a hostile or careless client sends, for the services' regression tests: forged cursors, bodies streamed in
chunks (so the test itself holds one chunk, not the whole body), and the peak of the memory a request allocates."""

from __future__ import annotations

import base64
import json
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024

# Characters that change how text is shown without being seen: bidi overrides and isolates, zero-width ones.
BIDI_CONTROLS = ("\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069",
                 "\u200e", "\u200f", "\u061c")
INVISIBLE = ("\u200b", "\u2060", "\ufeff", "\u00ad")


def forged_cursor(created_at: Any, row_id: Any = None) -> str:
    """A cursor this API did not issue: any `created_at` (and id), encoded the way real ones are."""
    raw = json.dumps({"created_at": created_at, "id": str(row_id or uuid.uuid4())}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def streamed(total: int, chunk_size: int = 64 * 1024, fill: bytes = b" ") -> AsyncIterator[bytes]:
    """`total` bytes in chunks, all the same chunk object: sending it costs the test one chunk of memory."""
    chunk = fill * chunk_size
    sent = 0
    while sent < total:
        size = min(chunk_size, total - sent)
        yield chunk if size == chunk_size else chunk[:size]
        sent += size


def raw_json(value: Any) -> bytes:
    """JSON with non-ASCII escaped, so lone surrogates survive the trip (httpx's `json=` cannot encode them)."""
    return json.dumps(value, ensure_ascii=True).encode()


JSON = {"content-type": "application/json"}


@dataclass
class Peak:
    bytes: int = 0


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """The most memory Python held at once inside the block, above what it held on entry (tracemalloc)."""
    peak = Peak()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        yield peak
    finally:
        _, top = tracemalloc.get_traced_memory()
        peak.bytes = top - base
        if started:
            tracemalloc.stop()
