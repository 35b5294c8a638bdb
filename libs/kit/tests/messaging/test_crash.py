"""Killing a worker (SIGKILL, no clean-up) in the middle of its work loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from devstack.processes import free_port
from kit.testing.messaging import eventually, new_topic, scalar, write_events

WORKER = Path(__file__).with_name("worker_process.py")


def start_worker(settings, topic: str, purpose: str, log: Path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "KITTEST_DATABASE__DSN": settings.database.url,
        "KITTEST_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "KITTEST_KAFKA__ENABLE_IDEMPOTENCE": "false",
        "KITTEST_KAFKA__SESSION_TIMEOUT_MS": str(settings.kafka.session_timeout_ms),
        "KITTEST_KAFKA__HEARTBEAT_INTERVAL_MS": str(settings.kafka.heartbeat_interval_ms),
        "KITTEST_WORKER_PORT": str(free_port()),
        "KITTEST_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, str(WORKER), topic, purpose], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


@pytest.mark.slow
async def test_sigkill_mid_batch_then_restart_applies_every_event_exactly_once(
    settings, sessions, engine, tmp_path
) -> None:
    topic = await new_topic(settings.kafka.bootstrap_servers, partitions=6)
    purpose = f"crash-{uuid.uuid4().hex[:6]}"
    group = f"kittest.{purpose}"
    keys = [f"{i:016d}" for i in range(1, 61)]
    ids = await write_events(sessions, topic, keys, per_key=100)  # 6,000 events waiting in the outbox
    total = len(ids)

    async def applied() -> int:
        return await scalar(engine, "SELECT count(*) FROM effect WHERE consumer = :c", c=group)

    async def published() -> int:
        return await scalar(engine, "SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND published_at IS NOT NULL",
                            ids=ids)

    kills = []
    for threshold in (500, 2500):  # kill twice, each time while relay and consumer are mid-stream
        worker = start_worker(settings, topic, purpose, tmp_path / "worker.log")
        await eventually(lambda threshold=threshold: _at_least(applied(), threshold), 60, f"{threshold} events applied")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        kills.append((await published(), await applied()))
    assert any(a < total for _, a in kills), "the kills happened before the work was done"

    worker = start_worker(settings, topic, purpose, tmp_path / "worker.log")
    try:
        await eventually(lambda: _at_least(applied(), total), 90, "every event applied after restart")
        await eventually(lambda: _at_least(published(), total), 30, "every outbox row marked published")
        await asyncio.sleep(1.0)  # anything applied twice would land now
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert await applied() == total
    assert await scalar(engine, "SELECT count(DISTINCT event_id) FROM effect WHERE consumer = :c", c=group) == total
    # per key, effects were applied in the order they were written
    out_of_order = await scalar(engine, """
        SELECT count(*) FROM (
          SELECT sequence < lag(sequence) OVER (PARTITION BY key ORDER BY n) AS back
          FROM effect WHERE consumer = :c) t WHERE back""", c=group)
    assert out_of_order == 0


async def _at_least(count, n: int) -> bool:  # type: ignore[no-untyped-def]
    return (await count) >= n
