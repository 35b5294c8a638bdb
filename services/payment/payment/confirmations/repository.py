"""SQL of the confirmations slice: payments (one per billing code, one per bank reference, one per NTPN)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment.models import Billing, Payment, taxpayer

# Any unique conflict (NTPN, bank reference, billing code) inserts nothing; the service finds out which.
_INSERT = insert(Payment).on_conflict_do_nothing().returning(Payment)


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_bank_reference(self, bank_id: str, bank_reference: str) -> tuple[Payment, Billing] | None:
        row = (await self.session.execute(
            select(Payment, Billing).join(Billing, Billing.id == Payment.billing_id)
            .where(Payment.bank_id == bank_id, Payment.bank_reference == bank_reference)
        )).first()
        return (row[0], row[1]) if row else None

    async def for_billing(self, billing_id: uuid.UUID) -> Payment | None:
        return (await self.session.scalars(select(Payment).where(Payment.billing_id == billing_id))).one_or_none()

    async def insert(self, values: dict[str, Any]) -> Payment | None:
        return (await self.session.scalars(_INSERT, [values])).one_or_none()

    async def by_ntpn(self, ntpn: str) -> tuple[Payment, Billing, str | None] | None:
        """The payment, its billing code and the taxpayer's name from the registry replica (None until known)."""
        row = (await self.session.execute(
            select(Payment, Billing, taxpayer.c.name).join(Billing, Billing.id == Payment.billing_id)
            .outerjoin(taxpayer, taxpayer.c.npwp == Payment.npwp).where(Payment.ntpn == ntpn)
        )).first()
        return (row[0], row[1], row[2]) if row else None
