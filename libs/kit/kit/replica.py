"""The taxpayer registry replica each consuming service keeps in its own database, built from identity's events.

The shape is shared because every service needs the same core facts; a service adds its own columns as it grows.
Facts older than what the replica holds (by the envelope's `sequence`: identity's version of the taxpayer, one counter
for TaxpayerRegistered and TaxpayerUpdated) are ignored, so replays and out-of-order arrivals cannot regress it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from kit.access import REGISTRY_READ, service_caller
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


_FACTS = ("npwp", "nitku", "name", "kind")  # what identity's current view says; `taxpayer_id` is the identity
_insert = insert(_TAXPAYER)
_not_older = _TAXPAYER.c.source_sequence <= _insert.excluded.source_sequence
# Both statements are built once (compiled once, however many events) and keyed by taxpayer_id, not by npwp: the
# NPWP itself changes (NIK-NPWP matching), and a stale fact naming the old NPWP must find the row where it moved.
_REGISTERED = _insert.on_conflict_do_update(
    index_elements=[_TAXPAYER.c.taxpayer_id],
    # The registration date comes only from TaxpayerRegistered, which can arrive after a newer TaxpayerUpdated:
    # after an NPWP change the later events are keyed by the new NPWP, so they travel on another partition.
    set_={**{k: case((_not_older, _insert.excluded[k]), else_=_TAXPAYER.c[k])
             for k in (*_FACTS, "source_sequence")},
          "registered_at": _insert.excluded.registered_at, "updated_at": func.now()},
    where=or_(_not_older, _TAXPAYER.c.registered_at != _insert.excluded.registered_at),
)
_UPDATED = _insert.on_conflict_do_update(
    index_elements=[_TAXPAYER.c.taxpayer_id],
    set_={**{k: _insert.excluded[k] for k in (*_FACTS, "source_sequence")}, "updated_at": func.now()},
    where=_not_older,
)


async def apply_taxpayers_registered(session: AsyncSession,
                                     events: Sequence[tuple[Envelope, TaxpayerRegistered]]) -> None:
    """Upsert the replica rows, in event order (a later fact for the same taxpayer wins, an older one is ignored)."""
    if events:
        await session.execute(_REGISTERED, [
            dict(npwp=e.npwp, taxpayer_id=e.taxpayer_id, nitku=e.nitku, name=e.name, kind=e.kind,
                 registered_at=e.registered_at, source_sequence=envelope.sequence) for envelope, e in events])


async def apply_taxpayer_registered(session: AsyncSession, envelope: Envelope, event: TaxpayerRegistered) -> None:
    await apply_taxpayers_registered(session, [(envelope, event)])


async def apply_taxpayers_updated(session: AsyncSession, events: Sequence[tuple[Envelope, TaxpayerUpdated]]) -> None:
    """identity's full current view: NPWP (the row moves with it), NITKU, name and kind, unless the replica holds a
    newer fact. A taxpayer not seen yet is added with `updated_at` standing in for the registration date until its
    TaxpayerRegistered arrives."""
    if events:
        await session.execute(_UPDATED, [
            dict(npwp=e.npwp, taxpayer_id=e.taxpayer_id, nitku=e.nitku, name=e.name, kind=e.kind,
                 registered_at=e.updated_at, source_sequence=envelope.sequence) for envelope, e in events])


async def apply_taxpayer_updated(session: AsyncSession, envelope: Envelope, event: TaxpayerUpdated) -> None:
    await apply_taxpayers_updated(session, [(envelope, event)])


def identity_handlers() -> Handlers:
    """The replica's consumer of `identity.events`, for a service that keeps nothing else from them."""
    handlers = Handlers()
    handlers.on_many(TaxpayerRegistered)(apply_taxpayers_registered)
    handlers.on_many(TaxpayerUpdated)(apply_taxpayers_updated)
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
                responses={404: TaxpayerNotReplicated.openapi()}, dependencies=[service_caller(REGISTRY_READ)])
    async def get_replica(request: Request, npwp: Annotated[str, Path(pattern=r"^[0-9]{16}$")]) -> TaxpayerReplicaRead:
        async with state_of(request).sessions() as session:
            row = (await session.execute(select(_TAXPAYER).where(_TAXPAYER.c.npwp == npwp))).mappings().first()
        if row is None:
            raise TaxpayerNotReplicated(f"no taxpayer {npwp} in this service's registry replica")
        return TaxpayerReplicaRead.model_validate(dict(row))

    return router
