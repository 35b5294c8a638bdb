"""SQL of the officer tools."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import NPWPChange, Person, PKPStatusPeriod, Taxpayer


class OfficerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def taxpayer_for_update(self, npwp: str) -> Taxpayer | None:
        return (await self.session.execute(
            select(Taxpayer).where(Taxpayer.npwp == npwp).with_for_update())).scalar_one_or_none()

    async def legacy_taxpayer_for_update(self, npwp: str, npwp15: str) -> Taxpayer | None:
        """The taxpayer a legacy row is about: by its NPWP, or by its NPWP15 once NIK matching moved the NPWP."""
        return (await self.session.execute(
            select(Taxpayer).where(or_(Taxpayer.npwp == npwp, Taxpayer.legacy_npwp15 == npwp15))
            .order_by(Taxpayer.npwp != npwp).limit(1).with_for_update())).scalar_one_or_none()

    async def npwp_in_use(self, npwp: str) -> bool:
        return (await self.session.execute(select(Taxpayer.id).where(Taxpayer.npwp == npwp))).first() is not None

    async def person(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    def add_npwp_change(self, change: NPWPChange) -> None:
        self.session.add(change)

    async def pkp_periods_as_recorded(self, taxpayer_id: uuid.UUID) -> list[PKPStatusPeriod]:
        """In the order recorded; a decision's periods share one instant, its restatements (later dates) first."""
        return list((await self.session.execute(
            select(PKPStatusPeriod).where(PKPStatusPeriod.taxpayer_id == taxpayer_id)
            .order_by(PKPStatusPeriod.recorded_at, PKPStatusPeriod.effective_date.desc()))).scalars())
