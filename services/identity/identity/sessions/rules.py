"""Session rules with no I/O: login back-off, the taxpayer a token request names, the scopes it asks for,
refresh-token hashing."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from identity.roles import FULL, PERSON_SCOPES
from identity.sessions.errors import InvalidGrant, InvalidScope
from identity.settings import LoginSettings

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
TAXPAYER_RESOURCE = "urn:lontar:taxpayer:"


def blocked_until(failures: int, now: datetime, *, free_failures: int, max_backoff_s: int,
                  base_s: int = 1) -> datetime | None:
    """Back-off after a few free failures: `base_s`, doubling per further failure, capped, so it always ends. Per
    (login, IP), a guesser at one address cannot lock the owner out from theirs; per login (every address), it does
    not apply at the account's known addresses."""
    over = failures - free_failures
    if over < 0:
        return None
    return now + timedelta(seconds=min(base_s * 2 ** min(over, 32), max_backoff_s))


@dataclass(frozen=True)
class Throttle:
    """A login's failures from one address (`login_throttle`)."""

    failures: int
    blocked_until: datetime | None


@dataclass(frozen=True)
class Backoff:
    """A login's failures from every address (`login_backoff`)."""

    failures: int
    blocked_until: datetime | None
    last_failure_at: datetime


@dataclass(frozen=True)
class LoginAccount:
    """The account a login names, with what a token for it needs."""

    id: uuid.UUID
    status: str
    password_hash: str | None
    full_name: str
    own_npwp: str | None = None  # the person's own taxpayer
    roles: dict[str, list[str]] = field(default_factory=dict)  # NPWP -> active roles


@dataclass(frozen=True)
class LoginAttempt:
    """What a password attempt is decided on, read at once under the login's lock."""

    throttle: Throttle | None
    backoff: Backoff | None
    account: LoginAccount | None
    known_address: bool  # the account proved itself from this address before


@dataclass(frozen=True)
class FailureCount:
    """Both back-offs after one more failure: the rows to write."""

    throttle: Throttle
    backoff: Backoff


def counted_failure(throttle: Throttle | None, backoff: Backoff | None, now: datetime,
                    login: LoginSettings) -> FailureCount:
    """One more failed attempt: per (login, address) and per login from every address (whose failures older than
    `account_failure_reset_s` are forgotten first). A wait is set only once the free failures are spent; otherwise
    the one already set stays."""
    failures = (throttle.failures if throttle else 0) + 1
    until = blocked_until(failures, now, free_failures=login.free_failures, max_backoff_s=login.max_backoff_s)
    new_throttle = Throttle(failures, until if until is not None else throttle.blocked_until if throttle else None)
    forget_before = now - timedelta(seconds=login.account_failure_reset_s)
    failures = 1 if backoff is None or backoff.last_failure_at < forget_before else backoff.failures + 1
    until = blocked_until(failures, now, free_failures=login.account_free_failures,
                          max_backoff_s=login.account_max_backoff_s, base_s=login.account_backoff_base_s)
    kept = backoff.blocked_until if backoff else None
    return FailureCount(new_throttle, Backoff(failures, until if until is not None else kept, now))


def person_scopes(own_npwp: str | None) -> tuple[str, ...]:
    """A person's own scopes: the profile, and everything for their own taxpayer if they have one."""
    return _WITH_OWN if own_npwp else PERSON_SCOPES


_WITH_OWN = (*PERSON_SCOPES, *FULL)


def backoff_key(login: str) -> str:
    """The per-login back-off counts a NITKU (NPWP16 + 6-digit branch) with its NPWP: one taxpayer, one count. It is
    computed from the login alone, so it is the same whether or not the login exists."""
    return login[:16] if len(login) == 22 and login.isdigit() else login


def taxpayer_of(resource: str) -> str:
    """The NPWP in `urn:lontar:taxpayer:<NPWP16>`."""
    if not resource.startswith(TAXPAYER_RESOURCE) or len(resource) != len(TAXPAYER_RESOURCE) + 16:
        raise InvalidGrant(f"resource must be {TAXPAYER_RESOURCE}<NPWP16>")
    return resource[len(TAXPAYER_RESOURCE):]


def narrowed(allowed: list[str], requested: str | None) -> list[str]:
    """The scopes a token gets: all it may have, or the subset the request asks for (RFC 6749 §3.3); asking for one
    it may not have is `invalid_scope`, never a silent drop."""
    if not requested or not requested.split():
        return sorted(set(allowed))
    asked = set(requested.split())
    beyond = sorted(asked - set(allowed))
    if beyond:
        raise InvalidScope(f"scope not allowed: {' '.join(beyond)}")
    return sorted(asked)


def token_hash(token: str) -> str:
    """Refresh tokens are stored as their SHA-256 only."""
    return hashlib.sha256(token.encode()).hexdigest()


def masked_login(login: str) -> str:
    return login[:4] + "****"
