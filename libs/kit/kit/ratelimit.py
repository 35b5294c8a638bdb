"""Per-client rate limits for PJAP machine clients. A PJAP's tokens (its own and those acting for a taxpayer that
delegated to it) carry `client_kind: pjap`, `client_id` and `rpm`, its requests per minute, so the request path needs
no lookup to know the rate. `kit.auth.authenticate` holds every such token to it (`client_rate_limit`); a refusal is
429 `rate_limited` with `Retry-After`.

The limit is a GCRA (generic cell rate algorithm: a token bucket of `rpm` requests refilled at `rpm` per minute, kept
as one timestamp). Each client has one row in the service's `client_rate` table holding its theoretical arrival time
`tat`; a request is allowed when moving `tat` on by one interval (60/rpm s) leaves it at most a minute ahead of now,
and one atomic `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING` decides it in PostgreSQL, so every API replica
of the service shares one limit per client. A service holds its clients to it with the start-up step
`shared_client_limits` and the table (`client_rate_table(metadata)` in its models, `create_client_rate_table()` in a
migration). A process without that step counts in its own memory (`TokenBuckets`): the limit is then per process.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from alembic import op
from fastapi import Request
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.app import AppState, state_of
from kit.errors import RateLimited

if TYPE_CHECKING:
    from kit.auth import Principal

LIMITED_CLIENT_KINDS = frozenset({"pjap"})
BURST_S = 60.0  # a client may spend one minute's worth of requests at once


class TokenBuckets:
    """In-process buckets: the fallback of a process without `shared_client_limits` (and identity's token endpoint)."""

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
    _refuse_if_waiting(buckets.take(key, per_minute), per_minute)


def _refuse_if_waiting(wait: float, per_minute: int) -> None:
    if wait > 0:
        raise RateLimited(f"rate limit of {per_minute} requests per minute reached",
                          retry_after=max(1, math.ceil(wait)))


# -- the shared limit in PostgreSQL ----------------------------------------------------------------------------------
def _schema() -> list[Any]:
    return [
        Column("client_id", Text, nullable=False),
        Column("tat", DateTime(timezone=True), nullable=False),  # GCRA's theoretical arrival time
        PrimaryKeyConstraint("client_id", name="client_rate_pkey"),
    ]


def client_rate_table(metadata: MetaData) -> Table:
    """The `client_rate` table in a service's metadata."""
    return Table("client_rate", metadata, *_schema())


def create_client_rate_table() -> None:
    """In a service's Alembic migration (`upgrade()`): the table as `client_rate_table` has it."""
    op.create_table("client_rate", *_schema())


def drop_client_rate_table() -> None:
    op.drop_table("client_rate")


# Allowed: the row's tat moves on by one interval (a new client starts at now + interval). Refused: no row comes back
# from the CTE, and the tat as it was says how long until one interval fits again.
_TAKE = text("""
WITH taken AS (
    INSERT INTO client_rate AS r (client_id, tat) VALUES (:client, now() + make_interval(secs => :interval))
    ON CONFLICT (client_id) DO UPDATE SET tat = greatest(r.tat, now()) + make_interval(secs => :interval)
    WHERE greatest(r.tat, now()) + make_interval(secs => :interval) <= now() + make_interval(secs => :burst)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM taken) AS allowed,
       (SELECT extract(epoch FROM greatest(tat, now()) + make_interval(secs => :interval)
                                  - (now() + make_interval(secs => :burst)))
          FROM client_rate WHERE client_id = :client) AS wait_s
""")


class SharedClientLimits:
    """The GCRA in the service's PostgreSQL: one statement, one short transaction, per request."""

    def __init__(self, engine: AsyncEngine, burst_s: float = BURST_S) -> None:
        self.engine, self.burst_s = engine, burst_s

    async def take(self, key: str, per_minute: int) -> float:
        """0 if allowed, else the seconds to wait."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(_TAKE, {"client": key, "interval": 60.0 / per_minute,
                                              "burst": self.burst_s})).one()
        if row.allowed:
            return 0.0
        return max(float(row.wait_s or 0.0), 0.001)


def shared_client_limits(burst_s: float = BURST_S) -> Any:
    """Start-up step: this process holds PJAP clients to their rate in the service's `client_rate` table."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        state.provide(SharedClientLimits(state.engine, burst_s))
        yield

    return step


async def client_rate_limit(request: Request, principal: Principal) -> None:
    """PJAP clients are held to the rate in their token (across replicas with `shared_client_limits`); people,
    internal services and banks are not limited here."""
    claims = principal.claims
    client_id, rpm = claims.get("client_id"), claims.get("rpm")
    kind = claims.get("client_kind") or (principal.actor or {}).get("client_kind")
    if kind not in LIMITED_CLIENT_KINDS or not client_id or not isinstance(rpm, int) or rpm <= 0:
        return
    state = state_of(request)
    try:
        shared = state.get(SharedClientLimits)
    except LookupError:
        enforce(state.get_or_provide(TokenBuckets, TokenBuckets), str(client_id), rpm)
        return
    _refuse_if_waiting(await shared.take(str(client_id), rpm), rpm)
