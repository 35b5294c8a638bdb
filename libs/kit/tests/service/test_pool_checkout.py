"""kit.db.create_engine: a pooled connection the server closed is replaced on checkout, with no round trip asked of
the server (no pre-ping), and a checkout of a live connection sends nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text

from kit.db import create_engine
from kit.settings import DatabaseSettings


async def test_a_connection_the_server_closed_is_replaced_and_a_live_one_costs_no_round_trip(
        kit_database: str) -> None:
    engine = create_engine(DatabaseSettings(dsn=kit_database), application_name="kit.test.pool", pool_size=1)
    other = create_engine(DatabaseSettings(dsn=kit_database), application_name="kit.test.other", pool_size=1)
    sent: list[str] = []

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda record: sent.append(record.query))

    event.listen(engine.sync_engine, "connect", on_connect)
    try:
        async with engine.connect() as conn:
            backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        sent.clear()
        async with engine.connect() as conn:  # checked out again: nothing sent before the statement
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() == backend
        assert [q for q in sent if q.strip().upper() not in ("BEGIN;", "ROLLBACK;", "COMMIT;")] == []
        assert not any(q.strip() in (";", "SELECT 1") for q in sent)

        async with other.connect() as conn:
            # waits until the backend is gone (so its socket is closed), at most 10 s
            assert (await conn.execute(text("SELECT pg_terminate_backend(:b, 10000)"), {"b": backend})).scalar_one()
        for _ in range(10):
            await asyncio.sleep(0)  # the event loop sees the closed socket of the idle pooled connection
        async with engine.connect() as conn:  # replaced on checkout: no error, a new backend
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != backend
    finally:
        await engine.dispose()
        await other.dispose()
