"""SQL of the billing slice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import CursorParams
from payment.models import Billing, Payment, taxpayer

_INSERT = insert(Billing).on_conflict_do_nothing(index_elements=[Billing.code]).returning(Billing)


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> Billing | None:
        """The new code, or None when the code is taken (by any code ever issued): draw another."""
        return (await self.session.scalars(_INSERT, [values])).one_or_none()

    async def get_by_code(self, code: str) -> tuple[Billing, Payment | None] | None:
        row = (await self.session.execute(
            select(Billing, Payment).outerjoin(Payment, Payment.billing_id == Billing.id).where(Billing.code == code)
        )).first()
        return (row[0], row[1]) if row else None

    async def page(self, npwp: str, params: CursorParams, *, status: str | None,
                   spt_id: str | None) -> tuple[list[tuple[Billing, Payment | None]], bool]:
        """The taxpayer's codes in (created_at, id) order, each with its payment; and whether more follow."""
        query = (select(Billing, Payment).outerjoin(Payment, Payment.billing_id == Billing.id)
                 .where(Billing.npwp == npwp).order_by(Billing.created_at, Billing.id).limit(params.limit + 1))
        if status is not None:
            query = query.where(Billing.status == status)
        if spt_id is not None:
            query = query.where(Billing.spt_id == spt_id)
        if params.after is not None:
            query = query.where(tuple_(Billing.created_at, Billing.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = (await self.session.execute(query)).all()
        return [(r[0], r[1]) for r in rows[:params.limit]], len(rows) > params.limit

    async def get_with_taxpayer_name(self, code: str) -> tuple[Billing, str | None] | None:
        """The code and the taxpayer's name from the registry replica (None until identity's event arrived)."""
        row = (await self.session.execute(
            select(Billing, taxpayer.c.name).outerjoin(taxpayer, taxpayer.c.npwp == Billing.npwp)
            .where(Billing.code == code)
        )).first()
        return (row[0], row[1]) if row else None

    async def get_for_update(self, code: str) -> Billing | None:
        """The code, locked: its payment, its expiry and its events happen one at a time."""
        return (await self.session.scalars(
            select(Billing).where(Billing.code == code).with_for_update()
            .execution_options(populate_existing=True)
        )).one_or_none()

    async def open_for_spt(self, spt_id: str, kap: str, kjs: str) -> Billing | None:
        """The SPT's code for this KAP-KJS that is still payable or already paid."""
        return (await self.session.scalars(
            select(Billing).where(Billing.spt_id == spt_id, Billing.kap == kap, Billing.kjs == kjs,
                                  Billing.status != "expired")
        )).first()

    async def open_for_debt(self, debt_id: uuid.UUID, *, lock: bool = False) -> Billing | None:
        """The debt's code that is still payable or already paid (at most one: `billing_debt_open_key`); `lock`
        locks it, as a confirmation does, before the debt."""
        query = select(Billing).where(Billing.debt_id == debt_id, Billing.instalment_number.is_(None),
                                      Billing.status != "expired")
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def open_for_instalments(self, debt_id: uuid.UUID, numbers: list[int] | None = None, *,
                                   lock: bool = False) -> list[Billing]:
        """The debt's instalment codes still payable or paid (all instalments, or those `numbers`), in number
        order; `lock` locks them (codes before the debt, as everywhere)."""
        query = (select(Billing).where(Billing.debt_id == debt_id, Billing.instalment_number.is_not(None),
                                       Billing.status != "expired").order_by(Billing.instalment_number))
        if numbers is not None:
            query = query.where(Billing.instalment_number.in_(numbers))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.scalars(query)).all())

    async def mark_expired(self, billing: Billing, now: datetime) -> None:
        billing.status, billing.expired_at, billing.version = "expired", now, billing.version + 1
        await self.session.flush()

    async def mark_paid(self, billing: Billing, paid_at: datetime) -> None:
        billing.status, billing.paid_at, billing.version = "paid", paid_at, billing.version + 1
        await self.session.flush()

    async def expire_due(self, now: datetime, limit: int) -> list[Billing]:
        """Active codes past their expiry, marked expired (version + 1). Claimed with FOR UPDATE SKIP LOCKED, so two
        workers never take the same code, and a code being paid right now (locked) is left to its payment."""
        due = (select(Billing.id)
               .where(Billing.status == "active", Billing.expires_at <= now)
               .order_by(Billing.expires_at).limit(limit)
               .with_for_update(skip_locked=True))
        return list((await self.session.scalars(
            update(Billing).where(Billing.id.in_(due.scalar_subquery()), Billing.status == "active")
            .values(status="expired", expired_at=now, version=Billing.version + 1)
            .returning(Billing),
            execution_options={"synchronize_session": False, "populate_existing": True},
        )).all())
