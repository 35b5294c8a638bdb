"""The paced writer of the latency benchmark, run as separate processes (as the API would be, apart from the worker).

`python -m bench.writer '<json config>'` opens its pool, prints `ready`, waits for a line on stdin, then commits its
share of single-event transactions (kit.outbox.publish, then COMMIT): global event i is due at start + i / rate, and
this process takes every `stride`-th event from `offset`, spread over `tasks` concurrent tasks sharing one pool. It
prints JSON to stdout: per event, the id and the wall-clock time (time.time(), taken right after COMMIT returned).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db import create_sessionmaker, json_dumps
from kit.outbox import publish
from kit.testing.messaging import taxpayer_event


async def write(url: str, topic: str, rate: float, count: int, tasks: int, keys: list[str], offset: int = 0,
                stride: int = 1, wait_for_go: bool = False) -> dict[str, Any]:
    # kit.db.create_engine's options minus pool_pre_ping: the writer is the load generator and shares the machine
    # with what it measures, so it spends no round trip it does not need.
    engine = create_async_engine(url, pool_size=tasks, max_overflow=0, json_serializer=json_dumps,
                                 connect_args={"server_settings": {"application_name": "bench.writer"}})
    sessions = create_sessionmaker(engine)
    try:
        async def warm() -> None:  # open every pooled connection before the clock starts
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(0.05)

        await asyncio.gather(*(warm() for _ in range(tasks)))
        mine = list(range(offset, count, stride))
        event_keys = {i: keys[i % len(keys)] for i in mine}
        events = {i: taxpayer_event(event_keys[i]) for i in mine}
        loop = asyncio.get_running_loop()
        if wait_for_go:
            print("ready", flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)
        cpu0 = time.process_time()
        start = loop.time() + 0.005
        queue = iter(mine)
        commits: list[tuple[str, float]] = []
        behind: list[float] = []  # how late each transaction started against its schedule
        durations: list[float] = []  # begin .. COMMIT returned, as the API would see it

        async def one_writer() -> None:
            for i in queue:
                due = start + i / rate
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                began = loop.time()
                behind.append(began - due)
                async with sessions() as session:
                    async with session.begin():
                        event_id = await publish(session, events[i], key=event_keys[i], subject=event_keys[i],
                                                 aggregate_type="taxpayer", sequence=i, topic=topic)
                    committed = time.time()
                durations.append(loop.time() - began)
                commits.append((str(event_id), committed))

        await asyncio.gather(*(one_writer() for _ in range(tasks)))
        return {"commits": commits, "behind_s": behind, "txn_s": durations, "cpu_s": time.process_time() - cpu0}
    finally:
        await engine.dispose()


def main() -> None:
    config = json.loads(sys.argv[1])
    try:
        result = asyncio.run(write(**config))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent cleans up
        sys.exit(130)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
