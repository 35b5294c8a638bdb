"""The inbox consumer on the real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered
from kit.consumer import EventConsumer, Handlers
from kit.dlq import read_all, replay
from kit.kafka import make_consumer, make_producer
from kit.metrics import CONSUMED
from kit.testing.events import encode, envelope_for, record_headers
from kit.testing.messaging import eventually, new_topic, produce, scalar, taxpayer_event


@asynccontextmanager
async def running(settings, sessions, topic, handlers, *, group=None, dlq_topic=None):  # type: ignore[no-untyped-def]
    """An EventConsumer running in the background of the test."""
    group = group or f"test.{uuid.uuid4().hex[:8]}"
    dlq = make_producer(settings.kafka, "test.dlq")
    await dlq.start()
    consumer = EventConsumer(
        group=group, topics=[topic], handlers=handlers, sessions=sessions,
        consumer_factory=lambda g: make_consumer(settings.kafka, g, group_id=g, max_records=500),
        dlq_producer=dlq, dlq_topic=dlq_topic or topic + ".dlq", settings=settings.consumer,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield consumer
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await dlq.stop()


def records_for(envelopes):  # type: ignore[no-untyped-def]
    return [(e["partition_key"].encode(), encode(e), record_headers(e)) for e in envelopes]


async def effects(engine, consumer: str) -> int:  # type: ignore[no-untyped-def]
    return await scalar(engine, "SELECT count(*) FROM effect WHERE consumer = :c", c=consumer)


async def test_same_event_delivered_three_times_has_one_effect(settings, sessions, engine, effect_handlers) -> None:
    bootstrap = settings.kafka.bootstrap_servers
    topic = await new_topic(bootstrap)
    group = f"test.{uuid.uuid4().hex[:8]}"
    envelopes = [envelope_for(taxpayer_event(), key=f"{i:016d}") for i in range(20)]
    # each event three times: twice in a row, then once more after the others
    await produce(bootstrap, topic, records_for(envelopes + envelopes + envelopes[:10] + envelopes))

    async with running(settings, sessions, topic, effect_handlers(group), group=group):
        await eventually(lambda: _at_least(scalar(engine, "SELECT count(*) FROM inbox WHERE consumer = :c",
                                                  c=group), 20), 20, "all events applied")
        await asyncio.sleep(0.5)  # let any duplicate that would slip through land
    assert await effects(engine, group) == 20
    per_event = await scalar(engine, "SELECT max(n) FROM (SELECT count(*) n FROM effect WHERE consumer = :c"
                                     " GROUP BY event_id) t", c=group)
    assert per_event == 1


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    settings, sessions, engine, effect_handlers
) -> None:
    bootstrap = settings.kafka.bootstrap_servers
    topic = await new_topic(bootstrap, partitions=1)
    dlq_topic = await new_topic(bootstrap, partitions=1)
    group = f"test.{uuid.uuid4().hex[:8]}"
    handlers = effect_handlers(group)
    boom_npwp = "9999999999999999"
    original, _ = handlers.get(Envelope.model_validate(envelope_for(taxpayer_event(), key="k")))

    async def explode_on_boom(session, envelope, event) -> None:  # type: ignore[no-untyped-def]
        if event.npwp == boom_npwp:
            raise ValueError("handler refuses this taxpayer")
        await original(session, envelope, event)

    handlers.on(TaxpayerRegistered)(explode_on_boom)
    good_before = envelope_for(taxpayer_event(), key="0000000000000001")
    boom = envelope_for(taxpayer_event(boom_npwp), key=boom_npwp)
    bad_data = envelope_for(taxpayer_event(), key="0000000000000002")
    bad_data["data"]["npwp"] = "not-an-npwp"
    unknown = envelope_for(taxpayer_event(), key="0000000000000003")
    unknown["type"] = "SomethingFromTheFuture"
    good_after = envelope_for(taxpayer_event(), key="0000000000000004")
    items = records_for([good_before, boom, bad_data, unknown, good_after])
    items.insert(1, (b"k", b"{not json", []))
    unknown_before = CONSUMED.labels(group, "unknown")._value.get()
    await produce(bootstrap, topic, items)

    async with running(settings, sessions, topic, handlers, group=group, dlq_topic=dlq_topic):
        await eventually(lambda: _at_least(effects(engine, group), 2), 20, "good events applied")

    assert await effects(engine, group) == 2
    letters = await read_all(settings.kafka, dlq_topic)
    reasons = {letter.headers.get("event_id", "<none>"): letter.headers["dlq_reason"] for letter in letters}
    assert len(letters) == 3
    assert reasons["<none>"].startswith("malformed")
    assert "handler refuses this taxpayer" in reasons[str(boom["id"])]
    assert "npwp" in reasons[str(bad_data["id"])]
    assert all(letter.headers["dlq_original_topic"] == topic for letter in letters)
    assert CONSUMED.labels(group, "unknown")._value.get() == unknown_before + 1

    # once the handler is fixed, replaying the dead letters applies what can be applied, exactly once
    handlers.on(TaxpayerRegistered)(original)
    fixed = [letter for letter in letters if letter.event_id == str(boom["id"])]
    assert await replay(settings.kafka, fixed, "test.replay") == 1
    async with running(settings, sessions, topic, handlers, group=group, dlq_topic=dlq_topic):
        await eventually(lambda: _at_least(effects(engine, group), 3), 20, "replayed event applied")
    assert await effects(engine, group) == 3


async def test_rebalancing_between_members_applies_every_event_once(
    settings, sessions, engine, effect_handlers
) -> None:
    bootstrap = settings.kafka.bootstrap_servers
    topic = await new_topic(bootstrap, partitions=6)
    group = f"test.{uuid.uuid4().hex[:8]}"
    first_half = [envelope_for(taxpayer_event(), key=f"{i % 30:016d}", sequence=i) for i in range(600)]
    second_half = [envelope_for(taxpayer_event(), key=f"{i % 30:016d}", sequence=i) for i in range(600, 1200)]
    await produce(bootstrap, topic, records_for(first_half))
    async with running(settings, sessions, topic, effect_handlers(group), group=group):
        await eventually(lambda: _at_least(effects(engine, group), 100), 20, "first member busy")
        async with running(settings, sessions, topic, effect_handlers(group), group=group) as second:
            await produce(bootstrap, topic, records_for(second_half))
            await eventually(lambda: _at_least(effects(engine, group), 1200), 60, "every event applied")
            await eventually(lambda: _true(second.assigned), 20, "second member got partitions")
    assert await effects(engine, group) == 1200
    duplicates = await scalar(engine, "SELECT count(*) FROM (SELECT event_id FROM effect WHERE consumer = :c"
                                      " GROUP BY event_id HAVING count(*) > 1) t", c=group)
    assert duplicates == 0


async def test_keeps_per_key_order_when_applying(settings, sessions, engine) -> None:
    bootstrap = settings.kafka.bootstrap_servers
    topic = await new_topic(bootstrap, partitions=4)
    group = f"test.{uuid.uuid4().hex[:8]}"
    applied: dict[str, list[int]] = {}
    handlers = Handlers()

    @handlers.on(TaxpayerRegistered)
    async def remember(session, envelope, event) -> None:  # type: ignore[no-untyped-def]
        applied.setdefault(envelope.partition_key, []).append(envelope.sequence)

    envelopes = [envelope_for(taxpayer_event(), key=f"{k:016d}", sequence=s) for s in range(1, 101)
                 for k in range(10)]
    await produce(bootstrap, topic, records_for(envelopes))
    async with running(settings, sessions, topic, handlers, group=group):
        await eventually(lambda: _true(sum(map(len, applied.values())) >= 1000), 30, "all applied")
    assert all(seqs == list(range(1, 101)) for seqs in applied.values())


async def test_batch_handler_gets_runs_in_order_without_duplicates_and_a_failing_run_is_split(
    settings, sessions, engine
) -> None:
    """`on_many`: each call gets consecutive events of its contract (in order, a redelivered one dropped); a call
    that fails is not the end: the events are applied one per call, and only the poison one is dead-lettered."""
    bootstrap = settings.kafka.bootstrap_servers
    topic = await new_topic(bootstrap, partitions=1)
    dlq_topic = await new_topic(bootstrap, partitions=1)
    group = f"test.{uuid.uuid4().hex[:8]}"
    calls: list[list[int]] = []
    boom = "9999999999999999"
    handlers = Handlers()

    @handlers.on_many(TaxpayerRegistered)
    async def remember(session, events) -> None:  # type: ignore[no-untyped-def]
        if any(event.npwp == boom for _, event in events):
            raise ValueError("refuses this taxpayer")
        calls.append([envelope.sequence for envelope, _ in events])

    envelopes = [envelope_for(taxpayer_event(), key="0000000000000001", sequence=s) for s in range(1, 41)]
    await produce(bootstrap, topic, records_for(envelopes + envelopes[:5]))  # five redelivered
    async with running(settings, sessions, topic, handlers, group=group, dlq_topic=dlq_topic):
        await eventually(lambda: _true(sum(map(len, calls)) >= 40), 20, "all applied")
        poison = [envelope_for(taxpayer_event(), key="0000000000000002", sequence=s) for s in (1, 2)]
        poison.insert(1, envelope_for(taxpayer_event(boom), key=boom))
        await produce(bootstrap, topic, records_for(poison))
        await eventually(lambda: _true(sum(map(len, calls)) >= 42), 30, "the good ones around the poison applied")
        await asyncio.sleep(0.5)

    applied = [s for call in calls for s in call]
    assert applied[:40] == list(range(1, 41))  # in order, each once
    assert any(len(call) > 1 for call in calls[:-2])  # really batched
    assert applied[40:] == [1, 2] and calls[-2:] == [[1], [2]]  # after the failed run: one per call
    [letter] = await read_all(settings.kafka, dlq_topic)
    assert letter.event_id == str(poison[1]["id"]) and "refuses this taxpayer" in letter.headers["dlq_reason"]


async def _at_least(count, n: int) -> bool:  # type: ignore[no-untyped-def]
    return (await count) >= n


async def _true(value: bool) -> bool:
    return value
