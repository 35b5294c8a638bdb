"""SQL of the debts slice: debts (unique per source and reference, and per STP/SKP number), the taxpayer's debts
with their payable code, and the legacy import's records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL
from kit.pagination import CursorParams
from payment.models import Billing, Debt, LegacyDebtImport, Payment, outbox

# A conflict on either unique key (source + reference, or the STP/SKP number) inserts nothing; the service finds
# out which.
_INSERT = insert(Debt).on_conflict_do_nothing()


class DebtRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> Debt | None:
        return (await self.session.scalars(_INSERT.returning(Debt), [values])).one_or_none()

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """The ids of the rows inserted (the others met a debt with their reference or their STP/SKP number)."""
        if not rows:
            return set()
        return set((await self.session.scalars(_INSERT.returning(Debt.id), rows)).all())

    async def by_source(self, source: str, reference: str) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.source == source, Debt.source_reference == reference))).one_or_none()

    async def by_source_references(self, source: str, references: Sequence[str]) -> dict[str, Debt]:
        if not references:
            return {}
        found = await self.session.scalars(
            select(Debt).where(Debt.source == source, Debt.source_reference.in_(references)))
        return {d.source_reference: d for d in found}

    async def by_assessment(self, npwp: str, kap: str, kjs: str, assessment_number: str) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.npwp == npwp, Debt.kap == kap, Debt.kjs == kjs,
                               Debt.assessment_number == assessment_number))).one_or_none()

    async def get(self, debt_id: uuid.UUID) -> tuple[Debt, Billing | None] | None:
        """The debt and its code that is payable or paid, if any."""
        row = (await self.session.execute(
            select(Debt, Billing).outerjoin(Billing, _open_code()).where(Debt.id == debt_id))).first()
        return (row[0], row[1]) if row else None

    async def get_for_update(self, debt_id: uuid.UUID) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.id == debt_id).with_for_update()
            .execution_options(populate_existing=True))).one_or_none()

    async def page(self, npwp: str, params: CursorParams,
                   status: str | None) -> tuple[list[tuple[Debt, Billing | None]], bool]:
        """The taxpayer's debts in (recorded_at, id) order, each with its open code; and whether more follow."""
        query = (select(Debt, Billing).outerjoin(Billing, _open_code()).where(Debt.npwp == npwp)
                 .order_by(Debt.recorded_at, Debt.id).limit(params.limit + 1))
        if status is not None:
            query = query.where(Debt.status == status)
        if params.after is not None:
            query = query.where(tuple_(Debt.recorded_at, Debt.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = (await self.session.execute(query)).all()
        return [(r[0], r[1]) for r in rows[:params.limit]], len(rows) > params.limit

    async def mark_settled(self, debt: Debt, *, settled_at: datetime, ntpn: str | None) -> None:
        debt.status, debt.settled_at, debt.ntpn, debt.version = "settled", settled_at, ntpn, debt.version + 1
        debt.outstanding, debt.interest_next_on = Decimal(0), None
        await self.session.flush()

    async def paid_by(self, ntpn: str) -> tuple[Decimal, int | None]:
        """The amount of the payment `ntpn` and the instalment its code pays (None: the whole debt)."""
        row = (await self.session.execute(
            select(Billing.amount, Billing.instalment_number).join(Payment, Payment.billing_id == Billing.id)
            .where(Payment.ntpn == ntpn))).one()
        return row[0], row[1]

    async def ntpns_for(self, debt_id: uuid.UUID) -> list[str]:
        """The payments of the debt's codes (the whole debt, its instalments), in payment order."""
        rows = await self.session.scalars(
            select(Payment.ntpn).join(Billing, Payment.billing_id == Billing.id)
            .where(Billing.debt_id == debt_id).order_by(Payment.paid_at, Payment.confirmed_at, Payment.ntpn))
        return list(rows)

    async def flush(self) -> None:
        await self.session.flush()

    # -- Art 19 interest -------------------------------------------------------------------------------------------
    async def claim_interest_due(self, today: date, limit: int) -> list[Debt]:
        """Open debts for which another month of interest counts by `today`, locked (SKIP LOCKED: several workers
        never take the same debt, and a debt being paid right now is left to its payment)."""
        return list((await self.session.scalars(
            select(Debt).where(Debt.status == "open", Debt.interest_next_on.is_not(None),
                               Debt.interest_next_on <= today)
            .order_by(Debt.interest_next_on, Debt.id).limit(limit)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))).all())

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in one statement (a batch of imported debts); the relay is woken at
        commit."""
        if rows:
            await self.session.execute(insert(outbox), rows)
            await notify_once(self.session, NOTIFY_CHANNEL)

    # -- the legacy import -----------------------------------------------------------------------------------------
    async def add_import(self, record: LegacyDebtImport) -> None:
        self.session.add(record)
        await self.session.flush()

    async def finish_import(self, import_id: uuid.UUID, *, rows: int, imported: int,
                            report: dict[str, Any]) -> None:
        await self.session.execute(update(LegacyDebtImport).where(LegacyDebtImport.id == import_id)
                                   .values(rows=rows, imported=imported, report=report))

    async def get_import(self, import_id: uuid.UUID) -> LegacyDebtImport | None:
        return await self.session.get(LegacyDebtImport, import_id)


def _open_code() -> Any:
    return and_(Billing.debt_id == Debt.id, Billing.instalment_number.is_(None), Billing.status != "expired")
