"""Inbox: the events a consumer has applied, recorded in the same transaction as the consumer's own change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_INBOX = inbox_table(MetaData())


async def claim(session: AsyncSession, *, consumer: str, events: list[InboxEntry]) -> set[uuid.UUID]:
    """Record a run of events for this consumer in one statement. Returns the ids recorded now; an id that is not
    returned was applied before (or appears twice in the run): skip it."""
    if not events:
        return set()
    rows = [dict(consumer=consumer, event_id=e.event_id, event_type=e.event_type, topic=e.topic,
                 partition=e.partition, offset=e.offset) for e in events]
    result = await session.execute(insert(_INBOX).values(rows).on_conflict_do_nothing()
                                   .returning(_INBOX.c.event_id))
    return set(result.scalars())


@dataclass(frozen=True)
class InboxEntry:
    event_id: uuid.UUID
    event_type: str
    topic: str
    partition: int
    offset: int
