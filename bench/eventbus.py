"""The event-bus measurements: raw aiokafka rates, OutboxRelay and EventConsumer throughput, end-to-end latency."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.machine import CpuMeter
from bench.report import Report, percentile
from kit.app import freeze_startup_heap
from kit.consumer import EventConsumer
from kit.db import create_engine, create_sessionmaker
from kit.kafka import create_topics, make_consumer, make_producer
from kit.metrics import CONSUMED
from kit.outbox import publish
from kit.relay import OutboxRelay
from kit.settings import (
    BaseServiceSettings,
    ConsumerSettings,
    DatabaseSettings,
    KafkaSettings,
    RelaySettings,
    service_config,
)
from kit.testing.events import encode, envelope_for, record_headers
from kit.testing.messaging import make_effect_handlers, taxpayer_event

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
    writer_processes: int = 2  # loaded case; the idle case uses one process with one task
    writer_tasks: int = 8  # per writer process
    probe_events: int = 100  # raw produce -> consume latency probe, one every idle_interval_s
    timeout_s: float = 90.0  # per measurement: a stuck phase fails instead of hanging


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


class TxnStats:
    """Database transactions on an engine, from SQLAlchemy's public events: how many, how long (BEGIN until the
    connection is back in the pool, so COMMIT included), and statements executed. Measures the consumer's
    transactions without touching kit.consumer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.seconds = 0.0
        self.statements = 0
        self._open: dict[int, float] = {}
        sync = engine.sync_engine
        event.listen(sync, "begin", lambda conn: self._open.__setitem__(id(conn.connection.dbapi_connection),
                                                                          perf_counter()))
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync.pool, "checkin", self._checkin)

    def reset(self) -> None:
        self.count, self.seconds, self.statements = 0, 0.0, 0

    def _statement(self, *_: object) -> None:
        self.statements += 1

    def _checkin(self, dbapi_connection: object, _record: object) -> None:
        began = self._open.pop(id(dbapi_connection), None)
        if began is not None:
            self.count += 1
            self.seconds += perf_counter() - began

    def snapshot(self) -> tuple[int, float, int]:
        return self.count, self.seconds, self.statements

    @staticmethod
    def row(report: Report, events: int, snapshot: tuple[int, float, int]) -> None:
        count, seconds, statements = snapshot
        if not count or not events:
            return
        report.add("consumer: time in transactions per event", 1000 * seconds / events, "ms", detail=True,
                   note=f"{count:,} transactions, {events / count:.1f} events and {1000 * seconds / count:.1f} ms "
                        f"each, {statements / events:.1f} statements per event")


