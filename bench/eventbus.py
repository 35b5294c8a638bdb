"""The event-bus measurements: raw aiokafka rates, OutboxRelay and EventConsumer throughput, end-to-end latency."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from devstack.broker import create_topics
from kit.consumer import EventConsumer
from kit.db import create_engine, create_sessionmaker
from kit.kafka import make_consumer, make_producer
from kit.metrics import CONSUMED
from kit.outbox import publish
from kit.relay import OutboxRelay
from kit.settings import BaseServiceSettings, ConsumerSettings, DatabaseSettings, KafkaSettings, RelaySettings, \
    service_config
from kit.testing.events import encode, envelope_for, record_headers
from kit.testing.messaging import make_effect_handlers, taxpayer_event

from bench.report import Report, percentile

log = logging.getLogger("bench")
ROOT = Path(__file__).resolve().parent.parent

RELAY_TARGET = 5_000.0  # events/s
CONSUMER_TARGET = 2_000.0  # events/s
LATENCY_P99_TARGET = 100.0  # ms at 1,000 events/s


class BenchSettings(BaseServiceSettings):
    model_config = service_config("LONTAR_BENCH_")
    service_name: str = "bench"


@dataclass(frozen=True)
class Config:
    events: int = 20_000  # N for the throughput measurements
    keys: int = 1_000
    outbox_txn: int = 1_000  # events per transaction when filling the outbox
    partitions: int = 12
    idle_events: int = 200
    idle_interval_s: float = 0.020
    load_rate: float = 1_000.0
    load_seconds: float = 10.0
    writer_tasks: int = 16
    timeout_s: float = 90.0  # per measurement: a stuck phase fails instead of hanging


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


class CpuMeter:
    """CPU used by this Python process (% of one core) and by the whole machine (% of all cores) over a span."""

    def __init__(self) -> None:
        self._proc = self._wall = 0.0
        self._machine: tuple[int, int] = (0, 0)

    def start(self) -> CpuMeter:
        t = os.times()
        self._proc, self._wall, self._machine = t.user + t.system, perf_counter(), _machine_ticks()
        return self

    def stop(self) -> tuple[float, float]:
        t = os.times()
        wall = perf_counter() - self._wall
        busy0, total0 = self._machine
        busy1, total1 = _machine_ticks()
        machine = 100.0 * (busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan")
        return 100.0 * (t.user + t.system - self._proc) / wall, machine


def _machine_ticks() -> tuple[int, int]:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


class EventBusBench:
    def __init__(self, *, database_url: str, bootstrap: str, report: Report, config: Config) -> None:
        self.url = database_url
        self.bootstrap = bootstrap
        self.report = report
        self.config = config
        self.settings = BenchSettings(
            database=DatabaseSettings(dsn=database_url),
            kafka=KafkaSettings(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5),
            relay=RelaySettings(batch_size=1000),
            consumer=ConsumerSettings(max_batch=500),
        )
        self.keys = [f"{3100000000000000 + i:016d}" for i in range(config.keys)]
        self.records: list[Record] = []
        self.rates: dict[str, float] = {}
        self.dlq_topic = ""

    # -- plumbing ---------------------------------------------------------------------------------------------------

    async def topic(self, purpose: str, partitions: int | None = None) -> str:
        name = f"bench.{purpose}.{uuid.uuid4().hex[:8]}"
        await create_topics(self.bootstrap, [(name, partitions or self.config.partitions)])
        return name

    async def scalar(self, engine: AsyncEngine, sql: str, **params: object) -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())

    async def until(self, done: Callable[[], bool], what: str, *, watch: list[asyncio.Task[None]] = (),
                    every: float = 0.002) -> float:
        """Wait for `done()` (checked every `every` s); returns the perf_counter() at which it was seen true."""
        deadline = perf_counter() + self.config.timeout_s
        while not done():
            for task in watch:
                if task.done():
                    raise RuntimeError(f"{task.get_name()} ended while waiting for {what}") from task.exception()
            if perf_counter() > deadline:
                raise TimeoutError(f"{what}: not reached within {self.config.timeout_s:.0f}s")
            await asyncio.sleep(every)
        return perf_counter()

    async def guarded(self, name: str, measurement: Callable[[], Awaitable[None]]) -> None:
        """A failed measurement is reported as n/a with its error; the others still run."""
        try:
            await measurement()
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.report.add(name, None, "", note=f"ERROR {type(exc).__name__}: {str(exc)[:120]}")

    # -- the run ----------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        n = self.config.events
        progress(f"building {n:,} envelopes")
        for i in range(n):
            key = self.keys[i % len(self.keys)]
            envelope = envelope_for(taxpayer_event(key), key=key, sequence=i // len(self.keys) + 1)
            self.records.append((key.encode(), encode(envelope), record_headers(envelope)))
        value_size = sum(len(v) for _, v, _ in self.records) / n
        header_size = sum(len(k) + len(v) for _, _, h in self.records for k, v in h) / n
        self.report.meta["record_bytes"] = {"value": value_size, "headers": header_size}
        self.dlq_topic = await self.topic("dlq", 3)

        await self.guarded("1. raw producer", self.raw_producer_and_consumer)
        await self.guarded("3. relay", self.relay)
        await self.guarded("4. consumer", self.consumer)
        await self.guarded("5a. latency idle", lambda: self.latency("idle"))
        await self.guarded("5b. latency loaded", lambda: self.latency("loaded"))

    # -- 1 and 2: aiokafka alone ------------------------------------------------------------------------------------

    async def produce(self, topic: str, records: list[Record]) -> float:
        """Send every record, await every acknowledgement; seconds taken (producer started and warm beforehand)."""
        producer = make_producer(self.settings.kafka, "bench.raw")
        await producer.start()
        try:
            await producer.partitions_for(topic)
            t0 = perf_counter()
            acks = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in records]
            await asyncio.gather(*acks)
            return perf_counter() - t0
        finally:
            await producer.stop()

    async def raw_producer_and_consumer(self) -> None:
        n = self.config.events
        topic = await self.topic("raw")
        progress(f"1. raw aiokafka producer: {n:,} records")
        cpu = CpuMeter().start()
        elapsed = await self.produce(topic, self.records)
        proc_cpu, machine_cpu = cpu.stop()
        self.rates["producer"] = n / elapsed
        self.report.add("1. raw aiokafka producer", n / elapsed, "events/s")
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")

        progress(f"2. raw aiokafka consumer: {n:,} records, fresh group")
        consumer = make_consumer(self.settings.kafka, "bench.raw", group_id=f"bench.raw.{uuid.uuid4().hex[:8]}",
                                 max_records=self.settings.consumer.max_batch)
        got, first, batches = 0, None, 0
        cpu = CpuMeter().start()
        t0 = perf_counter()
        await consumer.start()
        try:
            consumer.subscribe([topic])
            deadline = t0 + self.config.timeout_s
            while got < n:
                if perf_counter() > deadline:
                    raise TimeoutError(f"raw consumer read {got} of {n}")
                batch = await consumer.getmany(timeout_ms=200, max_records=self.settings.consumer.max_batch)
                if not batch:
                    continue
                first = first or perf_counter()
                got += sum(len(records) for records in batch.values())
                await consumer.commit()
                batches += 1
            t1 = perf_counter()
        finally:
            await consumer.stop()
        proc_cpu, machine_cpu = cpu.stop()
        self.rates["consumer"] = n / (t1 - t0)
        self.report.add("2. raw aiokafka consumer (from start)", n / (t1 - t0), "events/s")
        self.report.add("start to first batch (group join)", (first - t0) * 1000, "ms", detail=True)
        self.report.add("from first batch", n / (t1 - first), "events/s", detail=True,
                        note=f"{batches} getmany batches, one commit each")
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")

    # -- 3: the relay ----------------------------------------------------------------------------------------------

    async def relay(self) -> None:
        n, per_txn = self.config.events, self.config.outbox_txn
        topic = await self.topic("relay")
        engine = create_engine(self.settings.database, application_name="bench.api", pool_size=2)
        try:
            await self._truncate(engine)
            progress(f"3. relay: writing {n:,} outbox rows with publish(), {per_txn:,} per transaction")
            sessions = create_sessionmaker(engine)
            t0 = perf_counter()
            for start in range(0, n, per_txn):
                async with sessions() as session, session.begin():
                    for i in range(start, min(start + per_txn, n)):
                        key = self.keys[i % len(self.keys)]
                        await publish(session, taxpayer_event(key), key=key, subject=key, aggregate_type="taxpayer",
                                      sequence=i // len(self.keys) + 1, topic=topic)
            write_s = perf_counter() - t0

            progress("3. relay: OutboxRelay publishing the backlog")
            relay = OutboxRelay(self.settings, lambda: make_producer(self.settings.kafka, "bench.relay"))
            stop = asyncio.Event()
            leader_at: list[float] = []
            cpu = CpuMeter().start()
            t0 = perf_counter()
            task = asyncio.create_task(relay.run(stop), name="relay")
            try:
                def published() -> bool:
                    if not leader_at and relay.is_leader:
                        leader_at.append(perf_counter())
                    return relay.published >= n

                t1 = await self.until(published, "relay published every row", watch=[task])
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)
            proc_cpu, machine_cpu = cpu.stop()
            pending = await self.scalar(engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        finally:
            await engine.dispose()
        rate = n / (t1 - t0)
        check = "" if pending == 0 else f"({pending} rows still unpublished!)"
        self.report.add("3. relay throughput (OutboxRelay, from start)", rate, "events/s", target=(">=", RELAY_TARGET),
                        note=check)
        if "producer" in self.rates:
            self.report.add("ratio to raw producer", rate / self.rates["producer"], "x", detail=True)
        if leader_at:
            self.report.add("start to leadership", (leader_at[0] - t0) * 1000, "ms", detail=True)
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")
        self.report.add("outbox fill with publish() (not timed as relay)", n / write_s, "events/s", detail=True,
                        note=f"{per_txn:,} per transaction")

    # -- 4: the consumer with the inbox ------------------------------------------------------------------------------

    def event_consumer(self, group: str, topic: str, sessions: async_sessionmaker[AsyncSession],
                       dlq: AIOKafkaProducer) -> EventConsumer:
        """Wired as kit.worker wires it."""
        return EventConsumer(
            group=group, topics=[topic], handlers=make_effect_handlers(group), sessions=sessions,
            consumer_factory=lambda g: make_consumer(self.settings.kafka, g, group_id=g,
                                                     max_records=self.settings.consumer.max_batch),
            dlq_producer=dlq, dlq_topic=self.dlq_topic, settings=self.settings.consumer,
        )

    async def consumer(self) -> None:
        n = self.config.events
        topic = await self.topic("consumer")
        progress(f"4. consumer: producing {n:,} envelopes")
        await self.produce(topic, self.records)
        progress("4. consumer: EventConsumer applying them (inbox + effect row per event)")
        group = f"bench.consumer.{uuid.uuid4().hex[:8]}"
        applied = CONSUMED.labels(group, "applied")
        engine = create_engine(self.settings.database, application_name="bench.worker")
        dlq = make_producer(self.settings.kafka, "bench.dlq")
        await dlq.start()
        try:
            consumer = self.event_consumer(group, topic, create_sessionmaker(engine), dlq)
            stop = asyncio.Event()
            first: list[float] = []
            cpu = CpuMeter().start()
            t0 = perf_counter()
            task = asyncio.create_task(consumer.run(stop), name="consumer")
            try:
                def all_applied() -> bool:
                    count = applied._value.get()
                    if not first and count > 0:
                        first.append(perf_counter())
                    return count >= n

                t1 = await self.until(all_applied, "consumer applied every event", watch=[task])
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)
            proc_cpu, machine_cpu = cpu.stop()
            rows = await self.scalar(engine, "SELECT count(*) FROM effect WHERE consumer = :c", c=group)
            distinct = await self.scalar(engine, "SELECT count(DISTINCT event_id) FROM effect WHERE consumer = :c",
                                         c=group)
        finally:
            await dlq.stop()
            await engine.dispose()
        rate = n / (t1 - t0)
        check = "" if rows == distinct == n else f"({rows} effect rows, {distinct} distinct, expected {n}!)"
        self.report.add("4. consumer throughput (EventConsumer, from start)", rate, "events/s",
                        target=(">=", CONSUMER_TARGET), note=check)
        if "consumer" in self.rates:
            self.report.add("ratio to raw consumer", rate / self.rates["consumer"], "x", detail=True)
        if first:
            self.report.add("start to first applied run", (first[0] - t0) * 1000, "ms", detail=True)
            self.report.add("from first applied run", n / (t1 - first[0]), "events/s", detail=True)
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")

    # -- 5: end-to-end latency ------------------------------------------------------------------------------------

    async def latency(self, case: str) -> None:
        c = self.config
        if case == "idle":
            rate, count, tasks = 1 / c.idle_interval_s, c.idle_events, 1
            title = f"5a. e2e latency, idle ({count} events, one every {c.idle_interval_s * 1000:.0f} ms)"
        else:
            rate, count, tasks = c.load_rate, int(c.load_rate * c.load_seconds), c.writer_tasks
            title = f"5b. e2e latency, loaded ({c.load_rate:,.0f}/s for {c.load_seconds:.0f} s, {count:,} events)"
        topic = await self.topic(f"latency-{case}")
        group = f"bench.latency.{uuid.uuid4().hex[:8]}"
        applied = CONSUMED.labels(group, "applied")
        engine = create_engine(self.settings.database, application_name="bench.worker")
        dlq = make_producer(self.settings.kafka, "bench.dlq")
        await dlq.start()
        stop = asyncio.Event()
        workers: list[asyncio.Task[None]] = []
        writer: asyncio.subprocess.Process | None = None
        try:
            await self._truncate(engine)
            relay = OutboxRelay(self.settings, lambda: make_producer(self.settings.kafka, "bench.relay"))
            consumer = self.event_consumer(group, topic, create_sessionmaker(engine), dlq)
            workers = [asyncio.create_task(relay.run(stop), name="relay"),
                       asyncio.create_task(consumer.run(stop), name="consumer")]
            progress(f"5{'a' if case == 'idle' else 'b'}. {case}: relay and consumer starting")
            await self.until(lambda: relay.is_leader and consumer.assigned, "relay leader and consumer assigned",
                             watch=workers, every=0.02)
            await asyncio.sleep(0.5)  # the consumer's first fetch positions settle
            progress(f"5{'a' if case == 'idle' else 'b'}. {case}: writer process committing {count:,} events "
                     f"at {rate:,.0f}/s over {tasks} task(s)")
            config = {"url": self.url, "topic": topic, "rate": rate, "count": count, "tasks": tasks,
                      "keys": self.keys}
            cpu = CpuMeter().start()
            writer = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.writer", json.dumps(config),
                                                          cwd=ROOT, stdout=asyncio.subprocess.PIPE)
            out, _ = await asyncio.wait_for(writer.communicate(), count / rate + c.timeout_s)
            if writer.returncode != 0:
                raise RuntimeError(f"writer process exited with {writer.returncode}")
            written = json.loads(out)
            await self.until(lambda: applied._value.get() >= count, "every event applied", watch=workers,
                             every=0.01)
            proc_cpu, machine_cpu = cpu.stop()
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT e.event_id::text, extract(epoch FROM e.applied_at)::float8,"
                    " extract(epoch FROM o.published_at)::float8"
                    " FROM effect e JOIN outbox o ON o.id = e.event_id WHERE e.consumer = :c"), {"c": group})).all()
        finally:
            if writer is not None and writer.returncode is None:
                writer.kill()
                await writer.wait()
            stop.set()
            if workers:
                await asyncio.wait(workers, timeout=20)
            await dlq.stop()
            await engine.dispose()

        committed = dict(written["commits"])
        effect_at = {event_id: (applied_at, published_at) for event_id, applied_at, published_at in rows}
        missing = len(set(committed) - set(effect_at))
        e2e = [(effect_at[i][0] - t) * 1000 for i, t in committed.items() if i in effect_at]
        relay_leg = [(effect_at[i][1] - t) * 1000 for i, t in committed.items() if i in effect_at]
        times = sorted(committed.values())
        achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
        check = f"({missing} events never applied!)" if missing else ""
        if len(rows) != len(committed):
            check += f" ({len(rows)} effect rows for {len(committed)} events)"

        r = self.report
        r.add(title, None if not e2e else percentile(e2e, 99), "ms",
              target=(("<=", LATENCY_P99_TARGET) if case == "loaded" else None), note=("p99 " + check).strip())
        r.add("p50", percentile(e2e, 50), "ms", detail=True)
        r.add("max", max(e2e), "ms", detail=True)
        r.add("achieved write rate", achieved, "events/s", detail=True,
              note=f"target rate {rate:,.0f}/s; writer start lag p99 "
                   f"{percentile(written['behind_s'], 99) * 1000:.1f} ms")
        r.add("writer transaction (begin..commit) p50 / p99", percentile(written["txn_s"], 50) * 1000, "ms",
              detail=True, note=f"p99 {percentile(written['txn_s'], 99) * 1000:.1f} ms")
        r.add("relay leg (commit -> published_at) p50 / p99", percentile(relay_leg, 50), "ms", detail=True,
              note=f"p99 {percentile(relay_leg, 99):.1f} ms")
        r.add("worker process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
              note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")

    async def _truncate(self, engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE outbox, inbox, effect"))
