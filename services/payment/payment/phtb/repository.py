"""SQL of the PPh PHTB validation slice: validations, the land offices' subscriptions, and the payments they name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment.models import Billing, LandOfficeSubscription, Payment, PHTBValidation, phtb_validation_number_seq


class PHTBRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def payment_for_update(self, ntpn: str) -> tuple[Payment, Billing] | None:
        """The payment with this NTPN and its code, the payment locked: requests naming one NTPN run one at a time,
        so one payment can never validate two transfers."""
        row = (await self.session.execute(
            select(Payment, Billing).join(Billing, Billing.id == Payment.billing_id).where(Payment.ntpn == ntpn)
            .with_for_update(of=Payment)
        )).first()
        return (row[0], row[1]) if row else None

    async def open_for(self, ntpn: str, nop: str) -> PHTBValidation | None:
        """A pending or validated request for this payment and property."""
        return (await self.session.scalars(
            select(PHTBValidation).where(PHTBValidation.ntpn == ntpn, PHTBValidation.nop == nop,
                                         PHTBValidation.status != "rejected")
        )).first()

    async def ntpn_used(self, ntpn: str, *, other_than: uuid.UUID | None = None) -> PHTBValidation | None:
        """A validated transfer (other than `other_than`) that used this payment."""
        query = select(PHTBValidation).where(PHTBValidation.ntpn == ntpn, PHTBValidation.status == "validated")
        if other_than is not None:
            query = query.where(PHTBValidation.id != other_than)
        return (await self.session.scalars(query)).first()

    async def next_serial(self) -> int:
        return int((await self.session.execute(select(phtb_validation_number_seq.next_value()))).scalar_one())

    async def add(self, validation: PHTBValidation) -> None:
        self.session.add(validation)
        await self.session.flush()

    async def get(self, validation_id: uuid.UUID, *, lock: bool = False) -> PHTBValidation | None:
        query = select(PHTBValidation).where(PHTBValidation.id == validation_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def validated_by_nop(self, nop: str, *, ntpn: str | None, number: str | None) -> PHTBValidation | None:
        query = select(PHTBValidation).where(PHTBValidation.nop == nop, PHTBValidation.status == "validated")
        if ntpn is not None:
            query = query.where(PHTBValidation.ntpn == ntpn)
        if number is not None:
            query = query.where(PHTBValidation.number == number)
        return (await self.session.scalars(query)).first()

    async def queue(self, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[PHTBValidation]:
        """Pending requests, oldest first (keyset on requested_at, id)."""
        query = select(PHTBValidation).where(PHTBValidation.status == "pending")
        if after is not None:
            query = query.where(tuple_(PHTBValidation.requested_at, PHTBValidation.id) > tuple_(*after))
        return list((await self.session.scalars(
            query.order_by(PHTBValidation.requested_at, PHTBValidation.id).limit(limit))).all())

    async def subscribers_for(self, nop: str) -> list[LandOfficeSubscription]:
        """The land offices to tell about a validation of `nop`: every NOP, or a prefix of it."""
        prefixes = func.jsonb_array_elements_text(LandOfficeSubscription.nop_prefixes).table_valued("value")
        matches = select(prefixes.c.value).where(func.starts_with(nop, prefixes.c.value)).exists()
        return list((await self.session.scalars(
            select(LandOfficeSubscription).where(or_(
                func.jsonb_array_length(LandOfficeSubscription.nop_prefixes) == 0, matches))
            .order_by(LandOfficeSubscription.client_id))).all())

    async def upsert_subscription(self, values: dict[str, Any]) -> LandOfficeSubscription:
        statement = insert(LandOfficeSubscription).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[LandOfficeSubscription.client_id],
            set_={"url": statement.excluded.url, "nop_prefixes": statement.excluded.nop_prefixes,
                  "updated_at": statement.excluded.updated_at},
        ).returning(LandOfficeSubscription)
        return (await self.session.scalars(statement, execution_options={"populate_existing": True})).one()

    async def subscription(self, client_id: str) -> LandOfficeSubscription | None:
        return await self.session.get(LandOfficeSubscription, client_id)
