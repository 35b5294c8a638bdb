"""SQL of sessions: logins, refresh tokens, login back-off, machine clients and their delegations, password
resets."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit.repository import INSERT_CTE, INSERT_CTE_TYPES, AuditRow, insert_cte_parameters
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
from identity.sessions.rules import Backoff, FailureCount, LoginAccount, LoginAttempt, Throttle

LOGIN_LOCKS = 0x6C6F67  # advisory-lock namespace of login attempts ("log")
_LOCK_LOGIN = text(f"SELECT pg_advisory_xact_lock({LOGIN_LOCKS}, hashtext(:key))")

# A password attempt reads everything it is decided on in one statement, after the login's lock (so it sees what
# the attempt before it committed): both back-offs (their rows locked, so a password reset clearing them waits for
# the attempt), the account the login names (NIK, identity number, or its taxpayer's NPWP or NITKU) with what a token
# needs, and whether the account proved itself from this address. An unknown login runs the same statement: the
# known-address probe with a key no account has, as before.
_LOGIN_ATTEMPT = text("""
SELECT t.failures AS t_failures, t.blocked_until AS t_blocked_until,
       b.failures AS b_failures, b.blocked_until AS b_blocked_until, b.last_failure_at AS b_last_failure_at,
       a.id AS account_id, a.status, a.password_hash, a.full_name, k.known, own.npwp AS own_npwp,
       r.npwps AS role_npwps, r.roles
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT failures, blocked_until FROM login_throttle
                   WHERE login = :login AND ip = :ip FOR UPDATE) AS t ON true
LEFT JOIN LATERAL (SELECT failures, blocked_until, last_failure_at FROM login_backoff
                   WHERE login = :key FOR UPDATE) AS b ON true
LEFT JOIN LATERAL (SELECT account.id, account.status, account.password_hash, person.id AS person_id, person.full_name
                   FROM account JOIN person ON person.id = account.person_id
                   WHERE person.nik = :login OR person.identity_number = :login
                      OR person.id = (SELECT taxpayer.person_id FROM taxpayer
                                      WHERE (taxpayer.npwp = :login OR taxpayer.nitku = :login)
                                        AND taxpayer.person_id IS NOT NULL)
                   LIMIT 1) AS a ON true
LEFT JOIN LATERAL (SELECT true AS known FROM known_address
                   WHERE account_id = coalesce(a.id, '00000000-0000-0000-0000-000000000000'::uuid)
                     AND ip = :ip) AS k ON true
LEFT JOIN LATERAL (SELECT npwp FROM taxpayer WHERE person_id = a.person_id) AS own ON true
LEFT JOIN LATERAL (SELECT array_agg(taxpayer.npwp) AS npwps, array_agg(role_grant.role) AS roles
                   FROM role_grant JOIN taxpayer ON taxpayer.id = role_grant.taxpayer_id
                   WHERE role_grant.person_id = a.person_id AND role_grant.revoked_at IS NULL) AS r ON true
""")

# A failed attempt in one statement: both back-offs as `counted_failure` computed them (their rows are locked, or
# absent under the login's lock), and the audit row.
_LOGIN_FAILED = text(f"""
WITH throttle AS (
    INSERT INTO login_throttle (login, ip, failures, blocked_until, updated_at)
    VALUES (:login, :ip, :t_failures, :t_blocked_until, :now)
    ON CONFLICT (login, ip) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until,
                                          updated_at = excluded.updated_at),
backoff AS (
    INSERT INTO login_backoff (login, failures, blocked_until, last_failure_at)
    VALUES (:key, :b_failures, :b_blocked_until, :now)
    ON CONFLICT (login) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until,
                                      last_failure_at = excluded.last_failure_at),
{INSERT_CTE}
SELECT 1
""").bindparams(*INSERT_CTE_TYPES)

# A successful one: forget both back-offs (a success forgets the failures), remember the address, keep the new
# refresh token (its SHA-256) and the audit row.
_LOGIN_SUCCEEDED = text(f"""
WITH forget_throttle AS (DELETE FROM login_throttle WHERE login = :login AND ip = :ip),
forget_backoff AS (DELETE FROM login_backoff WHERE login = :key),
known AS (
    INSERT INTO known_address (account_id, ip, last_seen_at) VALUES (:account_id, :ip, :now)
    ON CONFLICT (account_id, ip) DO UPDATE SET last_seen_at = excluded.last_seen_at),
