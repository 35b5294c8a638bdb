"""All SQL of the registry replica: taxpayers (kit.replica's table) and PKP status changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from filing.models import taxpayer
from filing.registry.models import pkp_status_change

_ADD_CHANGES = insert(pkp_status_change).on_conflict_do_nothing()


@dataclass(frozen=True)
class TaxpayerRow:
    taxpayer_id: str
    npwp: str
    name: str
    kind: str
    registered_at: datetime


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_pkp_changes(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(_ADD_CHANGES, list(rows))

    async def taxpayer(self, npwp: str) -> TaxpayerRow | None:
        row = (await self.session.execute(
            select(taxpayer.c.taxpayer_id, taxpayer.c.npwp, taxpayer.c.name, taxpayer.c.kind, taxpayer.c.registered_at)
            .where(taxpayer.c.npwp == npwp))).first()
        return TaxpayerRow(*row) if row is not None else None

    async def pkp_changes(self, taxpayer_id: str) -> list[tuple[date, bool]]:
        """(effective date, is PKP) in the order identity published them (its taxpayer version)."""
        rows = await self.session.execute(
            select(pkp_status_change.c.effective_date, pkp_status_change.c.is_pkp)
            .where(pkp_status_change.c.taxpayer_id == taxpayer_id)
            .order_by(pkp_status_change.c.source_sequence, pkp_status_change.c.effective_date))
        return [(d, bool(p)) for d, p in rows]

    # -- many at once (a batch of submissions) ---------------------------------------------------------------------
    async def taxpayers(self, npwps: Sequence[str]) -> dict[str, TaxpayerRow]:
        rows = await self.session.execute(
            select(taxpayer.c.taxpayer_id, taxpayer.c.npwp, taxpayer.c.name, taxpayer.c.kind, taxpayer.c.registered_at)
            .where(taxpayer.c.npwp == func.any(list(npwps))))
        return {r.npwp: TaxpayerRow(*r) for r in rows}

    async def pkp_changes_of(self, taxpayer_ids: Sequence[str]) -> dict[str, list[tuple[date, bool]]]:
        """`pkp_changes` of many taxpayers, each in the same order."""
        found: dict[str, list[tuple[date, bool]]] = {i: [] for i in taxpayer_ids}
        rows = await self.session.execute(
            select(pkp_status_change.c.taxpayer_id, pkp_status_change.c.effective_date, pkp_status_change.c.is_pkp)
            .where(pkp_status_change.c.taxpayer_id == func.any(list(taxpayer_ids)))
            .order_by(pkp_status_change.c.taxpayer_id, pkp_status_change.c.source_sequence,
                      pkp_status_change.c.effective_date))
        for taxpayer_id, effective, is_pkp in rows:
            found[taxpayer_id].append((effective, bool(is_pkp)))
        return found
