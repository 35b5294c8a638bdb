"""The taxpayer registry replica each consuming service keeps in its own database, built from identity's events.

The shape is shared because every service needs the same core facts; a service adds its own columns as it grows.
Facts older than what the replica holds (by the envelope's `sequence`) are ignored, so replays cannot regress it.
"""

from __future__ import annotations

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


async def apply_taxpayer_registered(session: AsyncSession, envelope: Envelope, event: TaxpayerRegistered) -> None:
    values = dict(npwp=event.npwp, taxpayer_id=event.taxpayer_id, nitku=event.nitku, name=event.name,
                  kind=event.kind, registered_at=event.registered_at, source_sequence=envelope.sequence)
    stmt = insert(_TAXPAYER).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[_TAXPAYER.c.npwp],
        set_={**{k: stmt.excluded[k] for k in values if k != "npwp"}, "updated_at": func.now()},
        where=_TAXPAYER.c.source_sequence <= stmt.excluded.source_sequence,
    ))


def identity_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on(TaxpayerRegistered)(apply_taxpayer_registered)
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
