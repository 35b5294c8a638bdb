"""Event consumers: at-least-once delivery from the broker, exactly-once effects through the inbox.

Per fetch: decode, then apply the run of events in one transaction (inbox claim + handler for each, each
partition's events in their order), commit the transaction, then commit the offsets. If the run fails, it is retried
one event per transaction so a single poison event is isolated: it goes to `<service>.dlq` after bounded attempts
and the consumer moves on. Infrastructure failures (database or broker unreachable) are not the event's fault: they
are retried without limit, with capped back-off, and nothing goes to the dead-letter topic for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.registry import Contract, InvalidEvent, UnknownEvent, parse
from kit.errors import is_transient
from kit.inbox import InboxEntry, claim
from kit.kafka import headers_dict, headers_list
from kit.logging import correlation_id
from kit.metrics import CONSUMED, CONSUMER_RETRIES
from kit.settings import ConsumerSettings

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[tuple[Envelope, Any]]], Awaitable[None]]
C = TypeVar("C", bound=Contract)


class _Stopping(Exception):
    """Shutting down while the infrastructure is failing: leave the run uncommitted rather than dead-letter it."""


class Handlers:
    """Which handler applies which contract, for one consumer group.

    `on`: the handler gets one event at a time. `on_many`: it gets each run of consecutive events of that contract
    in a fetch at once (in order, duplicates already dropped), so it can write them with a few set-based statements;
    if the run fails, the events are retried one per call like any others."""

    def __init__(self) -> None:
        self._by_type: dict[tuple[str, int], tuple[Handler | BatchHandler, bool]] = {}  # (handler, batch)

    def on(self, contract: type[C]) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._by_type[(contract.type, contract.version)] = (fn, False)
            return fn

        return register

    def on_many(self, contract: type[C]) -> Callable[[BatchHandler], BatchHandler]:
        def register(fn: BatchHandler) -> BatchHandler:
            self._by_type[(contract.type, contract.version)] = (fn, True)
            return fn

        return register

    def get(self, envelope: Envelope) -> tuple[Handler | BatchHandler, bool] | None:
        """The handler for this event and whether it takes batches."""
        return self._by_type.get((envelope.type, envelope.version))


@dataclass
class _Decoded:
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope | None = None
    payload: Contract | None = None
    handler: Handler | BatchHandler | None = None
    batch: bool = False
    outcome: str | None = None  # set when no handler runs: ignored, unknown or a poison reason
    poison: str | None = None


class _RevokeListener(ConsumerRebalanceListener):
    """Partitions are handed over only after the run in progress is committed (and its offsets with it)."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._lock:
            pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None


