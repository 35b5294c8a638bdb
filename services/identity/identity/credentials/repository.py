"""SQL of the signing-credential module."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from identity.credentials.models import SigningAuthority, SigningCredential, SigningSession
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

    def add_session(self, signing_session: SigningSession) -> None:
        self.session.add(signing_session)

    async def signing_session(self, session_id: uuid.UUID) -> SigningSession | None:
        return (await self.session.execute(
            select(SigningSession).where(SigningSession.id == session_id)
            .execution_options(populate_existing=True)
        )).scalar_one_or_none()

    async def session_with_credential(self, session_id: uuid.UUID) -> tuple[SigningSession, SigningCredential] | None:
        row = (await self.session.execute(
            select(SigningSession, SigningCredential)
            .join(SigningCredential, SigningCredential.id == SigningSession.credential_id)
            .where(SigningSession.id == session_id)
        )).first()
        return (row[0], row[1]) if row else None

    async def count_signatures(self, credential_id: uuid.UUID, count: int, now: datetime) -> None:
        """The credential's own counters (its row lock first, as revoking and locking take it, then the session's)."""
        await self.session.execute(
            update(SigningCredential).where(SigningCredential.id == credential_id)
            .values(signature_count=SigningCredential.signature_count + count, last_used_at=now)
            .execution_options(synchronize_session=False))

    async def spend(self, session_id: uuid.UUID, count: int, now: datetime) -> int | None:
        """Take `count` signatures from an open, unexpired session's budget in one statement (no lost update between
        concurrent calls); None when it is closed, expired or has fewer left. Returns the signatures used now."""
        return (await self.session.execute(
            update(SigningSession)
            .where(SigningSession.id == session_id, SigningSession.closed_at.is_(None),
                   SigningSession.expires_at > now,
                   SigningSession.signatures_used + count <= SigningSession.max_signatures)
            .values(signatures_used=SigningSession.signatures_used + count, last_used_at=now)
            .returning(SigningSession.signatures_used)
            .execution_options(synchronize_session=False)
        )).scalar_one_or_none()

    async def close_sessions(self, *, credential_id: uuid.UUID, reason: str, now: datetime,
                             session_id: uuid.UUID | None = None) -> list[uuid.UUID]:
        """Close the credential's open sessions (or only `session_id`) and erase their sealed keys; their ids."""
        where = [SigningSession.credential_id == credential_id, SigningSession.closed_at.is_(None)]
        if session_id is not None:
            where.append(SigningSession.id == session_id)
        return list((await self.session.execute(
            update(SigningSession).where(*where)
            .values(closed_at=now, closed_reason=reason, sealed_key=None, key_nonce=None)
            .returning(SigningSession.id)
            .execution_options(synchronize_session=False)
        )).scalars())

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
