"""Helpers to build envelopes and read what a service wrote to its outbox."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.registry import Contract, parse, payload_of


def random_npwp() -> str:
    return f"{uuid.uuid4().int % 10**16:016d}"


def envelope_for(event: Contract, *, key: str, subject: str | None = None, sequence: int = 1,
                 event_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The record value a producer would publish for `event` (as a dict; `encode` makes it bytes)."""
    return Envelope(
        id=event_id or uuid.uuid4(), type=event.type, version=event.version, source=event.source,
        subject=subject or key, sequence=sequence, partition_key=key, time=datetime.now(UTC), data=payload_of(event),
    ).model_dump(mode="json")


def encode(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def record_headers(envelope: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [("event_id", str(envelope["id"]).encode()), ("event_type", envelope["type"].encode()),
            ("event_version", str(envelope["version"]).encode()), ("content-type", b"application/json")]


async def outbox_events(session: AsyncSession, *, event_type: str | None = None) -> list[tuple[str, Contract]]:
    """(key, typed event) for each outbox row, in `seq` order."""
    sql = "SELECT key, payload FROM outbox" + (" WHERE event_type = :t" if event_type else "") + " ORDER BY seq"
    rows = (await session.execute(text(sql), {"t": event_type})).all()
    return [(key, parse(payload)[1]) for key, payload in rows]


async def outbox_envelopes(session: AsyncSession, *, event_type: str | None = None,
                           subjects: list[str] | None = None) -> list[tuple[str, Envelope, Contract]]:
    """(key, envelope, typed event) for each outbox row of `event_type` (any) about `subjects` (any), in `seq` order:
    the envelope carries what the event does not (`sequence`, `subject`, ids)."""
    where = [*(["event_type = :t"] if event_type else []), *(["aggregate_id = ANY(:s)"] if subjects else [])]
    sql = "SELECT key, payload FROM outbox" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
    rows = (await session.execute(text(sql), {"t": event_type, "s": subjects})).all()
    return [(key, *parse(payload)) for key, payload in rows]
