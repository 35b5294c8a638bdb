"""The outbox relay on the real broker and database."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from sqlalchemy import text

from kit.kafka import make_producer
from kit.relay import OutboxRelay
from kit.testing.messaging import eventually, new_topic, read_topic, scalar, write_events


def relay_for(settings):  # type: ignore[no-untyped-def]
    return OutboxRelay(settings, lambda: make_producer(settings.kafka, "test.relay"))


async def run_until_published(relay, engine, ids, timeout=30.0):  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: _all_published(engine, ids), timeout, "all outbox rows published")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def _all_published(engine, ids) -> bool:  # type: ignore[no-untyped-def]
    pending = await scalar(engine, "SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND published_at IS NULL",
                           ids=ids)
    return pending == 0


async def test_publishes_committed_rows_with_key_headers_and_envelope(settings, sessions, engine) -> None:
    topic = await new_topic(settings.kafka.bootstrap_servers)
    ids = await write_events(sessions, topic, ["0000000000000001"], per_key=3)

    await run_until_published(relay_for(settings), engine, ids)

    records = await read_topic(settings.kafka.bootstrap_servers, topic, 3)
    assert [json.loads(r.value)["id"] for r in records] == [str(i) for i in ids]
    first = records[0]
    assert first.key == b"0000000000000001"
    headers = dict(first.headers)
    assert headers["event_type"] == b"TaxpayerRegistered"
    assert headers["event_version"] == b"1"
    assert headers["event_id"] == str(ids[0]).encode()
    envelope = json.loads(first.value)
    assert envelope["source"] == "identity" and envelope["sequence"] == 1
    assert envelope["data"]["npwp"] == "0000000000000001"


async def test_keeps_order_per_taxpayer_key_across_many_events(settings, sessions, engine) -> None:
    topic = await new_topic(settings.kafka.bootstrap_servers, partitions=12)
    keys = [f"{i:016d}" for i in range(1, 41)]
    ids = await write_events(sessions, topic, keys, per_key=50)  # 2,000 events, interleaved across keys

    await run_until_published(relay_for(settings), engine, ids)

    records = await read_topic(settings.kafka.bootstrap_servers, topic, len(ids))
    assert len(records) == len(ids)
    seen: dict[bytes, list[int]] = defaultdict(list)
    partitions: dict[bytes, set[int]] = defaultdict(set)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        seen[r.key].append(json.loads(r.value)["sequence"])
        partitions[r.key].add(r.partition)
    assert all(len(p) == 1 for p in partitions.values()), "one key, one partition"
    assert all(seqs == list(range(1, 51)) for seqs in seen.values())


async def test_only_one_relay_publishes_and_a_standby_takes_over(settings, sessions, engine) -> None:
    topic = await new_topic(settings.kafka.bootstrap_servers)
    first, second = relay_for(settings), relay_for(settings)
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(first.run(stop_first)), asyncio.create_task(second.run(stop_second))]
    try:
        await eventually(lambda: _true(first.is_leader or second.is_leader), 10, "a leader")
        await asyncio.sleep(0.5)
        assert first.is_leader != second.is_leader, "exactly one relay leads"
        leader, standby, stop_leader = (first, second, stop_first) if first.is_leader else (second, first,
                                                                                             stop_second)
        ids = await write_events(sessions, topic, ["0000000000000007"], per_key=5)
        await eventually(lambda: _all_published(engine, ids), 15, "published by the leader")
        assert standby.published == 0

        stop_leader.set()  # the leader goes away; its lock goes with its connection
        await eventually(lambda: _true(standby.is_leader), 15, "standby takes over")
        more = await write_events(sessions, topic, ["0000000000000007"], per_key=5)
        await eventually(lambda: _all_published(engine, more), 15, "published by the new leader")
        assert standby.published == 5
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)


async def test_wakes_on_notify_rather_than_waiting_for_the_poll(settings, sessions, engine) -> None:
    slow_poll = settings.model_copy(update={"relay": settings.relay.model_copy(update={"poll_interval_s": 30.0})})
    topic = await new_topic(settings.kafka.bootstrap_servers)
    relay = relay_for(slow_poll)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: _true(relay.is_leader), 10, "leadership")
        await asyncio.sleep(0.3)  # the relay is now parked in its 30 s wait
        ids = await write_events(sessions, topic, ["0000000000000009"], per_key=1)
        await eventually(lambda: _all_published(engine, ids), 5, "published on NOTIFY, long before the poll")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def test_failed_sends_are_recorded_and_retried(settings, sessions, engine) -> None:
    unreachable = settings.model_copy(update={"kafka": settings.kafka.model_copy(
        update={"bootstrap_servers": "127.0.0.1:1", "request_timeout_ms": 1000})})
    topic = await new_topic(settings.kafka.bootstrap_servers)
    ids = await write_events(sessions, topic, ["0000000000000011"], per_key=2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay_for(unreachable).run(stop))
    await asyncio.sleep(2.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    async with engine.connect() as conn:
        pending = (await conn.execute(text("SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND published_at IS NULL"),
                                      {"ids": ids})).scalar_one()
    assert pending == 2, "nothing is marked published while the broker is unreachable"

    await run_until_published(relay_for(settings), engine, ids)


async def _true(value: bool) -> bool:
    return value
