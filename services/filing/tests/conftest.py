"""Filing test fixtures: settings on the session's real PostgreSQL and broker (devstack's `infra`), tokens from
kit's TokenMaker, the API in-process with a fixed clock, and `Bus`, which runs filing's own consumers on events sent
through the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from filing.main import create_app
from filing.settings import FilingSettings, IdentityClientSettings
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.consumer import EventConsumer, Handlers
from kit.db import create_engine, create_sessionmaker
from kit.kafka import create_topics, make_consumer, make_producer
from kit.testing.events import encode, record_headers
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker
from services.filing.tests import identity_standin
from services.filing.tests.identity_standin import StandIn

MAKER = TokenMaker()
TODAY = date(2026, 4, 15)  # the clock of the API in these tests (WIB)
ALL_SCOPES = ("filing:read", "filing:draft", "filing:submit")


def account_of(*npwps: str) -> str:
    """The account of the person (Ani) whose tokens `auth` makes for `npwps`: the signer of their returns."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "lontar-test:" + ",".join(npwps)))


def auth(*npwps: str, scopes: Sequence[str] = ALL_SCOPES) -> dict[str, str]:
    """A token acting for `npwps`, as identity issues it to the person Ani representing them (the same subject and
    actor for the same taxpayers: idempotency keys belong to them)."""
    account = account_of(*npwps)
    token = MAKER.make(subject=account, scopes=scopes, taxpayer_ids=npwps, act={"sub": account, "name": "Ani"})
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def settings(infra: Any) -> FilingSettings:
    return service_settings(infra, FilingSettings, "filing")


@pytest.fixture
async def api(settings: FilingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(app) as client:
        yield client


@pytest.fixture(scope="module")
def identity() -> Iterator[StandIn]:
    """identity's token and signing endpoints, stood in for on loopback (`identity_standin`)."""
    yield from identity_standin.running()


@pytest.fixture
async def signing_api(settings: FilingSettings, identity: StandIn) -> AsyncIterator[httpx.AsyncClient]:
    """The API as `api`, its identity client pointed at the stand-in."""
    settings = settings.model_copy(update={"identity": IdentityClientSettings(
        base_url=identity.url, client_id=identity.client_id, client_secret=SecretStr(identity.client_secret),
        attempts=2)})
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(app) as client:
        yield client


class Bus:
    """Sends envelopes through the real broker to one of filing's consumers (the real EventConsumer, inbox and
    database), under a consumer group of the test's own: sending the same envelope again is a redelivery the inbox
    sees. Each call uses a fresh one-partition topic, so the envelopes are applied in the order given."""

    def __init__(self, settings: FilingSettings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database, application_name="test.bus", pool_size=2)
        self.sessions = create_sessionmaker(self.engine)
        self.suffix = uuid.uuid4().hex[:8]

    async def send(self, handlers: Handlers, purpose: str, envelopes: Sequence[dict[str, Any]],
                   timeout: float = 30.0) -> None:
        """Apply `envelopes` in order. The last one must be new to the group: once it is in the inbox, everything
        before it on the partition has been consumed (duplicates included)."""
        group = f"filing.{purpose}.{self.suffix}"
        last = uuid.UUID(str(envelopes[-1]["id"]))
        assert not await self._applied(group, [last]), "the last envelope must be new to the group"
        topic = f"test.{uuid.uuid4().hex[:12]}"
        await create_topics(self.settings.kafka.bootstrap_servers, [(topic, 1)])
        producer = make_producer(self.settings.kafka, "test.bus")
        await producer.start()
        try:
            for env in envelopes:
                await (await producer.send(topic, key=env["partition_key"].encode(), value=encode(env),
                                           headers=record_headers(env)))
        finally:
            await producer.stop()
        dlq = make_producer(self.settings.kafka, "test.bus.dlq")
        await dlq.start()
        consumer = EventConsumer(
            group=group, topics=[topic], handlers=handlers, sessions=self.sessions,
            # a broker group of its own per call (joining a group its last member just left waits for a
            # rebalance); the inbox is kept under `group` across calls
            consumer_factory=lambda g: make_consumer(self.settings.kafka, g, group_id=f"{g}.{uuid.uuid4().hex[:6]}",
                                                     max_records=500),
            dlq_producer=dlq, dlq_topic=f"{topic}.dlq", settings=self.settings.consumer)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        ids = list({uuid.UUID(str(e["id"])) for e in envelopes})
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while not await self._applied(group, ids):
                if task.done():
                    task.result()
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"events not applied within {timeout}s")
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
            await dlq.stop()

    async def _applied(self, group: str, ids: list[uuid.UUID]) -> bool:
        async with self.engine.connect() as conn:
            done = (await conn.execute(text("SELECT count(*) FROM inbox WHERE consumer = :c AND "
                                            "event_id = ANY(CAST(:ids AS uuid[]))"), {"c": group, "ids": ids})
                    ).scalar_one()
        return bool(done == len(ids))

    async def close(self) -> None:
        await self.engine.dispose()


@pytest.fixture
async def bus(settings: FilingSettings) -> AsyncIterator[Bus]:
    b = Bus(settings)
    try:
        yield b
    finally:
        await b.close()
