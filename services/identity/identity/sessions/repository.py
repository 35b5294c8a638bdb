"""SQL of sessions: logins, refresh tokens, login back-off, machine clients and their delegations, password
resets."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import (
    Account,
    KnownAddress,
    LoginBackoff,
    LoginThrottle,
    PasswordReset,
    Person,
    PJAPClient,
    PJAPDelegation,
    RefreshToken,
    RoleGrant,
    Taxpayer,
)

LOGIN_LOCKS = 0x6C6F67  # advisory-lock namespace of login attempts ("log")


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- people and their logins
    async def find_account(self, login: str) -> tuple[Account, Person] | None:
        """The account whose login (normalised) is this NIK, NPWP16, NITKU or identity number."""
        person_id = select(Taxpayer.person_id).where(or_(Taxpayer.npwp == login, Taxpayer.nitku == login),
                                                     Taxpayer.person_id.is_not(None)).scalar_subquery()
        row = (await self.session.execute(
            select(Account, Person).join(Person, Account.person_id == Person.id)
            .where(or_(Person.nik == login, Person.identity_number == login, Person.id == person_id))
        )).first()
        return (row[0], row[1]) if row else None

    async def account(self, account_id: uuid.UUID, *, lock: bool = False) -> Account | None:
        return await self.session.get(Account, account_id, with_for_update=lock)

    async def person(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def own_npwp(self, person_id: uuid.UUID) -> str | None:
        return (await self.session.execute(
            select(Taxpayer.npwp).where(Taxpayer.person_id == person_id))).scalar_one_or_none()

    async def roles_by_taxpayer(self, person_id: uuid.UUID) -> dict[str, list[str]]:
        """NPWP -> the person's active roles for that taxpayer."""
        rows = (await self.session.execute(
            select(Taxpayer.npwp, RoleGrant.role).join(Taxpayer, Taxpayer.id == RoleGrant.taxpayer_id)
            .where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None)))).all()
        roles: dict[str, list[str]] = {}
        for npwp, role in rows:
            roles.setdefault(npwp, []).append(role)
        return roles

    async def logins_of(self, person_id: uuid.UUID) -> list[str]:
        """Every login the person can use: NIK, identity number, and their taxpayer's NPWP and NITKU."""
        person = await self.person(person_id)
        assert person is not None
        numbers = (await self.session.execute(
            select(Taxpayer.npwp, Taxpayer.nitku).where(Taxpayer.person_id == person_id))).all()
        return [v for v in (person.nik, person.identity_number, *[v for row in numbers for v in row]) if v]

    # -- login back-off
    async def throttle_for_update(self, login: str, ip: str) -> LoginThrottle | None:
        return await self.session.get(LoginThrottle, (login, ip), with_for_update=True)

    def add_throttle(self, throttle: LoginThrottle) -> None:
        self.session.add(throttle)

    async def remove_throttle(self, throttle: LoginThrottle) -> None:
        await self.session.delete(throttle)

    async def clear_throttles(self, logins: Collection[str]) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.login.in_(logins)))

    # -- back-off per login from every address, and the addresses an account proved itself from
    async def lock_login(self, key: str) -> None:
        """Attempts on one login wait for each other until the transaction ends (a transaction-level advisory lock:
        no row needed, so a login nobody has tried yet is covered too)."""
        await self.session.execute(select(func.pg_advisory_xact_lock(LOGIN_LOCKS, func.hashtext(key))))

    async def backoff(self, key: str) -> LoginBackoff | None:
        return await self.session.get(LoginBackoff, key, populate_existing=True)

    async def count_backoff_failure(self, key: str, now: datetime, *, forget_before: datetime) -> int:
        """One more failure for `key` (failures older than `forget_before` are forgotten first); the new count."""
        stmt = insert(LoginBackoff).values(login=key, failures=1, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=[LoginBackoff.login], set_={
            "failures": case((LoginBackoff.last_failure_at < forget_before, literal(1)),
                             else_=LoginBackoff.failures + 1),
            "last_failure_at": now,
        }).returning(LoginBackoff.failures)
        return int((await self.session.execute(stmt)).scalar_one())

    async def block_backoff(self, key: str, until: datetime) -> None:
        await self.session.execute(update(LoginBackoff).where(LoginBackoff.login == key).values(blocked_until=until))

    async def clear_backoff(self, keys: Collection[str]) -> None:
        await self.session.execute(delete(LoginBackoff).where(LoginBackoff.login.in_(keys)))

    async def is_known_address(self, account_id: uuid.UUID, ip: str) -> bool:
        return await self.session.get(KnownAddress, (account_id, ip)) is not None

    async def remember_address(self, account_id: uuid.UUID, ip: str, now: datetime) -> None:
        stmt = insert(KnownAddress).values(account_id=account_id, ip=ip, last_seen_at=now)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[KnownAddress.account_id, KnownAddress.ip], set_={"last_seen_at": now}))

    # -- refresh tokens
    def add_refresh_token(self, token: RefreshToken) -> None:
        self.session.add(token)

    async def refresh_token_for_update(self, token_hash: str) -> RefreshToken | None:
        return (await self.session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )).scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(update(RefreshToken).where(RefreshToken.family_id == family_id,
                                                              RefreshToken.revoked_at.is_(None)).values(revoked_at=now))

    async def revoke_refresh_tokens_of(self, account_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(update(RefreshToken).where(RefreshToken.account_id == account_id,
                                                              RefreshToken.revoked_at.is_(None)).values(revoked_at=now))

    # -- machine clients
    async def client(self, client_id: str) -> PJAPClient | None:
        return (await self.session.execute(
            select(PJAPClient).where(PJAPClient.client_id == client_id))).scalar_one_or_none()

    async def active_delegation(self, npwp: str, client_id: str) -> PJAPDelegation | None:
        return (await self.session.execute(
            select(PJAPDelegation).join(Taxpayer, Taxpayer.id == PJAPDelegation.taxpayer_id)
            .where(Taxpayer.npwp == npwp, PJAPDelegation.client_id == client_id,
                   PJAPDelegation.revoked_at.is_(None)))).scalar_one_or_none()

    # -- password resets
    async def add_reset(self, reset: PasswordReset) -> None:
        self.session.add(reset)
        await self.session.flush()

    async def reset_for_update(self, reset_id: uuid.UUID) -> PasswordReset | None:
        return (await self.session.execute(
            select(PasswordReset).where(PasswordReset.id == reset_id).with_for_update())).scalar_one_or_none()
