"""Invoice's consumer of identity's events: the taxpayer registry replica (kit's, plus the address printed on the
faktur) and the PKP status periods a seller's invoices are judged by."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import PKPStatusChanged, TaxpayerRegistered, TaxpayerUpdated
from invoice.taxpayers.repository import TaxpayerRepository
from kit import replica
from kit.consumer import Handlers


async def apply_taxpayer_updated(session: AsyncSession, envelope: Envelope, event: TaxpayerUpdated) -> None:
    """The full current view (kit's replica), plus the address invoice keeps: unless the replica holds a newer
    fact (by sequence), in which case the kit left `source_sequence` above this one."""
    await replica.apply_taxpayer_updated(session, envelope, event)
    repo = TaxpayerRepository(session)
    await repo.set_address(event.taxpayer_id, event.address, sequence=envelope.sequence)
    if event.previous_npwp and event.previous_npwp != event.npwp:
        await repo.move_pkp_changes(event.taxpayer_id, event.previous_npwp, event.npwp)


async def apply_pkp_status_changed(session: AsyncSession, envelope: Envelope, event: PKPStatusChanged) -> None:
    """Every change is kept with its effective date: whether a seller was PKP is asked for the invoice's date, which
    may be in the past (a PKP revoked today could issue last month). Changes of one day are ordered by identity's
    version of the taxpayer (the sequence), not by arrival."""
    await TaxpayerRepository(session).add_pkp_change(
        taxpayer_id=event.taxpayer_id, npwp=event.npwp, effective_date=event.effective_date, is_pkp=event.is_pkp,
        sequence=envelope.sequence, event_id=envelope.id)


def identity_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on(TaxpayerRegistered)(replica.apply_taxpayer_registered)
    handlers.on(TaxpayerUpdated)(apply_taxpayer_updated)
    handlers.on(PKPStatusChanged)(apply_pkp_status_changed)
    return handlers
