"""Session rules with no I/O: login back-off, the taxpayer a token request names, the scopes it asks for,
refresh-token hashing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from identity.sessions.errors import InvalidGrant, InvalidScope

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
