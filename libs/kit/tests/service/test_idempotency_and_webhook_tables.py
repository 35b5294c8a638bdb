"""kit.idempotency on a real database through a real app: the Idempotency-Key claimed before the work, replayed,
refused when reused for another request or while in progress, released on failure, taken over when abandoned; the
fingerprint without named fields or from a dependency. And the tables: the migration helpers create what the table
factories describe (the same columns, keys and indexes as invoice's own migration, checked there)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.testing.infra import Infra
from kit.app import create_service_app, provided
from kit.auth import JWKSCache, Principal
from kit.idempotency import (
    CLAIM_STALE_S,
    Idempotency,
    create_idempotency_table,
    drop_idempotency_table,
    idempotency_table,
    idempotent,
    owner_of,
)
from kit.settings import BaseServiceSettings, DatabaseSettings, service_config
from kit.testing.service import api_client, broker_settings
from kit.testing.tokens import TokenMaker
from kit.webhooks import create_webhook_delivery_table, drop_webhook_delivery_table, webhook_delivery_table

MAKER = TokenMaker()


class IdemSettings(BaseServiceSettings):
    model_config = service_config("KITIDEM_")
    service_name: str = "kitidem"


def _migrate(connection: Connection, *steps: Any) -> None:
    with Operations.context(MigrationContext.configure(connection)):
        for step in steps:
            step()


@pytest.fixture(scope="module")
def database(infra: Infra) -> str:
    """A database whose tables are made by the migration helpers, as a service's first migration would."""
    url = infra.create_database("kit_idempotency_test")

    async def create() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS idempotency_key, webhook_delivery"))
            await conn.run_sync(_migrate, create_idempotency_table, create_webhook_delivery_table)
        await engine.dispose()

    asyncio.run(create())
    return url


def _shape(connection: Connection, table: str, schema: str | None) -> Any:
    i = inspect(connection)
    columns = sorted((c["name"], str(c["type"]), getattr(c["type"], "timezone", None), c["nullable"],
                      c.get("default")) for c in i.get_columns(table, schema))
    pk = i.get_pk_constraint(table, schema)
    indexes = sorted((x["name"], tuple(x["column_names"]), x.get("dialect_options", {}).get("postgresql_where"))
                     for x in i.get_indexes(table, schema))
    return columns, (pk["name"], pk["constrained_columns"]), indexes


async def test_the_migration_helpers_create_what_the_factories_describe(database: str) -> None:
    engine = create_async_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS by_factory CASCADE"))
            await conn.execute(text("CREATE SCHEMA by_factory"))
            factory = MetaData(schema="by_factory")
            idempotency_table(factory)
            webhook_delivery_table(factory)
            await conn.run_sync(factory.create_all)
            for table in ("idempotency_key", "webhook_delivery"):
                migrated = await conn.run_sync(_shape, table, None)
                assert migrated == await conn.run_sync(_shape, table, "by_factory"), table
                assert migrated[1][0] == f"{table}_pkey"
            await conn.execute(text("DROP SCHEMA by_factory CASCADE"))
        async with engine.begin() as conn:  # and the helpers undo what they did
            await conn.run_sync(_migrate, drop_idempotency_table, drop_webhook_delivery_table)
            await conn.run_sync(_migrate, create_idempotency_table, create_webhook_delivery_table)
    finally:
        await engine.dispose()


# -- the claim through an app ---------------------------------------------------------------------------------------
class Thing(BaseModel):
    id: str
    name: str


class World:
    def __init__(self, http: httpx.AsyncClient, database: str) -> None:
        self.http, self.database = http, database
        self.runs: list[str] = []
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.fail = False

    async def rows(self, key: str) -> list[dict[str, Any]]:
        engine = create_async_engine(self.database)
        try:
            async with engine.connect() as conn:
                return [dict(r) for r in (await conn.execute(text(
                    "SELECT state, status_code, response FROM idempotency_key WHERE key = :k"), {"k": key})).mappings()]
        finally:
            await engine.dispose()


def upload_parts(request: Request) -> list[bytes]:
    """A fingerprint from a dependency: only the `file` query parameter identifies the request."""
    return [request.query_params.get("file", "").encode()]


