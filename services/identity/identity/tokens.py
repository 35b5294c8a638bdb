"""Access tokens: short-lived JWTs signed with identity's Ed25519 key (EdDSA), served as a JWKS.

Claims: `sub` (the account), `tid` (taxpayer NPWPs the token may act for), `scope`, `roles` (per taxpayer), and
`act` (RFC 8693) when someone acts for another party: a person for a company, a PJAP for its client.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from identity.settings import IdentitySettings
from kit.settings import AuthSettings


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    kid: str


def _kid(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class TokenIssuer:
    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.auth: AuthSettings = settings.auth
        pem = settings.tokens.signing_key.get_secret_value().encode() if settings.tokens.signing_key else None
        if pem is None:
            if settings.env.value == "prod":
                raise RuntimeError("IDENTITY_TOKENS__SIGNING_KEY is required in prod")
            private = Ed25519PrivateKey.generate()  # tokens die with the process: fine for tests only
        else:
            loaded = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise RuntimeError("the token signing key must be Ed25519")
            private = loaded
        self.key = SigningKey(private, _kid(private.public_key()))
        self._previous = [serialization.load_pem_public_key(p.encode()) for p in settings.tokens.previous_public_keys]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for public in [self.key.private.public_key(), *self._previous]:
            jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public))
            jwk.update(kid=_kid(public), use="sig", alg="EdDSA")  # type: ignore[arg-type]
            keys.append(jwk)
        return {"keys": keys}

    def issue(self, *, subject: str, scopes: list[str], taxpayer_ids: list[str] | None = None,
              roles: dict[str, list[str]] | None = None, actor: dict[str, Any] | None = None,
              extra: dict[str, Any] | None = None) -> tuple[str, int]:
        now = int(time.time())
        ttl = self.settings.tokens.access_ttl_s
        claims: dict[str, Any] = {
            "iss": self.auth.issuer, "aud": self.auth.audience, "sub": subject, "iat": now, "nbf": now,
            "exp": now + ttl, "jti": uuid.uuid4().hex, "scope": " ".join(sorted(set(scopes))),
            "tid": taxpayer_ids or [],
        }
        if roles:
            claims["roles"] = roles
        if actor:
            claims["act"] = actor
        if extra:
            claims.update(extra)
        return jwt.encode(claims, self.key.private, algorithm="EdDSA", headers={"kid": self.key.kid}), ttl
