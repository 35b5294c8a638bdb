"""The paced writer of the latency benchmark, run as its own process (as the API would be, apart from the worker).

`python -m bench.writer '<json config>'` commits `count` single-event transactions (kit.outbox.publish, then commit)
at `rate` per second, spread over `tasks` concurrent tasks sharing one connection pool, and prints JSON to stdout:
the event id and the wall-clock time (time.time(), taken right after the commit returned) of every event.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from sqlalchemy import text

from kit.db import create_engine, create_sessionmaker
from kit.outbox import publish
from kit.settings import DatabaseSettings
from kit.testing.messaging import taxpayer_event


async def write(url: str, topic: str, rate: float, count: int, tasks: int, keys: list[str]) -> dict[str, Any]:
    engine = create_engine(DatabaseSettings(dsn=url, pool_size=tasks, max_overflow=0),
                           application_name="bench.writer")
    sessions = create_sessionmaker(engine)
    try:
        async def warm() -> None:  # open every pooled connection before the clock starts
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(0.05)

        await asyncio.gather(*(warm() for _ in range(tasks)))
        event_keys = [keys[i % len(keys)] for i in range(count)]
        events = [taxpayer_event(k) for k in event_keys]
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.01
        next_index = 0
        commits: list[tuple[str, float]] = []
        behind: list[float] = []  # how late each transaction started against its schedule
        durations: list[float] = []  # begin .. commit returned, as the API would see it

        async def one_writer() -> None:
            nonlocal next_index
            while next_index < count:
                i, next_index = next_index, next_index + 1
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
        return {"commits": commits, "behind_s": behind, "txn_s": durations}
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
