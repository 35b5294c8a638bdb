"""The taxpayer registry replica each consuming service keeps in its own database, built from identity's events.

The shape is shared because every service needs the same core facts; a service adds its own columns as it grows.
Facts older than what the replica holds (by the envelope's `sequence`) are ignored, so replays cannot regress it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered
from kit.app import state_of
from kit.consumer import Handlers
from kit.errors import NotFound


def taxpayer_replica_table(metadata: MetaData) -> Table:
    return Table(
        "taxpayer",
        metadata,
        Column("npwp", Text, primary_key=True),
        Column("taxpayer_id", Text, nullable=False, unique=True),
        Column("nitku", Text, nullable=False),
        Column("name", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("registered_at", DateTime(timezone=True), nullable=False),
        Column("source_sequence", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_TAXPAYER = taxpayer_replica_table(MetaData())


_FACTS = ("npwp", "taxpayer_id", "nitku", "name", "kind", "registered_at", "source_sequence")
_insert = insert(_TAXPAYER)
_UPSERT = _insert.on_conflict_do_update(  # built once: compiled once, however many events
    index_elements=[_TAXPAYER.c.npwp],
    set_={**{k: _insert.excluded[k] for k in _FACTS if k != "npwp"}, "updated_at": func.now()},
    where=_TAXPAYER.c.source_sequence <= _insert.excluded.source_sequence,
)


async def apply_taxpayers_registered(session: AsyncSession,
                                     events: Sequence[tuple[Envelope, TaxpayerRegistered]]) -> None:
    """Upsert the replica rows, in event order (a later fact for the same taxpayer wins, an older one is ignored)."""
    if events:
        await session.execute(_UPSERT, [
            dict(npwp=e.npwp, taxpayer_id=e.taxpayer_id, nitku=e.nitku, name=e.name, kind=e.kind,
                 registered_at=e.registered_at, source_sequence=envelope.sequence) for envelope, e in events])


async def apply_taxpayer_registered(session: AsyncSession, envelope: Envelope, event: TaxpayerRegistered) -> None:
    await apply_taxpayers_registered(session, [(envelope, event)])


def identity_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on_many(TaxpayerRegistered)(apply_taxpayers_registered)
    return handlers


class TaxpayerReplicaRead(BaseModel):
    npwp: str
    taxpayer_id: str
    nitku: str
    name: str
    kind: str


class TaxpayerNotReplicated(NotFound):
    code, title = "taxpayer.not_found", "Taxpayer not known to this service"


def replica_router() -> APIRouter:
    router = APIRouter(prefix="/internal/v1/taxpayers", tags=["taxpayer registry (internal)"])

    @router.get("/{npwp}", response_model=TaxpayerReplicaRead,
                summary="This service's replica of a taxpayer, as built from identity's events",
                responses={404: TaxpayerNotReplicated.openapi()})
    async def get_replica(request: Request, npwp: Annotated[str, Path(pattern=r"^\d{16}$")]) -> TaxpayerReplicaRead:
        async with state_of(request).sessions() as session:
            row = (await session.execute(select(_TAXPAYER).where(_TAXPAYER.c.npwp == npwp))).mappings().first()
        if row is None:
            raise TaxpayerNotReplicated(f"no taxpayer {npwp} in this service's registry replica")
        return TaxpayerReplicaRead.model_validate(dict(row))

    return router
