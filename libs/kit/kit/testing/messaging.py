"""Helpers for messaging tests on the real broker: topics, producing, reading, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered
from kit.consumer import Handlers
from kit.kafka import create_topics
from kit.outbox import publish
from kit.testing.events import random_npwp


def taxpayer_event(npwp: str | None = None, name: str = "Wajib Pajak") -> TaxpayerRegistered:
    npwp = npwp or random_npwp()
    return TaxpayerRegistered(taxpayer_id=str(uuid.uuid4()), npwp=npwp, nitku=npwp + "000000", name=name,
                              kind="individual", registered_at=datetime.now(UTC))


async def new_topic(bootstrap: str, partitions: int = 6) -> str:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    await create_topics(bootstrap, [(topic, partitions)])
    return topic


async def write_events(sessions: async_sessionmaker[AsyncSession], topic: str, keys: list[str],
                       per_key: int) -> list[uuid.UUID]:
    """`per_key` events for each key, sequence 1..per_key, committed in a few transactions."""
    ids: list[uuid.UUID] = []
    async with sessions() as session, session.begin():
        for seq in range(1, per_key + 1):
            for key in keys:
                ids.append(await publish(session, taxpayer_event(key), key=key, subject=key, aggregate_type="test",
                                         sequence=seq, topic=topic))
    return ids


async def read_topic(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)  # no group: no join to wait for
    await consumer.start()
    records = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records += batch
    finally:
        await consumer.stop()
    return records


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in items:
            await (await producer.send(topic, key=key, value=value, headers=headers))
    finally:
        await producer.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached within {timeout}s")


async def scalar(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


def make_effect_handlers(consumer: str) -> Handlers:
    """Handlers that insert one `effect` row per application of a TaxpayerRegistered. The table has no unique key on
    purpose: an event applied twice shows as two rows."""
    handlers = Handlers()

    @handlers.on(TaxpayerRegistered)
    async def record(session: AsyncSession, envelope: Envelope, event: TaxpayerRegistered) -> None:
        await session.execute(
            text("INSERT INTO effect (event_id, key, sequence, consumer) VALUES (:id, :key, :seq, :consumer)"),
            {"id": envelope.id, "key": envelope.partition_key, "seq": envelope.sequence, "consumer": consumer},
        )

    return handlers
