"""SQL of the signing-credential module."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from identity.credentials.models import SigningAuthority, SigningCredential
from identity.models import Account, AuditEvent, Person


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_with_person(self, account_id: uuid.UUID) -> tuple[Account, Person] | None:
        row = (await self.session.execute(
            select(Account, Person).join(Person, Person.id == Account.person_id).where(Account.id == account_id)
        )).first()
        return (row[0], row[1]) if row else None

    async def lock_person(self, person_id: uuid.UUID) -> Person | None:
        """The person row, locked: one person's issuances and supersessions happen one at a time."""
        return (await self.session.execute(
            select(Person).where(Person.id == person_id).with_for_update().execution_options(populate_existing=True)
        )).scalar_one_or_none()

    async def active_for_update(self, person_id: uuid.UUID, kind: str) -> SigningCredential | None:
        return (await self.session.execute(
            select(SigningCredential)
            .where(SigningCredential.person_id == person_id, SigningCredential.kind == kind,
                   SigningCredential.status == "active")
            .with_for_update()
        )).scalar_one_or_none()

    async def get_for_update(self, credential_id: uuid.UUID) -> SigningCredential | None:
        return (await self.session.execute(
            select(SigningCredential).where(SigningCredential.id == credential_id).with_for_update()
            .execution_options(populate_existing=True)
        )).scalar_one_or_none()

    async def list_for_account(self, account_id: uuid.UUID) -> list[SigningCredential]:
        return list((await self.session.execute(
            select(SigningCredential).where(SigningCredential.account_id == account_id)
            .order_by(SigningCredential.created_at.desc(), SigningCredential.id)
        )).scalars())

    def add(self, credential: SigningCredential) -> None:
        self.session.add(credential)

    def audit(self, *, action: str, actor_id: str | None, outcome: str = "success", ip: str | None = None,
              acting_for: str | None = None, details: dict[str, Any] | None = None) -> None:
        self.session.add(AuditEvent(action=action, outcome=outcome, actor_id=actor_id, ip=ip, acting_for=acting_for,
                                    details=details or {}))

    async def authority(self, name: str) -> SigningAuthority | None:
        return await self.session.get(SigningAuthority, name)

    async def insert_authority_if_absent(self, *, name: str, certificate_pem: str, private_key_pem: str) -> None:
        await self.session.execute(
            insert(SigningAuthority).values(name=name, certificate_pem=certificate_pem,
                                            private_key_pem=private_key_pem)
            .on_conflict_do_nothing(index_elements=["name"])
        )
