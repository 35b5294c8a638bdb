"""Fixtures for kit's own tests: a database with outbox, inbox and an `effect` table whose rows count applications
(no unique key on purpose: an event applied twice would show as two rows)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from devstack.testing.infra import Infra
from kit.consumer import Handlers
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.settings import (
    BaseServiceSettings,
    ConsumerSettings,
    DatabaseSettings,
    RelaySettings,
    service_config,
)
from kit.testing.messaging import make_effect_handlers
from kit.testing.service import broker_settings

metadata = MetaData()
outbox_table(metadata)
inbox_table(metadata)
effect = Table(
    "effect", metadata,
    Column("n", BigInteger, Identity(), primary_key=True),  # insertion order (ctid is not: space gets reused)
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("consumer", Text, nullable=False),
)


class KitTestSettings(BaseServiceSettings):
    model_config = service_config("KITTEST_")
    service_name: str = "kittest"


@pytest.fixture(scope="session")
def kit_database(infra: Infra) -> str:
    url = infra.create_database("kit_test")

    async def create() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return url


@pytest.fixture
def settings(infra: Infra, kit_database: str) -> KitTestSettings:
    return KitTestSettings(
        database=DatabaseSettings(dsn=kit_database),
        kafka=broker_settings(infra.bootstrap),
        relay=RelaySettings(poll_interval_s=0.1, batch_size=500),
        consumer=ConsumerSettings(max_attempts=2, retry_backoff_s=0.01, max_batch=500),
    )


@pytest.fixture
async def engine(settings: KitTestSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database.url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def effect_handlers() -> Callable[[str], Handlers]:
    return make_effect_handlers
