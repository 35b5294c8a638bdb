"""Session use cases: the OAuth2 grants (password; refresh_token, rotated, reuse revokes the family;
client_credentials for PJAP and internal services; token exchange, RFC 8693, to act for another taxpayer with `act`
in the token) and password reset (the same answer whether or not the login exists; a reset password logs in; every
session and refresh token issued before the reset is revoked). Each commits its own transaction."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit.service import AuditRow, record
from identity.models import Account, PasswordReset, Person, RefreshToken
from identity.numbers import normalise
from identity.otp import service as otp
from identity.otp.errors import OTPInvalid
from identity.passwords import Passwords, check_password_rules
from identity.roles import FULL, PERSON_SCOPES, scopes_for
from identity.sessions.errors import (
    ClientNotDelegated,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    LoginThrottled,
    NoRoleForTarget,
    ResetNotFound,
)
from identity.sessions.repository import NewRefreshToken, SessionRepository
from identity.sessions.rules import (
    backoff_key,
    counted_failure,
    masked_login,
    narrowed,
    person_scopes,
    taxpayer_of,
    token_hash,
)
from identity.settings import IdentitySettings
from identity.tokens import TokenIssuer
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.ratelimit import TokenBuckets, enforce

RESET_PURPOSE = "password_reset"
RESET_TTL = timedelta(minutes=30)
token_buckets = TokenBuckets()  # token requests per machine client, at the client's own rate


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None


async def password_grant(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, issuer: TokenIssuer, *,
                         login: str, password: str, ip: str) -> Issued:
    """Log in with NIK, NPWP16, NITKU or identity number.

    Two back-offs, both ending on their own: per (login, address), and per login from every address, which slows a
    guesser who rotates addresses but does not apply at the addresses the account has proved itself from (so nobody
    can keep the owner out; a password reset makes the address it was done from known). Unknown logins do the same
    work (a lookup, an Argon2id check against a dummy hash, the same counters keyed by the login as typed) and get
    the same answers, throttling included (OWASP ASVS 5.0 V6.3.8)."""
    async with passwords.admitted():  # under a surge: 503 at once, before taking a connection or a lock
        return await _password_grant(uow, settings, passwords, issuer, login=normalise(login), password=password,
                                     ip=ip)


async def _password_grant(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, issuer: TokenIssuer, *,
                          login: str, password: str, ip: str) -> Issued:
    # Three statements whatever the outcome (the lock, one read, one write; the hash between): a surge's hot path.
    key = backoff_key(login)
    async with uow:
        repo = SessionRepository(uow.session)
        await repo.lock_login(key)  # attempts on one login one at a time: a burst cannot outrun the count
        now = datetime.now(UTC)
        attempt = await repo.login_attempt(login, key, ip)
        if attempt.throttle and attempt.throttle.blocked_until and attempt.throttle.blocked_until > now:
            raise _throttled(attempt.throttle.blocked_until, now)
        backoff = attempt.backoff
        if not attempt.known_address and backoff and backoff.blocked_until and backoff.blocked_until > now:
            raise _throttled(backoff.blocked_until, now)
        account = attempt.account
        ok = await passwords.verify(account.password_hash if account else None, password)
        if not ok or account is None or account.status != "active":
            await repo.login_failed(login, key, ip, now, counted_failure(attempt.throttle, backoff, now, settings.login),
                                    AuditRow("login_failed", outcome="failure", ip=ip,
                                             actor=str(account.id) if account else None,
                                             details={"login": masked_login(login)}))
            await uow.commit()
            raise InvalidGrant("the login or password is wrong")
        # a success forgets the failures (Keycloak, NIST SP 800-63B §5.2.2) and makes the address known
        family = uuid.uuid4()
        scopes = person_scopes(account.own_npwp)
        # `sid`: the login session (the refresh-token family, the same across refreshes): what a signing session is
        # bound to
        token, ttl = issuer.issue(subject=str(account.id), scopes=list(scopes),
                                  taxpayer_ids=[account.own_npwp] if account.own_npwp else [], roles=account.roles,
                                  extra={"name": account.full_name, "sid": str(family)})
        refresh = secrets.token_urlsafe(32)
        await repo.login_succeeded(login, key, ip, now, account.id, NewRefreshToken(
            family_id=family, token_hash=token_hash(refresh), scope=" ".join(scopes),
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.tokens.refresh_ttl_s)),
            AuditRow("login", actor=str(account.id), ip=ip))
        await uow.commit()
        return Issued(token, ttl, " ".join(sorted(set(scopes))), refresh)


def _throttled(until: datetime, now: datetime) -> LoginThrottled:
    wait = int((until - now).total_seconds()) + 1
    return LoginThrottled(f"try again in {wait} s", retry_after=wait)


async def _issue_for_person(repo: SessionRepository, settings: IdentitySettings, issuer: TokenIssuer,
                            account: Account, person: Person, *, family: uuid.UUID) -> Issued:
    own = await repo.own_npwp(person.id)
    scopes = list(PERSON_SCOPES) + (list(FULL) if own else [])
    # `sid`: the login session (the refresh-token family, the same across refreshes): what a signing session is bound to
    token, ttl = issuer.issue(subject=str(account.id), scopes=scopes, taxpayer_ids=[own] if own else [],
                              roles=await repo.roles_by_taxpayer(person.id),
                              extra={"name": person.full_name, "sid": str(family)})
    refresh = secrets.token_urlsafe(32)
    repo.add_refresh_token(RefreshToken(
        family_id=family, account_id=account.id, token_hash=token_hash(refresh), scope=" ".join(scopes),
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.tokens.refresh_ttl_s)))
    return Issued(token, ttl, " ".join(sorted(set(scopes))), refresh)


async def refresh_grant(uow: UnitOfWork, settings: IdentitySettings, issuer: TokenIssuer, *, refresh_token: str,
                        ip: str) -> Issued:
    async with uow:
        s = uow.session
        repo = SessionRepository(s)
        stored = await repo.refresh_token_for_update(token_hash(refresh_token))
        now = datetime.now(UTC)
        if stored is None:
            raise InvalidGrant("unknown refresh token")
        account = await repo.account(stored.account_id)
        if stored.used_at is not None or stored.revoked_at is not None:
            # Reuse of a rotated token: someone holds a copy. Revoke every token of the family.
            await repo.revoke_family(stored.family_id, now)
            await record(s, "refresh_token_reuse", outcome="failure", actor=str(stored.account_id), ip=ip,
                         details={"family_id": str(stored.family_id)})
            await uow.commit()
            raise InvalidGrant("refresh token already used: the session is revoked")
        if stored.expires_at <= now or account is None or account.status != "active" \
                or stored.issued_at < account.sessions_valid_after:
            raise InvalidGrant("refresh token expired or revoked")
        stored.used_at = now
        person = await repo.person(account.person_id)
        assert person is not None
        issued = await _issue_for_person(repo, settings, issuer, account, person, family=stored.family_id)
        await uow.commit()
        return issued


async def client_credentials_grant(uow: UnitOfWork, passwords: Passwords, issuer: TokenIssuer, *, client_id: str,
                                   client_secret: str, resource: str | None, ip: str,
                                   scope: str | None = None) -> Issued:
    """A machine client's own token; with `resource`, a token to act for a taxpayer that delegated to it; with
    `scope`, only those of its scopes. The secret is an Argon2id hash too: admitted like a login."""
    async with passwords.admitted():
        return await _client_credentials_grant(uow, passwords, issuer, client_id=client_id,
                                               client_secret=client_secret, resource=resource, ip=ip, scope=scope)


async def _client_credentials_grant(uow: UnitOfWork, passwords: Passwords, issuer: TokenIssuer, *, client_id: str,
                                    client_secret: str, resource: str | None, ip: str, scope: str | None) -> Issued:
    npwp = taxpayer_of(resource) if resource is not None else None
    async with uow:
        s = uow.session
        repo = SessionRepository(s)
        client = await repo.client(client_id)
        ok = await passwords.verify(client.secret_hash if client else None, client_secret)
        if client is None or not ok or not client.active:
            await record(s, "client_auth_failed", outcome="failure", actor=client_id, ip=ip)
            await uow.commit()
            raise InvalidClient("unknown client or wrong secret")
        enforce(token_buckets, client.client_id, client.rate_limit_per_minute)
        scopes = client.scopes.split()
        extra = {"client_kind": client.kind, "client_id": client.client_id, "rpm": client.rate_limit_per_minute}
        if npwp is None:
            scopes = narrowed(scopes, scope)
            token, ttl = issuer.issue(subject=client.client_id, scopes=scopes, extra=extra)
            await record(s, "client_token", actor=client.client_id, ip=ip)
            await uow.commit()
            return Issued(token, ttl, " ".join(scopes))
        delegation = await repo.active_delegation(npwp, client.client_id)
        if delegation is None:
            await record(s, "impersonation_denied", outcome="failure", actor=client.client_id, acting_for=npwp, ip=ip)
            await uow.commit()
            raise ClientNotDelegated(f"{client.client_id} has no delegation from {npwp}")
        granted = narrowed(sorted(set(scopes) & set(delegation.scopes.split())), scope)
        token, ttl = issuer.issue(subject=npwp, scopes=granted, taxpayer_ids=[npwp],
                                  actor={"sub": client.client_id, "client_kind": client.kind}, extra=extra)
        await record(s, "impersonation", actor=client.client_id, acting_for=npwp, ip=ip)
        await uow.commit()
        return Issued(token, ttl, " ".join(granted))


async def exchange_grant(uow: UnitOfWork, issuer: TokenIssuer, principal: Principal, *, resource: str,
                         ip: str, scope: str | None = None) -> Issued:
    """A person acts for a taxpayer that granted them a role: the new token's subject is the taxpayer and `act`
    names the person, so every action is attributed to the natural person who took it."""
    npwp = taxpayer_of(resource)
    if principal.actor is not None or principal.claims.get("client_kind"):
        raise InvalidRequest("exchange a person's own token, not a delegated or client token")  # RFC 8693 §2.2.2
    async with uow:
        s = uow.session
        repo = SessionRepository(s)
        account = await repo.account(uuid.UUID(principal.subject))
        if account is None or account.status != "active":
            raise InvalidRequest("the subject token's account is not active")
        person = await repo.person(account.person_id)
        assert person is not None
        roles = (await repo.roles_by_taxpayer(person.id)).get(npwp, [])
        if not roles:
            await record(s, "impersonation_denied", outcome="failure", actor=str(account.id), acting_for=npwp, ip=ip)
            await uow.commit()
            raise NoRoleForTarget(f"no role for taxpayer {npwp}")
        scopes = narrowed(scopes_for(roles), scope)
        sid = principal.claims.get("sid")  # the person's login session carries over to the token acting for the taxpayer
        token, ttl = issuer.issue(
            subject=npwp, scopes=scopes, taxpayer_ids=[npwp], roles={npwp: roles},
            actor={"sub": str(account.id), "name": person.full_name, "identity_number": person.identity_number},
            extra={"sid": sid} if sid else None)
        await record(s, "impersonation", actor=str(account.id), acting_for=npwp, ip=ip, details={"roles": roles})
        await uow.commit()
        return Issued(token, ttl, " ".join(scopes))


# -- password reset ---------------------------------------------------------------------------------------------
async def start_reset(uow: UnitOfWork, settings: IdentitySettings, *, login: str, channel: str,
                      ip: str) -> PasswordReset:
    """The same answer, limits and work whether or not the login has an account (OWASP ASVS 5.0 V6.3.8): an unknown
    login gets a decoy code challenge that is checked like a real one, and a real login whose contact has had its
    hourly share of codes gets one too, silently (no 429 that an unknown login would not get)."""
    login = normalise(login)
    async with uow:
        s = uow.session
        found = await SessionRepository(s).find_account(login)
        account = found[0] if found and found[0].status == "active" else None
        reset = await open_reset(s, settings, account, channel=channel, ip=ip, login=login)
        await uow.commit()
        return reset


async def open_reset(session: AsyncSession, settings: IdentitySettings, account: Account | None, *, channel: str,
                     ip: str, login: str) -> PasswordReset:
    """A password reset for `account` (None: a decoy), in the caller's transaction. Also how the holder of an
    already-registered document is told that someone tried to register it (registration.service.verify)."""
    reset = PasswordReset(id=uuid.uuid4(), expires_at=datetime.now(UTC) + RESET_TTL)
    destination = (account.email if channel == "email" else account.phone) if account else None
    _, sent = await otp.issue_undisclosed(session, settings.otp, otp.OTPRequest(
        purpose=RESET_PURPOSE, subject_id=str(reset.id), channel=channel, destination=destination,
        account_id=account.id if account else None, locale=account.locale if account else "id", ip=ip))
    reset.account_id = account.id if account and sent else None  # a decoy can never complete
    await SessionRepository(session).add_reset(reset)
    await record(session, "password_reset_requested", ip=ip, actor=str(account.id) if account else None,
                 details={"login": masked_login(login), "channel": channel, "sent": sent})
    return reset


async def remember_address(session: AsyncSession, account_id: uuid.UUID, ip: str) -> None:
    """Step: `ip` is one of the account's own addresses (it proved itself from there); the per-login back-off does
    not apply there."""
    await SessionRepository(session).remember_address(account_id, ip, datetime.now(UTC))


async def confirm_reset(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, reset_id: uuid.UUID, *,
                        code: str, new_password: str, ip: str) -> None:
    check_password_rules(new_password)
    password_hash = await passwords.hash(new_password)
    async with uow:
        s = uow.session
        repo = SessionRepository(s)
        reset = await repo.reset_for_update(reset_id)
        if reset is None or reset.state != "pending" or reset.expires_at < datetime.now(UTC):
            raise ResetNotFound()
        # A decoy reset (unknown login) has a challenge too, checked the same way: the same answers, attempt after
        # attempt, and its code never matches.
        channel = await otp.latest_channel(s, str(reset.id))
        if channel is None:
            raise ResetNotFound()
        outcome = await otp.check(s, settings.otp, subject_id=str(reset.id), purpose=RESET_PURPOSE, channel=channel,
                                  code=code)
        if isinstance(outcome, Exception):
            await uow.commit()  # the attempt counts
            raise outcome
        if reset.account_id is None:
            raise OTPInvalid("wrong code")  # unreachable: a decoy's code is not a 6-digit code
        now = datetime.now(UTC)
        account = await repo.account(reset.account_id, lock=True)
        assert account is not None
        account.password_hash = password_hash
        account.sessions_valid_after = now
        account.failed_logins = 0
        reset.state = "completed"
        await repo.revoke_refresh_tokens_of(account.id, now)
        # The owner proved control of the contact: clear the back-offs on every login of theirs, and this address is
        # one of theirs from now on (the way in that guessers elsewhere cannot block).
        logins = await repo.logins_of(account.person_id)
        await repo.clear_throttles(logins)
        await repo.clear_backoff({backoff_key(login) for login in logins})
        await repo.remember_address(account.id, ip, now)
        await record(s, "password_reset", actor=str(account.id), ip=ip)
        await uow.commit()
