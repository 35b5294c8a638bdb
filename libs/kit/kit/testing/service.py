"""Helpers for a service's own tests: settings on the session's real database and broker, an in-process client."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from contracts.registry import Contract
from kit.consumer import EventConsumer
from kit.db import create_engine, create_sessionmaker
from kit.kafka import create_topics, make_consumer, make_producer
from kit.settings import BaseServiceSettings, DatabaseSettings, KafkaSettings
from kit.testing.events import encode, envelope_for, record_headers
from kit.worker import ConsumerSpec

S = TypeVar("S", bound=BaseServiceSettings)


class SessionInfra(Protocol):
    """What a test needs of the session's servers (the `infra` fixture of devstack's pytest plugin)."""

    bootstrap: str

    def migrated_database(self, package: str) -> str: ...


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def broker_settings(bootstrap: str) -> KafkaSettings:
    """The session's broker, with a 2 s group session: Tansu completes a group join after about half the session
    timeout, so Kafka's default (10 s) would cost every consumer a 5 s start."""
    return KafkaSettings(bootstrap_servers=bootstrap, enable_idempotence=False, session_timeout_ms=2_000,
                         heartbeat_interval_ms=300)


def service_settings(infra: SessionInfra, settings_cls: type[S], package: str) -> S:
    """The service's settings pointed at `<package>_test` (migrated to head) and the session's broker."""
    return settings_cls(
        database=DatabaseSettings(dsn=infra.migrated_database(package), pool_size=5),
        kafka=broker_settings(infra.bootstrap),
        worker_port=free_port(),
    )


@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, reached in-process over HTTP semantics."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def deliver(settings: BaseServiceSettings, spec: ConsumerSpec,
                  events: Sequence[tuple[str, Contract, int] | dict[str, Any]], *, timeout: float = 20.0) -> None:
    """Publish (key, event, sequence) triples to a fresh topic and run the service's consumer on them until each
    has been applied (its inbox has them), through the real broker, EventConsumer and database. An item may also be
    an envelope already made (`envelope_for`): the same one twice is a redelivery."""
    topic = f"test.{uuid.uuid4().hex[:12]}"
    group = f"{settings.service_name}.{spec.purpose}.{uuid.uuid4().hex[:6]}"
    await create_topics(settings.kafka.bootstrap_servers, [(topic, 3)])
    envelopes = [e if isinstance(e, dict) else envelope_for(e[1], key=e[0], sequence=e[2]) for e in events]
    producer = make_producer(settings.kafka, "test.deliver")
    await producer.start()
    try:
        for env in envelopes:
            await (await producer.send(topic, key=env["partition_key"].encode(), value=encode(env),
                                       headers=record_headers(env)))
    finally:
        await producer.stop()

    engine = create_engine(settings.database, application_name="test.deliver", pool_size=2)
    sessions = create_sessionmaker(engine)
    dlq = make_producer(settings.kafka, "test.dlq")
    await dlq.start()
    consumer = EventConsumer(
        group=group, topics=[topic], handlers=spec.handlers, sessions=sessions,
        consumer_factory=lambda g: make_consumer(settings.kafka, g, group_id=g, max_records=500),
        dlq_producer=dlq, dlq_topic=topic + ".dlq", settings=settings.consumer,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    ids = sorted({str(env["id"]) for env in envelopes})
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with engine.connect() as conn:
                done = (await conn.execute(text("SELECT count(*) FROM inbox WHERE consumer = :c AND "
                                                "event_id = ANY(CAST(:ids AS uuid[]))"), {"c": group, "ids": ids}
                                           )).scalar_one()
            if done == len(ids):
                break
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{done} of {len(ids)} events applied within {timeout}s")
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await dlq.stop()
        await engine.dispose()