@pytest.fixture
async def world(infra: Infra, database: str) -> AsyncIterator[World]:
    settings = IdemSettings(database=DatabaseSettings(dsn=database, pool_size=5),
                            kafka=broker_settings(infra.bootstrap))
    router = APIRouter()
    holder: dict[str, World] = {}

    async def make(name: str) -> Thing:
        w = holder["world"]
        w.runs.append(name)
        w.started.set()
        if w.gate is not None:
            await w.gate.wait()
        if w.fail:
            raise RuntimeError("the work failed")
        return Thing(id=str(uuid.uuid4()), name=name)

    @router.post("/things", status_code=201)
    async def create_thing(name: Annotated[str, Body(embed=True)],
                           idem: Annotated[Idempotency, idempotent(exclude=("secret",))]) -> JSONResponse:
        return await idem.run(201, lambda: make(name))

    @router.post("/uploads", status_code=202)
    async def upload(idem: Annotated[Idempotency, idempotent(body=upload_parts)]) -> JSONResponse:
        return await idem.run(202, lambda: make("upload"))

    app = create_service_app(settings, routers=[router],
                             startup=[provided(JWKSCache(settings.auth, keys=MAKER.jwks()))])
    async with api_client(app) as http:
        holder["world"] = World(http, database)
        yield holder["world"]


def headers(key: str | None = None, subject: str = "client-1") -> dict[str, str]:
    h = {"authorization": "Bearer " + MAKER.make(subject=subject, act={"sub": "person-1"})}
    return {**h, "Idempotency-Key": key} if key else h


async def test_without_a_key_every_request_runs(world: World) -> None:
    for _ in range(2):
        assert (await world.http.post("/things", json={"name": "a"}, headers=headers())).status_code == 201
    assert world.runs == ["a", "a"]


async def test_the_same_request_again_gets_the_first_response(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    first = await world.http.post("/things", json={"name": "a"}, headers=headers(key))
    again = await world.http.post("/things", json={"name": "a"}, headers=headers(key))
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert world.runs == ["a"]
    assert await world.rows(key) == [{"state": "done", "status_code": 201, "response": first.json()}]
    other = await world.http.post("/things", json={"name": "b"}, headers=headers(key))
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    mine = await world.http.post("/things", json={"name": "b"}, headers=headers(key, subject="client-2"))
    assert mine.status_code == 201  # keys are per owner


async def test_excluded_fields_are_not_part_of_the_fingerprint(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    first = await world.http.post("/things", json={"name": "a", "secret": "one"}, headers=headers(key))
    again = await world.http.post("/things", json={"secret": "two", "name": "a"}, headers=headers(key))
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


async def test_a_fingerprint_from_a_dependency(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    first = await world.http.post("/uploads?file=x", content=b"boundary-1", headers=headers(key))
    again = await world.http.post("/uploads?file=x", content=b"boundary-2", headers=headers(key))
    assert first.status_code == 202 and again.json() == first.json() and world.runs == ["upload"]
    other = await world.http.post("/uploads?file=y", headers=headers(key))
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"


async def test_a_concurrent_request_with_the_key_is_told_to_retry(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    world.gate = asyncio.Event()
    first = asyncio.create_task(world.http.post("/things", json={"name": "a"}, headers=headers(key)))
    await world.started.wait()  # the first holds the claim while its work waits
    second = await world.http.post("/things", json={"name": "a"}, headers=headers(key))
    assert second.status_code == 409 and second.json()["code"] == "idempotency.in_progress"
    assert [r["state"] for r in await world.rows(key)] == ["pending"]
    world.gate.set()
    assert (await first).status_code == 201 and world.runs == ["a"]


async def test_a_failed_request_releases_its_key(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    world.fail = True
    failed = await world.http.post("/things", json={"name": "a"}, headers=headers(key))
    assert failed.status_code == 500 and failed.json()["code"] == "internal"
    assert await world.rows(key) == []
    world.fail = False
    assert (await world.http.post("/things", json={"name": "a"}, headers=headers(key))).status_code == 201
    assert world.runs == ["a", "a"]


async def test_an_abandoned_claim_is_taken_over(world: World) -> None:
    key = f"k-{uuid.uuid4()}"
    claim = Idempotency(None, owner_of(Principal("client-1", frozenset(), actor={"sub": "person-1"})), key,  # type: ignore[arg-type]
                        b"POST/things\n", b'{"name":"a"}', frozenset({"secret"}))  # as the route fingerprints it
    engine = create_async_engine(world.database)
    try:
        async with engine.begin() as conn:  # a process crashed while it held the claim, longer ago than the limit
            await conn.execute(text(
                "INSERT INTO idempotency_key (owner, key, request_hash, state, created_at) "
                "VALUES (:o, :k, :h, 'pending', now() - make_interval(secs => :age))"),
                {"o": claim.owner, "k": key, "h": claim.fingerprint(), "age": CLAIM_STALE_S + 1})
    finally:
        await engine.dispose()
    r = await world.http.post("/things", content=b'{"name":"a"}',
                              headers={**headers(key), "content-type": "application/json"})
    assert r.status_code == 201 and world.runs == ["a"]
    assert [row["state"] for row in await world.rows(key)] == ["done"]
