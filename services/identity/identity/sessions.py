"""OAuth2 grants: password, refresh_token (rotated, reuse revokes the family), client_credentials (PJAP and
internal services) and token exchange (RFC 8693) to act for another taxpayer, with `act` in the token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit import record
from identity.errors import InvalidClient, InvalidGrant, LoginThrottled, NotRepresentative
from identity.models import (
    Account,
    LoginThrottle,
    Person,
    PJAPClient,
    PJAPDelegation,
    RefreshToken,
    RoleGrant,
    Taxpayer,
)
from identity.numbers import normalise
from identity.passwords import Passwords
from identity.roles import FULL, PERSON_SCOPES, scopes_for
from identity.settings import IdentitySettings
from identity.tokens import TokenIssuer
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.ratelimit import TokenBuckets, enforce

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
TAXPAYER_RESOURCE = "urn:lontar:taxpayer:"
token_buckets = TokenBuckets()  # token requests per machine client, at the client's own rate


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def find_account(s: AsyncSession, login: str) -> tuple[Account, Person] | None:
    """Log in with NIK, NPWP16, NITKU or identity number."""
    login = normalise(login)
    person_id = select(Taxpayer.person_id).where(or_(Taxpayer.npwp == login, Taxpayer.nitku == login),
                                                 Taxpayer.person_id.is_not(None)).scalar_subquery()
    row = (await s.execute(
        select(Account, Person).join(Person, Account.person_id == Person.id)
        .where(or_(Person.nik == login, Person.identity_number == login, Person.id == person_id))
    )).first()
    return (row[0], row[1]) if row else None


async def password_grant(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, issuer: TokenIssuer, *,
                         login: str, password: str, ip: str) -> Issued:
    login = normalise(login)
    async with uow:
        s = uow.session
        throttle = await s.get(LoginThrottle, (login, ip), with_for_update=True)
        now = datetime.now(UTC)
        if throttle and throttle.blocked_until and throttle.blocked_until > now:
            wait = int((throttle.blocked_until - now).total_seconds()) + 1
            raise LoginThrottled(f"try again in {wait} s", retry_after=wait)
        found = await find_account(s, login)
        ok = await passwords.verify(found[0].password_hash if found else None, password)
        if not ok or found is None or found[0].status != "active":
            _count_failure(s, settings, throttle, login, ip, now)
            await record(s, "login_failed", outcome="failure", ip=ip,
                         actor=str(found[0].id) if found else None, details={"login": login[:4] + "****"})
            await uow.commit()
            raise InvalidGrant("the login or password is wrong")
        account, person = found
        if throttle:
            await s.delete(throttle)
        issued = await _issue_for_person(s, settings, issuer, account, person, family=uuid.uuid4())
        await record(s, "login", actor=str(account.id), ip=ip)
        await uow.commit()
        return issued


def _count_failure(s: AsyncSession, settings: IdentitySettings, throttle: LoginThrottle | None, login: str, ip: str,
                   now: datetime) -> None:
    """Back-off per (login, IP) after a few free failures, doubling, capped: it always ends, and a guesser at one
    address cannot lock the owner out from theirs."""
    if throttle is None:
        throttle = LoginThrottle(login=login, ip=ip, failures=0)
        s.add(throttle)
    throttle.failures += 1
    throttle.updated_at = now
    over = throttle.failures - settings.login.free_failures
    if over >= 0:
        throttle.blocked_until = now + timedelta(seconds=min(2 ** over, settings.login.max_backoff_s))


async def _roles_of(s: AsyncSession, person_id: uuid.UUID) -> dict[str, list[str]]:
    rows = (await s.execute(select(Taxpayer.npwp, RoleGrant.role).join(Taxpayer, Taxpayer.id == RoleGrant.taxpayer_id)
                            .where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None)))).all()
    roles: dict[str, list[str]] = {}
    for npwp, role in rows:
        roles.setdefault(npwp, []).append(role)
    return roles


async def _issue_for_person(s: AsyncSession, settings: IdentitySettings, issuer: TokenIssuer, account: Account,
                            person: Person, *, family: uuid.UUID) -> Issued:
    own = (await s.execute(select(Taxpayer.npwp).where(Taxpayer.person_id == person.id))).scalar_one_or_none()
    scopes = list(PERSON_SCOPES) + (list(FULL) if own else [])
    token, ttl = issuer.issue(subject=str(account.id), scopes=scopes, taxpayer_ids=[own] if own else [],
                              roles=await _roles_of(s, person.id), extra={"name": person.full_name})
    refresh = secrets.token_urlsafe(32)
    s.add(RefreshToken(family_id=family, account_id=account.id, token_hash=_hash(refresh), scope=" ".join(scopes),
                       expires_at=datetime.now(UTC) + timedelta(seconds=settings.tokens.refresh_ttl_s)))
    return Issued(token, ttl, " ".join(sorted(set(scopes))), refresh)


async def refresh_grant(uow: UnitOfWork, settings: IdentitySettings, issuer: TokenIssuer, *, refresh_token: str,
                        ip: str) -> Issued:
    async with uow:
        s = uow.session
        stored = (await s.execute(select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token))
                                  .with_for_update())).scalar_one_or_none()
        now = datetime.now(UTC)
        if stored is None:
            raise InvalidGrant("unknown refresh token")
        account = await s.get(Account, stored.account_id)
        if stored.used_at is not None or stored.revoked_at is not None:
            # Reuse of a rotated token: someone holds a copy. Revoke every token of the family.
            await s.execute(update(RefreshToken).where(RefreshToken.family_id == stored.family_id,
                                                       RefreshToken.revoked_at.is_(None)).values(revoked_at=now))
            await record(s, "refresh_token_reuse", outcome="failure", actor=str(stored.account_id), ip=ip,
                         details={"family_id": str(stored.family_id)})
            await uow.commit()
            raise InvalidGrant("refresh token already used: the session is revoked")
        if stored.expires_at <= now or account is None or account.status != "active" \
                or stored.issued_at < account.sessions_valid_after:
            raise InvalidGrant("refresh token expired or revoked")
        stored.used_at = now
        person = await s.get(Person, account.person_id)
        assert person is not None
        issued = await _issue_for_person(s, settings, issuer, account, person, family=stored.family_id)
        await uow.commit()
        return issued


async def client_credentials_grant(uow: UnitOfWork, passwords: Passwords, issuer: TokenIssuer, *, client_id: str,
                                   client_secret: str, resource: str | None, ip: str) -> Issued:
    async with uow:
        s = uow.session
        client = (await s.execute(select(PJAPClient).where(PJAPClient.client_id == client_id))).scalar_one_or_none()
        ok = await passwords.verify(client.secret_hash if client else None, client_secret)
        if client is None or not ok or not client.active:
            await record(s, "client_auth_failed", outcome="failure", actor=client_id, ip=ip)
            await uow.commit()
            raise InvalidClient("unknown client or wrong secret")
        enforce(token_buckets, client.client_id, client.rate_limit_per_minute)
        scopes = client.scopes.split()
        extra = {"client_kind": client.kind, "client_id": client.client_id, "rpm": client.rate_limit_per_minute}
        if resource is None:
            token, ttl = issuer.issue(subject=client.client_id, scopes=scopes, extra=extra)
            await record(s, "client_token", actor=client.client_id, ip=ip)
            await uow.commit()
            return Issued(token, ttl, " ".join(scopes))
        npwp = _taxpayer_of(resource)
        delegation = (await s.execute(
            select(PJAPDelegation).join(Taxpayer, Taxpayer.id == PJAPDelegation.taxpayer_id)
            .where(Taxpayer.npwp == npwp, PJAPDelegation.client_id == client.client_id,
                   PJAPDelegation.revoked_at.is_(None)))).scalar_one_or_none()
        if delegation is None:
            await record(s, "impersonation_denied", outcome="failure", actor=client.client_id, acting_for=npwp, ip=ip)
            await uow.commit()
            raise NotRepresentative(f"{client.client_id} has no delegation from {npwp}")
        granted = sorted(set(scopes) & set(delegation.scopes.split()))
        token, ttl = issuer.issue(subject=npwp, scopes=granted, taxpayer_ids=[npwp],
                                  actor={"sub": client.client_id, "client_kind": client.kind}, extra=extra)
        await record(s, "impersonation", actor=client.client_id, acting_for=npwp, ip=ip)
        await uow.commit()
        return Issued(token, ttl, " ".join(granted))


async def exchange_grant(uow: UnitOfWork, issuer: TokenIssuer, principal: Principal, *, resource: str,
                         ip: str) -> Issued:
    """A person acts for a taxpayer that granted them a role: the new token's subject is the taxpayer and `act`
    names the person, so every action is attributed to the natural person who took it."""
    npwp = _taxpayer_of(resource)
    if principal.actor is not None or principal.claims.get("client_kind"):
        raise InvalidGrant("exchange a person's own token, not a delegated or client token")
    async with uow:
        s = uow.session
        account = await s.get(Account, uuid.UUID(principal.subject))
        if account is None or account.status != "active":
            raise InvalidGrant("unknown account")
        person = await s.get(Person, account.person_id)
        assert person is not None
        roles = (await _roles_of(s, person.id)).get(npwp, [])
        if not roles:
            await record(s, "impersonation_denied", outcome="failure", actor=str(account.id), acting_for=npwp, ip=ip)
            await uow.commit()
            raise NotRepresentative(f"no role for taxpayer {npwp}")
        scopes = scopes_for(roles)
        token, ttl = issuer.issue(
            subject=npwp, scopes=scopes, taxpayer_ids=[npwp], roles={npwp: roles},
            actor={"sub": str(account.id), "name": person.full_name, "identity_number": person.identity_number})
        await record(s, "impersonation", actor=str(account.id), acting_for=npwp, ip=ip, details={"roles": roles})
        await uow.commit()
        return Issued(token, ttl, " ".join(scopes))


def _taxpayer_of(resource: str) -> str:
    if not resource.startswith(TAXPAYER_RESOURCE) or len(resource) != len(TAXPAYER_RESOURCE) + 16:
        raise InvalidGrant(f"resource must be {TAXPAYER_RESOURCE}<NPWP16>")
    return resource[len(TAXPAYER_RESOURCE):]
