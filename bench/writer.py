"""The paced writer of the latency benchmark, run as separate processes (as the API would be, apart from the worker).

`python -m bench.writer '<json config>'` opens its pool, prints `ready`, waits for a line on stdin, then commits its
share of single-event transactions: global event i is due at start + i / rate, and this process takes every
`stride`-th event from `offset`, spread over `tasks` concurrent tasks sharing one pool. It prints JSON to stdout: per
event, the id and the wall-clock time (time.time(), taken right after the commit returned).

Each transaction is the row `kit.outbox.publish` writes (built by `kit.outbox.outbox_row`, so the same envelope,
headers and key) plus its NOTIFY, sent as one autocommitted statement over plain asyncpg: the load generator shares
two cores with what it measures, so it spends as little CPU as a writer can. (An API's transaction also does its own
work; what the relay and the consumer see is the same: one committed outbox row and a NOTIFY per event.)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import asyncpg
import uvloop

from kit.db import json_dumps
from kit.outbox import outbox_row
from kit.testing.messaging import taxpayer_event

_COMMIT_EVENT = """
    WITH event AS (
        INSERT INTO outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, payload, headers)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) RETURNING 1)
    SELECT pg_notify('outbox', '') FROM event"""


async def write(url: str, topic: str, rate: float, count: int, tasks: int, keys: list[str], offset: int = 0,
                stride: int = 1, wait_for_go: bool = False) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url.replace("postgresql+asyncpg://", "postgresql://"), min_size=tasks,
                                     max_size=tasks, server_settings={"application_name": "bench.writer"})
    try:
        mine = list(range(offset, count, stride))
        rows = {}
        for i in mine:
            key = keys[i % len(keys)]
            row = outbox_row(taxpayer_event(key), key=key, subject=key, aggregate_type="taxpayer", sequence=i,
                             topic=topic)
            rows[i] = (row["id"], row["topic"], row["key"], row["aggregate_type"], row["aggregate_id"],
                       row["event_type"], row["event_version"], json_dumps(row["payload"]), json_dumps(row["headers"]))
        loop = asyncio.get_running_loop()
        if wait_for_go:
            print("ready", flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)
        cpu0 = time.process_time()
        start = loop.time() + 0.005
        queue = iter(mine)
        commits: list[tuple[str, float]] = []
        behind: list[float] = []  # how late each transaction started against its schedule
        durations: list[float] = []  # statement sent .. committed, as the API would see it

        async def one_writer() -> None:
            async with pool.acquire() as conn:
                statement = await conn.prepare(_COMMIT_EVENT)
                for i in queue:
                    due = start + i / rate
                    delay = due - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    began = loop.time()
                    behind.append(began - due)
                    await statement.fetch(*rows[i])
                    committed = time.time()
                    durations.append(loop.time() - began)
                    commits.append((str(rows[i][0]), committed))

        await asyncio.gather(*(one_writer() for _ in range(tasks)))
        return {"commits": commits, "behind_s": behind, "txn_s": durations, "cpu_s": time.process_time() - cpu0}
    finally:
        await pool.close()


def main() -> None:
    config = json.loads(sys.argv[1])
    try:
        result = uvloop.run(write(**config))  # as the API processes run (uvicorn picks uvloop)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent cleans up
        sys.exit(130)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
