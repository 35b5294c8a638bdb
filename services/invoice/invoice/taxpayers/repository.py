"""SQL of invoice's replica of the taxpayer registry (kit.replica's table plus the address) and of the PKP status
changes identity announced."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.models import pkp_status_change, taxpayer
from invoice.taxpayers.pkp import PKPStatus


class TaxpayerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pkp_status(self, npwp: str) -> PKPStatus:
        known = (await self.session.execute(select(func.count()).select_from(taxpayer)
                                            .where(taxpayer.c.npwp == npwp))).scalar_one() > 0
        rows = (await self.session.execute(
            select(pkp_status_change.c.effective_date, pkp_status_change.c.is_pkp)
            .where(pkp_status_change.c.npwp == npwp)
            .order_by(pkp_status_change.c.effective_date, pkp_status_change.c.source_sequence,
                      pkp_status_change.c.id))).all()
        return PKPStatus(known or bool(rows), [(d, bool(p)) for d, p in rows])

    async def name_and_address(self, npwp: str) -> dict[str, Any] | None:
        """What the faktur prints of its seller."""
        row = (await self.session.execute(select(taxpayer.c.name, taxpayer.c.address)
                                          .where(taxpayer.c.npwp == npwp))).mappings().first()
        return dict(row) if row else None

    async def set_address(self, taxpayer_id: str, address: str | None, *, sequence: int) -> None:
        """The address from a TaxpayerUpdated, unless the replica holds a newer fact."""
        await self.session.execute(update(taxpayer).where(
            taxpayer.c.taxpayer_id == taxpayer_id, taxpayer.c.source_sequence <= sequence).values(address=address))

    async def move_pkp_changes(self, taxpayer_id: str, from_npwp: str, to_npwp: str) -> None:
        """The taxpayer's NPWP changed from `from_npwp` to `to_npwp`: its PKP history goes with it, to the NPWP the
        replica now knows (a later change may have arrived first)."""
        await self.session.execute(update(pkp_status_change).where(pkp_status_change.c.npwp == from_npwp)
                                   .values(npwp=func.coalesce(_npwp_of(taxpayer_id), to_npwp)))

    async def add_pkp_change(self, *, taxpayer_id: str, npwp: str, effective_date: date, is_pkp: bool,
                             sequence: int, event_id: uuid.UUID) -> None:
        """A PKP status change, once per event, under the taxpayer's NPWP as the replica knows it (a change made
        before an NPWP change may arrive after it: it names the old number), else the one the event names."""
        await self.session.execute(insert(pkp_status_change).values(
            npwp=func.coalesce(_npwp_of(taxpayer_id), npwp), effective_date=effective_date,
            is_pkp=1 if is_pkp else 0, source_sequence=sequence, event_id=event_id).on_conflict_do_nothing())


def _npwp_of(taxpayer_id: str) -> Any:
    """The taxpayer's NPWP in the replica (its newest fact), as a scalar subquery (NULL when not known)."""
    return select(taxpayer.c.npwp).where(taxpayer.c.taxpayer_id == taxpayer_id).scalar_subquery()
