"""The benchmark's own PostgreSQL and broker, a fresh database with outbox, inbox and an `effect` table, and fresh
migrated databases for the services' benchmarks (`migrated_databases`)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.postgres import EmbeddedPostgres, ensure_databases
from devstack.processes import free_port
from devstack.testing.infra import Infra, start_infra
from kit.inbox import inbox_table
from kit.migrations import upgrade
from kit.outbox import outbox_table

metadata = MetaData()
outbox_table(metadata)
inbox_table(metadata)
# As in libs/kit/tests/conftest.py (no unique key: an event applied twice shows as two rows), plus `applied_at`,
# written by the consumer's INSERT inside its transaction, for the end-to-end latency.
effect = Table(
    "effect", metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("consumer", Text, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
)


def start(workdir: Path, *, durable: bool) -> Infra:
    """The broker through `start_infra`; PostgreSQL from `start_infra` (fsync off, like the tests) unless `durable`,
    in which case an EmbeddedPostgres with fsync on is started first and handed to `start_infra` as the server.
    LONTAR_TEST_DATABASE_URL / LONTAR_TEST_KAFKA_BOOTSTRAP, if set, are honoured exactly as in the tests."""
    postgres = None
    if durable and not os.environ.get("LONTAR_TEST_DATABASE_URL"):
        postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
        try:
            postgres.start()
        except BaseException:
            postgres.stop()
            raise
    try:
        with _env("LONTAR_TEST_DATABASE_URL", postgres.url() if postgres else None):
            infra = start_infra(workdir)
    except BaseException:
        if postgres is not None:
            postgres.stop()
        raise
    if postgres is not None:
        infra.postgres = postgres  # so that infra.stop() stops it too
    return infra


@contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


async def create_bench_database(infra: Infra) -> tuple[str, dict[str, str]]:
    """A fresh database `bench_<hex>` with the tables; returns its URL and the server's durability settings."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    import asyncpg

    conn = await asyncpg.connect(infra.server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        server = {key: await conn.fetchval(f"SHOW {key}") for key in
                  ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")}
    finally:
        await conn.close()
    url = infra.database_url(name)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    return url, server


async def drop_databases(server_url: str, names: list[str]) -> None:
    """DROP ... WITH (FORCE): a benchmark's databases go whatever still holds a connection to them."""
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def migrated_databases(server_url: str, *packages: str) -> AsyncIterator[list[str]]:
    """A fresh database per service package on `server_url` (a superuser URL), migrated to head with the service's own
    migrations; their URLs, in order. Dropped on the way out, whatever happened."""
    suffix = uuid.uuid4().hex[:8]
    names = [f"bench_{package}_{suffix}_{i}" for i, package in enumerate(packages)]
    await ensure_databases(server_url, names)
    urls = [f"{server_url.rpartition('/')[0]}/{name}" for name in names]
    try:
        for package, url in zip(packages, urls, strict=True):
            await asyncio.to_thread(upgrade, package, url)  # Alembic runs its own event loop: keep it off this one
        yield urls
    finally:
        await drop_databases(server_url, names)


async def drop_database(infra: Infra, url: str) -> None:
    await drop_databases(infra.server_url, [url.rpartition("/")[2]])
