"""SQL of taxpayers, the people who act for them, their roles, PKP status periods and bank accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import Account, BankAccount, Person, PKPStatusPeriod, RoleGrant, Taxpayer


class TaxpayerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_npwp(self, npwp: str, *, lock: bool = False) -> Taxpayer | None:
        query = select(Taxpayer).where(Taxpayer.npwp == npwp)
        return (await self.session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()

    async def add(self, taxpayer: Taxpayer) -> None:
        """Insert now (unique NPWP, NITKU, AHU number, legacy NPWP15 and person raise IntegrityError here), so that
        rows referring to it can follow: there is no relationship() between the mapped classes."""
        self.session.add(taxpayer)
        await self.session.flush()

    async def own_of(self, person_id: uuid.UUID) -> list[Taxpayer]:
        return list((await self.session.execute(select(Taxpayer).where(Taxpayer.person_id == person_id))).scalars())

    def add_pkp_period(self, period: PKPStatusPeriod) -> None:
        self.session.add(period)

    async def clock(self) -> datetime:
        """The database's time now (not the transaction's start): taken after a lock, it orders what was recorded
        under that lock."""
        return (await self.session.execute(select(func.clock_timestamp()))).scalar_one()

    async def pkp_periods(self, taxpayer_id: uuid.UUID) -> list[PKPStatusPeriod]:
        """By effective date: the status on a date is the last period on or before it."""
        return list((await self.session.execute(
            select(PKPStatusPeriod).where(PKPStatusPeriod.taxpayer_id == taxpayer_id)
            .order_by(PKPStatusPeriod.effective_date, PKPStatusPeriod.recorded_at))).scalars())

    async def bank_accounts(self, taxpayer_id: uuid.UUID, *, refund_only: bool = False) -> list[BankAccount]:
        query = select(BankAccount).where(BankAccount.taxpayer_id == taxpayer_id)
        if refund_only:
            query = query.where(BankAccount.is_refund_account)
        return list((await self.session.execute(query.order_by(BankAccount.created_at))).scalars())

    async def add_bank_account(self, bank: BankAccount) -> None:
        self.session.add(bank)
        await self.session.flush()


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account(self, account_id: uuid.UUID) -> Account | None:
        return await self.session.get(Account, account_id)

    async def person(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def account_of(self, person_id: uuid.UUID) -> Account | None:
        return (await self.session.execute(select(Account).where(Account.person_id == person_id))).scalar_one_or_none()

    async def by_identifier(self, identifier: str) -> Person | None:
        """A person by their NIK or identity number."""
        return (await self.session.execute(select(Person).where(
            or_(Person.identity_number == identifier, Person.nik == identifier)))).scalar_one_or_none()


class RoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_roles(self, taxpayer_id: uuid.UUID, person_id: uuid.UUID) -> list[str]:
        return list((await self.session.execute(select(RoleGrant.role).where(
            RoleGrant.taxpayer_id == taxpayer_id, RoleGrant.person_id == person_id,
            RoleGrant.revoked_at.is_(None)))).scalars())

    async def active_with_role(self, taxpayer_id: uuid.UUID, role: str) -> list[RoleGrant]:
        return list((await self.session.execute(select(RoleGrant).where(
            RoleGrant.taxpayer_id == taxpayer_id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None)))).scalars())

    async def get_for_update(self, grant_id: uuid.UUID) -> RoleGrant | None:
        return await self.session.get(RoleGrant, grant_id, with_for_update=True)

    async def add(self, grant: RoleGrant) -> None:
        self.session.add(grant)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def active_with_persons(self, taxpayer_id: uuid.UUID) -> list[tuple[RoleGrant, Person]]:
        rows = (await self.session.execute(
            select(RoleGrant, Person).join(Person, Person.id == RoleGrant.person_id)
            .where(RoleGrant.taxpayer_id == taxpayer_id, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.granted_at))).all()
        return [(g, p) for g, p in rows]

    async def granted_taxpayers(self, person_id: uuid.UUID) -> list[tuple[Taxpayer, str]]:
        """(taxpayer, role) for each active grant of the person, by taxpayer name."""
        rows = (await self.session.execute(
            select(Taxpayer, RoleGrant.role).join(RoleGrant, RoleGrant.taxpayer_id == Taxpayer.id)
            .where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None))
            .order_by(Taxpayer.name))).all()
        return [(t, r) for t, r in rows]
