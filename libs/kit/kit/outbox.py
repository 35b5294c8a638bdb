"""Transactional outbox: a use case writes its events here in its own transaction; the relay publishes them.

The columns are a superset of Debezium's outbox router, so change-data-capture stays an option.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import ENVELOPE_SPEC, Envelope
from contracts.registry import Contract, payload_of
from contracts.topics import events_topic
from kit.db import json_dumps, notify_once
from kit.logging import correlation_id

NOTIFY_CHANNEL = "outbox"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("aggregate_type", Text, nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("event_version", Integer, nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index("outbox_pending_idx", "seq", postgresql_where=text("published_at IS NULL")),
    )


# The statement below only needs the table's shape; each service attaches its own copy to its metadata. Built once:
# executed with a parameter dict, SQLAlchemy compiles it once and reuses it for every event.
_OUTBOX = outbox_table(MetaData())
_INSERT = insert(_OUTBOX)


def outbox_row(
    event: Contract,
    *,
    key: str,
    subject: str,
    aggregate_type: str,
    sequence: int,
    causation_id: str | None = None,
    topic: str | None = None,
) -> dict[str, Any]:
    """The outbox row for `event`: its versioned envelope as the payload, the broker headers, the partition key."""
    event_id = uuid.uuid4()
    payload = envelope_json(event_id, event, subject=subject, sequence=sequence, key=key, at=datetime.now(UTC),
                            correlation=correlation_id.get(), causation=causation_id, data=payload_of(event))
    headers = {
        "event_id": str(event_id),
        "event_type": event.type,
        "event_version": str(event.version),
        "content-type": "application/json",
    }
    if payload["correlation_id"]:
        headers["correlation_id"] = payload["correlation_id"]
    return {
        "id": event_id,
        "topic": topic or events_topic(event.source),
        "key": key,
        "aggregate_type": aggregate_type,
        "aggregate_id": subject,
        "event_type": event.type,
        "event_version": event.version,
        "payload": payload,
        "headers": headers,
    }


def envelope_json(event_id: uuid.UUID, event: Contract, *, subject: str, sequence: int, key: str, at: datetime,
                  correlation: str | None, causation: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope of `event` as `Envelope(...).model_dump(mode="json")` writes it (`data`: the event's JSON,
    `payload_of`). Built directly when every field already is what `Envelope` would validate it to, as producers
    give them (validating and dumping the envelope was a third of an event's cost); anything else goes through
    `Envelope`, which coerces or refuses it as it always did. kit's tests/unit/test_outbox_envelope.py holds them
    equal."""
    if (_text(event.type) and _text(event.source) and _text(subject) and _text(key)
            and type(event.version) is int and event.version >= 1 and type(sequence) is int and sequence >= 0
            and type(event_id) is uuid.UUID and type(at) is datetime and at.tzinfo is UTC
            and _optional_text(correlation) and _optional_text(causation) and type(data) is dict):
        return {"id": str(event_id), "type": event.type, "version": event.version, "source": event.source,
                "subject": subject, "sequence": sequence, "partition_key": key,
                "time": at.isoformat().removesuffix("+00:00") + "Z",  # pydantic's UTC form
                "correlation_id": correlation, "causation_id": causation, "spec": ENVELOPE_SPEC, "data": data}
    return Envelope(id=event_id, type=event.type, version=event.version, source=event.source, subject=subject,
                    sequence=sequence, partition_key=key, time=at, correlation_id=correlation,
                    causation_id=causation, data=data).model_dump(mode="json")


def _text(value: object) -> bool:
    return type(value) is str and value != ""


def _optional_text(value: object) -> bool:
    return value is None or type(value) is str


# -- many events in one statement, inside a set-based write -------------------------------------------------------
_ARRAY_COLUMNS = (("id", "uuid"), ("topic", "text"), ("key", "text"), ("aggregate_type", "text"),
                  ("aggregate_id", "text"), ("event_type", "text"), ("event_version", "integer"),
                  ("payload", "text"), ("headers", "text"))


def outbox_insert_sql(gate: str) -> str:
    """`INSERT INTO outbox` of the rows given by `outbox_arrays`, those whose gate is an `id` of the relation `gate`
    (e.g. a CTE `INSERT ... RETURNING id`: an event goes in exactly when the row it announces did), in the order
    given; for a CTE of a set-based statement (`WITH ..., events AS (<this>) ...`), with `outbox_notify_sql`."""
    columns = ", ".join(name for name, _ in _ARRAY_COLUMNS)
    arrays = ", ".join(f"CAST(:outbox_{name} AS {kind}[])" for name, kind in _ARRAY_COLUMNS)
    values = ", ".join(f"CAST(o.{name} AS jsonb)" if name in ("payload", "headers") else f"o.{name}"
                       for name, _ in _ARRAY_COLUMNS)
    return (f"INSERT INTO outbox ({columns}) SELECT {values} "
            f"FROM unnest(CAST(:outbox_gate AS uuid[]), {arrays}) WITH ORDINALITY AS o(gate, {columns}, n) "
            f"JOIN {gate} g ON g.id = o.gate ORDER BY o.n")


def outbox_notify_sql(gate: str) -> str:
    """A one-row SELECT that wakes the relay once (at commit) when `gate` has rows: `publish`'s NOTIFY, for the same
    statement (a CTE the final SELECT must read, e.g. `LEFT JOIN woken ON true`)."""
    return f"SELECT pg_notify('{NOTIFY_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM {gate})"


def outbox_arrays(rows: list[tuple[object, dict[str, Any]]]) -> dict[str, list[Any]]:
    """The parameters of `outbox_insert_sql`: (gate, `outbox_row(...)`) pairs as one array per column."""
    params: dict[str, list[Any]] = {"outbox_gate": [gate for gate, _ in rows]}
    for name, _ in _ARRAY_COLUMNS:
        params[f"outbox_{name}"] = [json_dumps(row[name]) if name in ("payload", "headers") else row[name]
                                    for _, row in rows]
    return params


async def publish(
    session: AsyncSession,
    event: Contract,
    *,
    key: str,
    subject: str,
    aggregate_type: str,
    sequence: int,
    causation_id: str | None = None,
    topic: str | None = None,
) -> uuid.UUID:
    """Add `event` to the outbox in the session's transaction. Returns the event id.

    `sequence` is the aggregate's version after this change (the envelope's `sequence`): consumers keep the newest
    fact per aggregate by it, so it is required, never a default.

    `key` is the partition key (the taxpayer's NPWP): one taxpayer's events stay in order. Lock the aggregate (or the
    taxpayer row) before calling, so that the outbox order for one key is the commit order.
    """
    row = outbox_row(event, key=key, subject=subject, aggregate_type=aggregate_type, sequence=sequence,
                     causation_id=causation_id, topic=topic)
    await session.execute(_INSERT, row)
    await notify_once(session, NOTIFY_CHANNEL)
    return row["id"]  # type: ignore[no-any-return]
