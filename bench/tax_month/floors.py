"""Floors measured in the same run, on the same PostgreSQL server and broker the stack uses, so the month's figures
can be read as ratios on a shared machine: single-row INSERT transactions/s (one row, one durable commit) at the
concurrency the deadline phase uses, and the raw aiokafka producer (every acknowledgement awaited) with kit's
producer settings."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg

from bench.tax_month.stack import RunningStack
from kit.kafka import create_topics, make_producer
from kit.settings import KafkaSettings

PAYLOAD = os.urandom(600).hex().encode()  # 1.2 kB, about an InvoiceSigned envelope


async def insert_rate(stack: RunningStack, *, total: int = 3000, concurrency: int = 16) -> float:
    """Single-row INSERT transactions per second into a scratch database of the stack's server."""
    name = f"bench_floor_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(stack.server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = stack.server_dsn.rpartition("/")[0] + f"/{name}"
        pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
        try:
            await pool.execute("CREATE TABLE floor (id uuid PRIMARY KEY, npwp text, amount numeric(18, 2), "
                               "created_at timestamptz)")
            left = total

            async def worker() -> None:
                nonlocal left
                async with pool.acquire() as conn:
                    while left > 0:
                        left -= 1
                        await conn.execute("INSERT INTO floor VALUES ($1, '0013121660091000', 100000, now())",
                                           uuid.uuid4())

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return total / (time.perf_counter() - started)
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def producer_rate(stack: RunningStack, *, total: int = 20_000) -> float:
    """Records/s sent to a fresh 12-partition topic, keyed over 1,000 keys, every acknowledgement awaited."""
    topic = f"bench.floor.{uuid.uuid4().hex[:8]}"
    await create_topics(stack.bootstrap, [(topic, 12)])
    producer = make_producer(KafkaSettings(bootstrap_servers=stack.bootstrap, enable_idempotence=False),
                             "bench.tax_month.floor")
    await producer.start()
    try:
        await producer.partitions_for(topic)
        started = time.perf_counter()
        acks = [await producer.send(topic, value=PAYLOAD, key=f"{i % 1000:016d}".encode()) for i in range(total)]
        await asyncio.gather(*acks)
        return total / (time.perf_counter() - started)
    finally:
        await producer.stop()
