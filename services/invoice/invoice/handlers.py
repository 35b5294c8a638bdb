"""Invoice's replica of the taxpayer registry and of PKP status periods, from identity's events."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import PKPStatusChanged, TaxpayerRegistered, TaxpayerUpdated
from invoice.models import pkp_status_change, taxpayer
from kit.consumer import Handlers
from kit.replica import apply_taxpayer_registered


async def apply_taxpayer_updated(session: AsyncSession, envelope: Envelope, event: TaxpayerUpdated) -> None:
    """The full current view: applied unless the replica already holds a newer fact (by sequence)."""
    await session.execute(update(taxpayer).where(
        taxpayer.c.taxpayer_id == event.taxpayer_id, taxpayer.c.source_sequence <= envelope.sequence,
    ).values(npwp=event.npwp, nitku=event.nitku, name=event.name, kind=event.kind, address=event.address,
             source_sequence=envelope.sequence, updated_at=func.now()))
    if event.previous_npwp and event.previous_npwp != event.npwp:
        await session.execute(update(pkp_status_change).where(pkp_status_change.c.npwp == event.previous_npwp)
                              .values(npwp=event.npwp))


async def apply_pkp_status_changed(session: AsyncSession, envelope: Envelope, event: PKPStatusChanged) -> None:
    """Every change is kept with its effective date: whether a seller was PKP is asked for the invoice's date, which
    may be in the past (a PKP revoked today could issue last month)."""
    await session.execute(insert(pkp_status_change).values(
        npwp=event.npwp, effective_date=event.effective_date, is_pkp=1 if event.is_pkp else 0,
        source_sequence=envelope.sequence, event_id=envelope.id).on_conflict_do_nothing())


def identity_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on(TaxpayerRegistered)(apply_taxpayer_registered)
    handlers.on(TaxpayerUpdated)(apply_taxpayer_updated)
    handlers.on(PKPStatusChanged)(apply_pkp_status_changed)
    return handlers
