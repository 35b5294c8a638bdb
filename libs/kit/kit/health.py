"""Readiness checks: the database and the broker, each with a short timeout, reported by name."""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiokafka import AIOKafkaClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.kafka import client_options
from kit.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PENDING
from kit.settings import KafkaSettings

CHECK_TIMEOUT_S = 2.0


async def check_database(engine: AsyncEngine) -> None:
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


class BrokerProbe:
    """Asks the broker for cluster metadata; reconnects after a failure. Results are cached for a second."""

    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self.settings = settings
        self.client_id = client_id
        self._client: AIOKafkaClient | None = None
        self._last: tuple[float, BaseException | None] = (0.0, None)
        self._lock = asyncio.Lock()

    async def check(self) -> None:
        async with self._lock:
            at, error = self._last
            if time.monotonic() - at > 1.0:
                error = await self._probe()
                self._last = (time.monotonic(), error)
        if error is not None:
            raise error

    async def _probe(self) -> BaseException | None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                if self._client is None:
                    options = client_options(self.settings, f"{self.client_id}.probe")
                    options["request_timeout_ms"] = int(CHECK_TIMEOUT_S * 1000)
                    self._client = AIOKafkaClient(**options)
                    await self._client.bootstrap()
                metadata = await self._client.fetch_all_metadata()
                if not metadata.brokers():
                    raise ConnectionError("broker returned no brokers")
            return None
        except BaseException as exc:  # noqa: BLE001  (reported, never raised here)
            await self.close()
            return exc if isinstance(exc, Exception) else ConnectionError(repr(exc))

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()


async def refresh_outbox_gauges(engine: AsyncEngine, service: str) -> None:
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                " FROM outbox WHERE published_at IS NULL"
            ))).one()
    OUTBOX_PENDING.labels(service).set(row[0])
    OUTBOX_OLDEST_AGE.labels(service).set(float(row[1]))
