"""Database plumbing: declarative base with naming conventions, engine and sessions, the unit of work."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

from sqlalchemy import DateTime, MetaData, event, func, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column

from kit.settings import DatabaseSettings

NAMING_CONVENTION = {
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def json_dumps(value: Any) -> str:
    """JSON for JSONB columns. Decimals become strings, never floats."""
    return _ENCODER.encode(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (uuid.UUID,)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# What `json.dumps(value, default=_json_default, separators=(",", ":"))` writes, without a new encoder per call: a
# third of its cost for an event's envelope, written for every event and every JSONB value.
_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"))


def create_engine(settings: DatabaseSettings, *, application_name: str, pool_size: int | None = None) -> AsyncEngine:
    engine = create_async_engine(
        settings.url,
        pool_size=pool_size or settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.connect_timeout_s,
        json_serializer=json_dumps,
        connect_args={
            "server_settings": {"application_name": application_name},
            "command_timeout": settings.command_timeout_s,
            "timeout": settings.connect_timeout_s,
        },
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    return engine


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (a restart, a terminated backend: the socket was closed, which
    asyncpg noticed while it sat idle) is replaced on checkout, without a round trip. SQLAlchemy's `pool_pre_ping`
    would ask the server instead, and with asyncpg that is three round trips (BEGIN, a query, ROLLBACK) on every
    checkout. A connection that dies unnoticed still fails its statement; SQLAlchemy then invalidates the whole
    pool, and the request answers 503 `Retry-After` (kit.errors: transient)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class UnitOfWork:
    """One use case, one transaction: `async with UnitOfWork(sessions) as uow: ...; await uow.commit()`.

    Leaving the block without `commit()` rolls back. Events go into the outbox through `uow.session` before commit.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self.session, None
        # close() rolls back what was not committed and detaches loaded objects without expiring them, so the
        # caller can still read what the use case returned.
        await session.close()

    async def commit(self) -> None:
        await self.session.commit()


_NOTIFY = text("SELECT pg_notify(:channel, '')")


async def notify_once(session: AsyncSession, channel: str) -> None:
    """`pg_notify(channel)` once per transaction of `session` (PostgreSQL delivers it at commit): listeners wake at
    once instead of at their next poll. A second NOTIFY in the same transaction would only cost a round trip."""
    transaction = session.sync_session.get_transaction()
    notified = session.info.setdefault("notified", {})
    if transaction is not None and notified.get(channel) is transaction:
        return
    await session.execute(_NOTIFY, {"channel": channel})
    notified[channel] = transaction
