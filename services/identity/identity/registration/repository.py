"""SQL of registration."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import Account, CompanyOfficer, Person, Registration, Taxpayer


class RegistrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, registration: Registration) -> None:
        self.session.add(registration)
        await self.session.flush()

    async def get(self, registration_id: uuid.UUID) -> Registration | None:
        return await self.session.get(Registration, registration_id)

    async def get_for_update(self, registration_id: uuid.UUID) -> Registration | None:
        return (await self.session.execute(
            select(Registration).where(Registration.id == registration_id).with_for_update()
        )).scalar_one_or_none()

    async def holder(self, *, nik: str | None = None,
                     passport: tuple[str, str] | None = None) -> tuple[Person, Account | None] | None:
        """The person already registered with this NIK or (country, passport number), with their account if any."""
        if nik is not None:
            match = Person.nik == nik
        elif passport is not None:
            match = and_(Person.passport_country == passport[0], Person.passport_number == passport[1])
        else:
            raise ValueError("a NIK or a passport")
        row = (await self.session.execute(
            select(Person, Account).outerjoin(Account, Account.person_id == Person.id).where(match))).first()
        return (row[0], row[1]) if row else None

    async def company_registered(self, ahu_number: str) -> bool:
        return (await self.session.execute(
            select(Taxpayer.id).where(Taxpayer.ahu_number == ahu_number))).first() is not None

    async def number_taken(self, number: str) -> bool:
        """In use as an NPWP, a NIK or an identity number."""
        return (await self.session.execute(select(Taxpayer.id).where(Taxpayer.npwp == number).union_all(
            select(Person.id).where(or_(Person.identity_number == number, Person.nik == number))))).first() is not None

    async def person_of_account(self, account_id: uuid.UUID) -> Person | None:
        return (await self.session.execute(select(Person).join(Account, Account.person_id == Person.id)
                                           .where(Account.id == account_id))).scalar_one_or_none()

    async def person(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def account_of(self, person_id: uuid.UUID) -> Account:
        return (await self.session.execute(select(Account).where(Account.person_id == person_id))).scalar_one()

    async def unclaimed_taxpayer_for_update(self, npwp: str) -> Taxpayer | None:
        """A taxpayer with this NPWP that no person holds yet (migrated from the legacy system, NIK-matched)."""
        return (await self.session.execute(
            select(Taxpayer).where(Taxpayer.npwp == npwp, Taxpayer.person_id.is_(None)).with_for_update()
        )).scalar_one_or_none()

    async def add_person(self, person: Person) -> None:
        self.session.add(person)
        await self.session.flush()

    def add_account(self, account: Account) -> None:
        self.session.add(account)

    def add_officer(self, officer: CompanyOfficer) -> None:
        self.session.add(officer)

    async def flush(self) -> None:
        await self.session.flush()
