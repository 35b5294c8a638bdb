"""Inbox: the events a consumer has applied, recorded in the same transaction as the consumer's own change."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, func, text
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


async def claim(
    session: AsyncSession, *, consumer: str, event_id: uuid.UUID, event_type: str, topic: str, partition: int,
    offset: int,
) -> bool:
    """Record the event for this consumer. False means it was applied before: skip it."""
    result = await session.execute(
        insert(_INBOX)
        .values(consumer=consumer, event_id=event_id, event_type=event_type, topic=topic, partition=partition,
                offset=offset)
        .on_conflict_do_nothing()
        .returning(text("1"))
    )
    return result.first() is not None