class EventBusBench:
    def __init__(self, *, database_url: str, bootstrap: str, report: Report, config: Config,
                 broker_pid: int | None = None) -> None:
        self.broker_pid = broker_pid
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
        self.report.meta["settings"] = {
            "kafka": self.settings.kafka.model_dump(exclude={"bootstrap_servers", "sasl_password"}),
            "relay": self.settings.relay.model_dump(), "consumer": self.settings.consumer.model_dump()}
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

    async def guarded(self, name: str, measurement: Callable[[], Awaitable[None]], *, unit: str = "",
                      target: tuple[str, float] | None = None) -> None:
        """A failed measurement is reported as n/a (a FAIL where it has a target) with its error; the rest still run."""
        try:
            await measurement()
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.report.add(name, None, unit, target=target, note=f"ERROR {type(exc).__name__}: {str(exc)[:120]}")

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

        await self.guarded("1./2. raw aiokafka", self.raw_producer_and_consumer)
        await self.guarded("3. relay throughput", self.relay, unit="events/s", target=(">=", RELAY_TARGET))
        await self.guarded("4. consumer throughput", self.consumer, unit="events/s", target=(">=", CONSUMER_TARGET))
        await self.guarded("5a. e2e latency, idle", lambda: self.latency("idle"))
        await self.guarded("5b. e2e latency, loaded", lambda: self.latency("loaded"), unit="ms",
                           target=("<=", LATENCY_P99_TARGET))

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
        got, first, batches = 0, 0.0, 0
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
            proc_cpu, machine_cpu = cpu.stop()
            progress(f"2. raw produce -> consume latency: {self.config.probe_events} records, one every "
                     f"{self.config.idle_interval_s * 1000:.0f} ms")
            probe = await self.fetch_latency_probe(consumer, topic)
        finally:
            await consumer.stop()
        self.rates["consumer"] = n / (t1 - first)
        self.report.add("2. raw aiokafka consumer (after group join)", n / (t1 - first), "events/s",
                        note=f"{batches} getmany batches, one commit each")
        self.report.add("from start, incl. group join", n / (t1 - t0), "events/s", detail=True,
                        note=f"join took {first - t0:.1f} s")
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")
        self.report.add("2b. raw produce -> consume latency p50 (kit.kafka clients)", percentile(probe, 50), "ms",
                        note=f"p99 {percentile(probe, 99):.1f} ms, max {max(probe):.1f} ms")

    async def fetch_latency_probe(self, consumer: AIOKafkaConsumer, topic: str) -> list[float]:
        """ms from producer.send() to the record coming out of getmany(), with the consumer already caught up:
        what the broker and the aiokafka fetch settings alone add to end-to-end latency."""
        sent: dict[bytes, float] = {}
        latencies: list[float] = []
        count = self.config.probe_events

        async def read() -> None:
            while len(latencies) < count:
                batch = await consumer.getmany(timeout_ms=200)
                now = perf_counter()
                latencies.extend((now - sent[r.value]) * 1000 for records in batch.values() for r in records
                                 if r.value in sent)

        producer = make_producer(self.settings.kafka, "bench.probe")
        await producer.start()
        reader = asyncio.create_task(read(), name="probe reader")
        try:
            await producer.partitions_for(topic)
            for i in range(count):
                value = f"probe-{i}".encode()
                sent[value] = perf_counter()
                await producer.send(topic, value=value, key=self.keys[i % len(self.keys)].encode())
                await asyncio.sleep(self.config.idle_interval_s)
            await asyncio.wait_for(reader, self.config.timeout_s)
        finally:
            reader.cancel()
            await producer.stop()
        return latencies

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
            relay = OutboxRelay(self.settings)  # as deployed (kit.relay.relay_producer)
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
                proc_cpu, machine_cpu = cpu.stop()
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)
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
        txns = TxnStats(engine)
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
                    if not first and consumer.assigned:  # set as the first getmany after the join returns
                        first.append(perf_counter())
                    return applied._value.get() >= n

                t1 = await self.until(all_applied, "consumer applied every event", watch=[task])
                proc_cpu, machine_cpu = cpu.stop()
                consumer_txns = txns.snapshot()
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)
            rows = await self.scalar(engine, "SELECT count(*) FROM effect WHERE consumer = :c", c=group)
            distinct = await self.scalar(engine, "SELECT count(DISTINCT event_id) FROM effect WHERE consumer = :c",
                                         c=group)
        finally:
            await dlq.stop()
            await engine.dispose()
        check = "" if rows == distinct == n else f"({rows} effect rows, {distinct} distinct, expected {n}!)"
        if not first:
            raise RuntimeError("no event applied")
        rate = n / (t1 - first[0])
        self.report.add("4. consumer throughput (EventConsumer, after group join)", rate, "events/s",
                        target=(">=", CONSUMER_TARGET), note=check)
        self.report.add("from start, incl. group join", n / (t1 - t0), "events/s", detail=True,
                        note=f"join took {first[0] - t0:.1f} s")
        if "consumer" in self.rates:
            self.report.add("ratio to raw consumer", rate / self.rates["consumer"], "x", detail=True)
        TxnStats.row(self.report, n, consumer_txns)
        self.report.add("python process CPU / machine CPU busy", proc_cpu, "% core", detail=True,
                        note=f"machine {machine_cpu:.0f}% of {os.cpu_count()} cores")

    # -- 5: end-to-end latency ------------------------------------------------------------------------------------

    async def latency(self, case: str) -> None:
        c = self.config
        label = "5a" if case == "idle" else "5b"
        if case == "idle":
            rate, count, processes, tasks = 1 / c.idle_interval_s, c.idle_events, 1, 1
            title = f"5a. e2e latency p99, idle ({count} events, one every {c.idle_interval_s * 1000:.0f} ms)"
        else:
            rate, count = c.load_rate, int(c.load_rate * c.load_seconds)
            processes, tasks = c.writer_processes, c.writer_tasks
            title = f"5b. e2e latency p99, loaded ({c.load_rate:,.0f}/s for {c.load_seconds:.0f} s, {count:,} events)"
        topic = await self.topic(f"latency-{case}")
        group = f"bench.latency.{uuid.uuid4().hex[:8]}"
        applied = CONSUMED.labels(group, "applied")
        engine = create_engine(self.settings.database, application_name="bench.worker")
        txns = TxnStats(engine)
        dlq = make_producer(self.settings.kafka, "bench.dlq")
        await dlq.start()
        stop = asyncio.Event()
        workers: list[asyncio.Task[None]] = []
        writers: list[asyncio.subprocess.Process] = []
        try:
            await self._truncate(engine)
            relay = OutboxRelay(self.settings)  # as deployed (kit.relay.relay_producer)
            consumer = self.event_consumer(group, topic, create_sessionmaker(engine), dlq)
            workers = [asyncio.create_task(relay.run(stop), name="relay"),
                       asyncio.create_task(consumer.run(stop), name="consumer")]
            progress(f"{label}. {case}: relay and consumer starting (consumer group join)")
            await self.until(lambda: relay.is_leader and consumer.assigned, "relay leader and consumer assigned",
                             watch=workers, every=0.02)
            freeze_startup_heap()  # as the service's lifespan does once its relay and consumers have started
            progress(f"{label}. {case}: {processes} writer process(es) x {tasks} task(s) committing {count:,} "
                     f"events at {rate:,.0f}/s")
            for offset in range(processes):
                config = {"url": self.url, "topic": topic, "rate": rate, "count": count, "tasks": tasks,
                          "keys": self.keys, "offset": offset, "stride": processes, "wait_for_go": True}
                writers.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.writer", json.dumps(config), cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
            for writer in writers:  # every writer has its pool open: start them together
                line = await asyncio.wait_for(writer.stdout.readline(), c.timeout_s)
                if line.strip() != b"ready":
                    raise RuntimeError(f"writer process did not start (exit code {await writer.wait()})")
            cpu = CpuMeter(self.broker_pid).start()
            txns.reset()
            for writer in writers:
                writer.stdin.write(b"go\n")
                await writer.stdin.drain()
                writer.stdin.close()
            reads = [asyncio.ensure_future(w.stdout.read()) for w in writers]
            try:
                _, pending = await asyncio.wait(reads, timeout=count / rate + c.timeout_s)
                if pending:
                    raise TimeoutError("writer processes did not finish")
            finally:
                for read in reads:
                    read.cancel()
            outputs = [read.result() for read in reads]
            for writer in writers:
                if await writer.wait() != 0:
                    raise RuntimeError(f"writer process exited with {writer.returncode}")
            written = [json.loads(out) for out in outputs]
            await self.until(lambda: applied._value.get() >= count, "every event applied", watch=workers,
                             every=0.01)
            use = cpu.use()
            consumer_txns = txns.snapshot()
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT e.event_id::text, extract(epoch FROM e.applied_at)::float8,"
                    " extract(epoch FROM o.published_at)::float8"
                    " FROM effect e JOIN outbox o ON o.id = e.event_id WHERE e.consumer = :c"), {"c": group})).all()
        finally:
            for writer in writers:
                if writer.returncode is None:
                    writer.kill()
                    await writer.wait()
            stop.set()
            if workers:
                await asyncio.wait(workers, timeout=20)
            await dlq.stop()
            await engine.dispose()

        committed = {event_id: t for w in written for event_id, t in w["commits"]}
        behind = [x for w in written for x in w["behind_s"]]
        txn = [x for w in written for x in w["txn_s"]]
        effect_at = {event_id: (applied_at, published_at) for event_id, applied_at, published_at in rows}
        missing = len(set(committed) - set(effect_at))
        e2e = [(effect_at[i][0] - t) * 1000 for i, t in committed.items() if i in effect_at]
        relay_leg = [(effect_at[i][1] - t) * 1000 for i, t in committed.items() if i in effect_at]
        times = sorted(committed.values())
        achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
        check = f"({missing} events never applied!)" if missing else ""
        if len(rows) != len(committed):
            check += f" ({len(rows)} effect rows for {len(committed)} events)"
        reached = achieved >= 0.95 * rate
        if case == "loaded" and not reached:
            check += f" load not reached: {achieved:,.0f}/s"

        r = self.report
        r.add(title, None if not e2e else percentile(e2e, 99), "ms",
              target=(("<=", LATENCY_P99_TARGET) if case == "loaded" else None), note=check.strip(),
              valid=reached or case != "loaded")
        r.add("p50", percentile(e2e, 50), "ms", detail=True)
        r.add("max", max(e2e), "ms", detail=True)
        r.add("achieved write rate (commits/s)", achieved, "events/s", detail=True,
              note=f"asked {rate:,.0f}/s; {processes} writer process(es) x {tasks} task(s); start lag p99 "
                   f"{percentile(behind, 99) * 1000:,.0f} ms")
        r.add("writer transaction (sent..committed) p50", percentile(txn, 50) * 1000, "ms",
              detail=True, note=f"p99 {percentile(txn, 99) * 1000:.1f} ms")
        r.add("relay leg (commit -> published_at) p50", percentile(relay_leg, 50), "ms", detail=True,
              note=f"p99 {percentile(relay_leg, 99):.1f} ms")
        TxnStats.row(r, len(rows), consumer_txns)
        use["writers"] = sum(w["cpu_s"] for w in written) / use["wall"]  # each writer's own process_time()
        others = use["machine"] - use["this process"] - use["writers"] - use["broker"]
        r.add("CPU used, worker process (relay + consumer)", 100 * use["this process"], "% core", detail=True,
              note=f"writers {use['writers']:.2f}, broker {use['broker']:.2f}, PostgreSQL+kernel+rest "
                   f"{others:.2f}; machine {use['machine']:.2f} of {os.cpu_count()} cores")

    async def _truncate(self, engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE outbox, inbox, effect"))
