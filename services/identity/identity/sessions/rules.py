"""Session rules with no I/O: login back-off, the taxpayer a token request names, refresh-token hashing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from identity.sessions.errors import InvalidGrant

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
TAXPAYER_RESOURCE = "urn:lontar:taxpayer:"


def blocked_until(failures: int, now: datetime, *, free_failures: int, max_backoff_s: int) -> datetime | None:
    """Back-off per (login, IP) after a few free failures, doubling, capped: it always ends, and a guesser at one
    address cannot lock the owner out from theirs."""
    over = failures - free_failures
    if over < 0:
        return None
    return now + timedelta(seconds=min(2 ** over, max_backoff_s))


def taxpayer_of(resource: str) -> str:
    """The NPWP in `urn:lontar:taxpayer:<NPWP16>`."""
    if not resource.startswith(TAXPAYER_RESOURCE) or len(resource) != len(TAXPAYER_RESOURCE) + 16:
        raise InvalidGrant(f"resource must be {TAXPAYER_RESOURCE}<NPWP16>")
    return resource[len(TAXPAYER_RESOURCE):]


def token_hash(token: str) -> str:
    """Refresh tokens are stored as their SHA-256 only."""
    return hashlib.sha256(token.encode()).hexdigest()


def masked_login(login: str) -> str:
    return login[:4] + "****"