refresh AS (
    INSERT INTO refresh_token (id, family_id, account_id, token_hash, scope, expires_at)
    VALUES (:refresh_id, :family_id, :account_id, :token_hash, :scope, :expires_at)),
{INSERT_CTE}
SELECT 1
""").bindparams(*INSERT_CTE_TYPES, bindparam("account_id", type_=UUID(as_uuid=True)),
                bindparam("refresh_id", type_=UUID(as_uuid=True)), bindparam("family_id", type_=UUID(as_uuid=True)))


@dataclass(frozen=True)
class NewRefreshToken:
    family_id: uuid.UUID
    token_hash: str  # SHA-256 of the token: the token itself is never stored
    scope: str
    expires_at: datetime


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

    # -- a password attempt: its lock, one statement to read, one to write
    async def lock_login(self, key: str) -> None:
        """Attempts on one login wait for each other until the transaction ends (a transaction-level advisory lock:
        no row needed, so a login nobody has tried yet is covered too)."""
        await self.session.execute(_LOCK_LOGIN, {"key": key})

    async def login_attempt(self, login: str, key: str, ip: str) -> LoginAttempt:
        """Under the login's lock (`lock_login`): see `_LOGIN_ATTEMPT`."""
        row = (await self.session.execute(_LOGIN_ATTEMPT, {"login": login, "key": key, "ip": ip})).one()
        throttle = Throttle(row.t_failures, row.t_blocked_until) if row.t_failures is not None else None
        backoff = (Backoff(row.b_failures, row.b_blocked_until, row.b_last_failure_at)
                   if row.b_failures is not None else None)
        account = None
        if row.account_id is not None:
            roles: dict[str, list[str]] = {}
            for npwp, role in zip(row.role_npwps or (), row.roles or (), strict=True):
                roles.setdefault(npwp, []).append(role)
            account = LoginAccount(id=row.account_id, status=row.status, password_hash=row.password_hash,
                                   full_name=row.full_name, own_npwp=row.own_npwp, roles=roles)
        return LoginAttempt(throttle, backoff, account, known_address=bool(row.known))

    async def login_failed(self, login: str, key: str, ip: str, now: datetime, count: FailureCount,
                           audit: AuditRow) -> None:
        await self.session.execute(_LOGIN_FAILED, {
            "login": login, "key": key, "ip": ip, "now": now, "t_failures": count.throttle.failures,
            "t_blocked_until": count.throttle.blocked_until, "b_failures": count.backoff.failures,
            "b_blocked_until": count.backoff.blocked_until, **insert_cte_parameters(audit)})

    async def login_succeeded(self, login: str, key: str, ip: str, now: datetime, account_id: uuid.UUID,
                              refresh: NewRefreshToken, audit: AuditRow) -> None:
        await self.session.execute(_LOGIN_SUCCEEDED, {
            "login": login, "key": key, "ip": ip, "now": now, "account_id": account_id, "refresh_id": uuid.uuid4(),
            "family_id": refresh.family_id, "token_hash": refresh.token_hash, "scope": refresh.scope,
            "expires_at": refresh.expires_at, **insert_cte_parameters(audit)})

    # -- back-offs and known addresses outside a password attempt (password reset, registration)
    async def clear_throttles(self, logins: Collection[str]) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.login.in_(logins)))

    async def clear_backoff(self, keys: Collection[str]) -> None:
        await self.session.execute(delete(LoginBackoff).where(LoginBackoff.login.in_(keys)))

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
