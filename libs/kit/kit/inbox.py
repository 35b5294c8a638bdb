"""Inbox: the events a consumer has applied, recorded in the same transaction as the consumer's own change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
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




# One fixed statement for any run length (arrays instead of a VALUES list, which SQLAlchemy would compile anew for
# every batch size: that compile was a fifth of a 500-event run).
_CLAIM = text("""
    INSERT INTO inbox (consumer, event_id, event_type, topic, partition, "offset")
    SELECT :consumer, e.event_id, e.event_type, e.topic, e.partition, e.offset
    FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:topics AS text[]), CAST(:partitions AS int[]),
                CAST(:offsets AS bigint[])) AS e(event_id, event_type, topic, partition, "offset")
    ON CONFLICT DO NOTHING
    RETURNING event_id
""")


async def claim(session: AsyncSession, *, consumer: str, events: list[InboxEntry]) -> set[uuid.UUID]:
    """Record a run of events for this consumer in one statement. Returns the ids recorded now; an id that is not
    returned was applied before (or appears twice in the run): skip it."""
    if not events:
        return set()
    result = await session.execute(_CLAIM, {
        "consumer": consumer, "ids": [e.event_id for e in events], "types": [e.event_type for e in events],
        "topics": [e.topic for e in events], "partitions": [e.partition for e in events],
        "offsets": [e.offset for e in events]})
    return set(result.scalars())


@dataclass(frozen=True)
class InboxEntry:
    event_id: uuid.UUID
    event_type: str
    topic: str
    partition: int
    offset: int
