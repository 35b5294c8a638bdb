"""SQL of the instalments slice: applications and their schedules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from payment.models import Billing, Instalment, InstalmentArrangement


class InstalmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, arrangement: InstalmentArrangement) -> None:
        self.session.add(arrangement)
        await self.session.flush()

    async def add_schedule(self, rows: Sequence[dict[str, Any]]) -> None:
        self.session.add_all([Instalment(**row) for row in rows])
        await self.session.flush()

    async def get(self, arrangement_id: uuid.UUID, *, lock: bool = False) -> InstalmentArrangement | None:
        query = select(InstalmentArrangement).where(InstalmentArrangement.id == arrangement_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def current_for_debt(self, debt_id: uuid.UUID, *, lock: bool = False) -> InstalmentArrangement | None:
        """The debt's application waiting for a decision, or its granted schedule (at most one)."""
        query = select(InstalmentArrangement).where(InstalmentArrangement.debt_id == debt_id,
                                                    InstalmentArrangement.status.in_(("applied", "granted")))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def current_for_spt(self, spt_id: str) -> InstalmentArrangement | None:
        """The SPT's application waiting for a decision, or its granted schedule (at most one)."""
        return (await self.session.scalars(select(InstalmentArrangement).where(
            InstalmentArrangement.spt_id == spt_id,
            InstalmentArrangement.status.in_(("applied", "granted"))))).one_or_none()

    async def spt_code(self, spt_id: str, npwps: Sequence[str], kap_kjs: Sequence[str]) -> Billing | None:
        """The SPT's code for one of `kap_kjs` that is payable or paid (at most one per KAP-KJS: `billing_spt_open_key`),
        if it is a code of one of `npwps`."""
        return (await self.session.scalars(
            select(Billing).where(Billing.spt_id == spt_id, Billing.origin == "spt", Billing.status != "expired",
                                  Billing.npwp.in_(list(npwps)), (Billing.kap + "-" + Billing.kjs).in_(list(kap_kjs)))
            .order_by(Billing.created_at.desc()).limit(1))).one_or_none()

    async def schedule(self, arrangement_id: uuid.UUID, *, lock: bool = False) -> list[Instalment]:
        query = select(Instalment).where(Instalment.arrangement_id == arrangement_id).order_by(Instalment.number)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.scalars(query)).all())

    async def queue(self, limit: int) -> list[InstalmentArrangement]:
        """Applications waiting for a decision, the most urgent first."""
        return list((await self.session.scalars(
            select(InstalmentArrangement).where(InstalmentArrangement.status == "applied")
            .order_by(InstalmentArrangement.decide_by, InstalmentArrangement.id).limit(limit))).all())

    async def with_missed_instalment(self, today: date, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(arrangement, debt) of granted schedules with an unpaid instalment past its due date."""
        missed = exists().where(Instalment.arrangement_id == InstalmentArrangement.id, Instalment.status == "open",
                                Instalment.due_date < today)
        rows = await self.session.execute(
            select(InstalmentArrangement.id, InstalmentArrangement.debt_id)
            .where(InstalmentArrangement.status == "granted", missed)
            .order_by(InstalmentArrangement.id).limit(limit))
        return [(r[0], r[1]) for r in rows]

    async def flush(self) -> None:
        await self.session.flush()
