"""Per-client rate limits for machine clients (PJAP integrators): a token bucket per client id, refilled at the
client's rate (carried in its token as `rpm`, requests per minute, so no lookup is needed on the request path).

Buckets live in the process: with N API replicas a client gets up to N times its rate in the worst case. A shared
limiter (gateway or Redis) replaces this when that matters; the 429 contract stays the same.
"""

from __future__ import annotations

import math
import time

from fastapi import Request

from kit.app import state_of
from kit.auth import CurrentPrincipal, Principal
from kit.errors import RateLimited


class TokenBuckets:
    def __init__(self, max_clients: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._max = max_clients

    def take(self, key: str, per_minute: int) -> float:
        """0 if allowed, else the seconds to wait."""
        rate, now = per_minute / 60.0, time.monotonic()
        tokens, last = self._buckets.get(key, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - last) * rate)
        if tokens >= 1:
            if len(self._buckets) >= self._max and key not in self._buckets:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / rate


def enforce(buckets: TokenBuckets, key: str, per_minute: int) -> None:
    wait = buckets.take(key, per_minute)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise RateLimited(f"rate limit of {per_minute} requests per minute reached", retry_after=retry)


async def client_rate_limit(request: Request, principal: CurrentPrincipal) -> Principal:
    """Dependency: machine clients are held to the rate in their token; people are not limited here."""
    client_id, rpm = principal.claims.get("client_id"), principal.claims.get("rpm")
    if client_id and isinstance(rpm, int) and rpm > 0:
        buckets = state_of(request).get_or_provide(TokenBuckets, TokenBuckets)
        enforce(buckets, str(client_id), rpm)
    return principal