class EventConsumer:
    def __init__(
        self,
        *,
        group: str,
        topics: Sequence[str],
        handlers: Handlers,
        sessions: async_sessionmaker[AsyncSession],
        consumer_factory: Callable[[str], AIOKafkaConsumer],
        dlq_producer: AIOKafkaProducer,
        dlq_topic: str,
        settings: ConsumerSettings,
    ) -> None:
        self.group = group
        self.topics = list(topics)
        self.handlers = handlers
        self.sessions = sessions
        self._consumer_factory = consumer_factory
        self._dlq = dlq_producer
        self.dlq_topic = dlq_topic
        self.settings = settings
        self._lock = asyncio.Lock()
        self.assigned = False

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; a lost broker connection restarts the consumer after a back-off."""
        backoff = self.settings.retry_backoff_s
        while not stop.is_set():
            consumer = self._consumer_factory(self.group)
            try:
                await consumer.start()
                consumer.subscribe(self.topics, listener=_RevokeListener(self._lock))
                backoff = self.settings.retry_backoff_s
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=200, max_records=self.settings.max_batch)
                    self.assigned = bool(consumer.assignment())
                    if batch:
                        async with self._lock:
                            await self._process(consumer, batch, stop)
            except _Stopping:
                return  # offsets of the unfinished run stay uncommitted: it is redelivered after restart
            except KafkaError as exc:
                log.warning("consumer lost the broker", extra={"consumer": self.group, "error": repr(exc)})
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.max_backoff_s)
            finally:
                self.assigned = False
                await _stop_quietly(consumer)

    async def _process(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        stop: asyncio.Event,
    ) -> None:
        """The whole fetch in one transaction (each partition's events in their order), then its offsets."""
        decoded = [self._decode(r) for records in batch.values() for r in records]
        await self._apply_run([d for d in decoded if d.handler is not None], stop)
        await self._dead_letter([d for d in decoded if d.poison is not None])
        for d in decoded:
            if d.outcome is not None:
                CONSUMED.labels(self.group, d.outcome).inc()
        try:
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        except CommitFailedError:
            # A partition moved to another member meanwhile; it resumes from the last committed offset and the
            # inbox absorbs what this member already applied.
            log.info("offset commit after rebalance refused", extra={"consumer": self.group})

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> _Decoded:
        d = _Decoded(record)
        try:
            raw = json.loads(record.value or b"")
            if not isinstance(raw, dict):
                raise InvalidEvent("record value is not a JSON object")
            d.envelope, d.payload = parse(raw)
        except UnknownEvent:
            d.outcome = "unknown"
            return d
        except (InvalidEvent, ValueError) as exc:
            d.poison, d.outcome = f"malformed: {exc}", "dead_lettered"
            return d
        found = self.handlers.get(d.envelope)
        if found is None:
            d.outcome = "ignored"
        else:
            d.handler, d.batch = found
        return d

    async def _apply_run(self, items: list[_Decoded], stop: asyncio.Event) -> None:
        """All items in one transaction; if that fails for a reason other than infrastructure, one at a time."""
        if not items:
            return
        try:
            await self._with_infra_retry(lambda: self._apply(items), stop)
            return
        except _Stopping:
            raise
        except Exception as exc:
            log.info("run failed, isolating events", extra={"consumer": self.group, "error": repr(exc)})
        for item in items:
            for attempt in range(1, self.settings.max_attempts + 1):
                try:
                    await self._with_infra_retry(lambda item=item: self._apply([item]), stop)
                    break
                except _Stopping:
                    raise
                except Exception as exc:
                    if attempt == self.settings.max_attempts:
                        self._fail(item, exc)
                    else:
                        CONSUMER_RETRIES.labels(self.group, "handler").inc()
                        await asyncio.sleep(self.settings.retry_backoff_s * attempt)

    def _fail(self, item: _Decoded, exc: BaseException) -> None:
        item.poison, item.outcome = f"handler failed: {exc!r}"[:2000], "dead_lettered"
        log.error("event dead-lettered", extra={"consumer": self.group, "event_id": str(item.envelope.id)
                  if item.envelope else None, "error": repr(exc)})

    async def _apply(self, items: list[_Decoded]) -> None:
        outcomes: list[str] = []
        async with self.sessions() as session, session.begin():
            fresh = await claim(session, consumer=self.group, events=[
                InboxEntry(i.envelope.id, i.envelope.type, i.record.topic, i.record.partition, i.record.offset)
                for i in items if i.envelope is not None])
            run: list[_Decoded] = []  # consecutive events for one batch handler, applied together

            async def apply_run() -> None:
                if run:
                    await run[0].handler(session, [(i.envelope, i.payload) for i in run])  # type: ignore[misc,call-arg,arg-type]
                    run.clear()

            for item in items:
                assert item.envelope is not None and item.handler is not None
                applies = item.envelope.id in fresh
                fresh.discard(item.envelope.id)  # a second copy in the same run is a duplicate
                if applies and item.batch:
                    if run and run[0].handler is not item.handler:
                        await apply_run()
                    run.append(item)
                elif applies:
                    await apply_run()
                    token = correlation_id.set(item.envelope.correlation_id)
                    try:
                        await item.handler(session, item.envelope, item.payload)  # type: ignore[call-arg]
                    finally:
                        correlation_id.reset(token)
                outcomes.append("applied" if applies else "duplicate")
            await apply_run()
        for item, outcome in zip(items, outcomes, strict=True):
            item.outcome = outcome

    async def _with_infra_retry(self, attempt: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        backoff = self.settings.retry_backoff_s
        while True:
            try:
                await attempt()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if stop.is_set():
                    raise _Stopping from exc
                CONSUMER_RETRIES.labels(self.group, "infrastructure").inc()
                log.warning("infrastructure failure, retrying", extra={"consumer": self.group, "error": repr(exc)})
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, self.settings.max_backoff_s)

    async def _dead_letter(self, items: list[_Decoded]) -> None:
        for item in items:
            r = item.record
            headers = headers_dict(r.headers)
            headers.update({
                "dlq_reason": item.poison or "",
                "dlq_consumer": self.group,
                "dlq_original_topic": r.topic,
                "dlq_original_partition": str(r.partition),
                "dlq_original_offset": str(r.offset),
                "dlq_failed_at": datetime.now(UTC).isoformat(),
            })
            await (await self._dlq.send(self.dlq_topic, value=r.value, key=r.key, headers=headers_list(headers)))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    try:
        await asyncio.wait_for(consumer.stop(), 10)
    except Exception as exc:
        log.debug("consumer stop failed", extra={"error": repr(exc)})
