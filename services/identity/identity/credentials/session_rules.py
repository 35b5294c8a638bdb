"""Pure rules of signing sessions (no I/O): which login session a token comes from, the terms a session is opened
for, and whether a session may sign a batch now.

The device a session is bound to is the holder's login session as their access token names it: its `sid` claim,
or, for a token without one, the token itself (`jti`). The calling service forwards that value from the signer's
verified token with each use (`signing_session.device`); a use from another login session is refused."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from identity.credentials.errors import (
    NotEligible,
    SessionClosed,
    SessionExhausted,
    SessionExpired,
    SessionTermsRejected,
)
from identity.credentials.keystore import SESSION_SECRET_SIZE
from identity.credentials.settings import CredentialSettings
from kit.errors import AppError

DEVICE_CLAIMS = ("sid", "jti")


@dataclass(frozen=True)
class Device:
    claim: str  # sid | jti
    value: str


def device_of(claims: Mapping[str, Any]) -> Device:
    for claim in DEVICE_CLAIMS:
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return Device(claim, value)
    raise NotEligible("the token names no login session (`sid` or `jti`)")


def session_terms(*, ttl_s: int | None, max_signatures: int | None,
                  settings: CredentialSettings) -> tuple[timedelta, int]:
    """(lifetime, budget): the asked-for terms, else the defaults. Terms above the maxima are refused rather than
    cut, so the holder knows what they got. The caller caps the lifetime at the credential's validity."""
    ttl = min(settings.session_default_ttl_s, settings.session_max_ttl_s) if ttl_s is None else ttl_s
    budget = (min(settings.session_default_max_signatures, settings.session_max_signatures)
              if max_signatures is None else max_signatures)
    if ttl > settings.session_max_ttl_s or budget > settings.session_max_signatures:
        raise SessionTermsRejected(f"at most {settings.session_max_ttl_s} s and {settings.session_max_signatures} "
                                   "signatures", max_ttl_s=settings.session_max_ttl_s,
                                   max_signatures=settings.session_max_signatures)
    return timedelta(seconds=ttl), budget


def unusable(*, closed_at: datetime | None, closed_reason: str | None, expires_at: datetime, max_signatures: int,
             signatures_used: int, requested: int, now: datetime) -> AppError | None:
    """Why a session cannot sign `requested` more digests now, or None. Closed first, then expired, then budget."""
    if closed_at is not None:
        return SessionClosed(reason=closed_reason)
    if expires_at <= now:
        return SessionExpired(expired_at=expires_at.isoformat())
    if signatures_used + requested > max_signatures:
        return SessionExhausted(f"{max_signatures - signatures_used} signature(s) left, {requested} asked",
                                max_signatures=max_signatures, signatures_used=signatures_used, requested=requested)
    return None


def encode_secret(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).rstrip(b"=").decode()


def decode_secret(text: str) -> bytes | None:
    """The 32-byte secret from its base64url form (padding optional), or None."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == SESSION_SECRET_SIZE and encode_secret(raw) == text.rstrip("=") else None
