"""Signing keys and access tokens for tests, built the way identity builds them."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.access import SERVICE_CLIENT_KIND
from kit.settings import AuthSettings


def key_id(private_key: Ed25519PrivateKey) -> str:
    """identity's `kid`: the first 16 hex digits of the SHA-256 of the raw public key."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class TokenMaker:
    def __init__(self, settings: AuthSettings | None = None, private_key: Ed25519PrivateKey | None = None) -> None:
        self.settings = settings or AuthSettings()
        self.private_key = private_key or Ed25519PrivateKey.generate()
        self.kid = key_id(self.private_key)

    @classmethod
    def from_pem(cls, pem: str, settings: AuthSettings | None = None) -> TokenMaker:
        """Tokens identity (or a stack) with this signing key (`IDENTITY_TOKENS__SIGNING_KEY`) would accept."""
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return cls(settings, key)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="EdDSA")
        return {"keys": [jwk]}

    def make(self, *, subject: str = "user-1", scopes: Iterable[str] = (), taxpayer_ids: Iterable[str] = (),
             expires_in: int = 300, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.settings.issuer, "aud": self.settings.audience, "sub": subject, "iat": now,
                "exp": now + expires_in, "jti": uuid.uuid4().hex, "scope": " ".join(scopes),
                "tid": list(taxpayer_ids), **claims}
        return jwt.encode(body, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def service_token(self, *scopes: str, client_id: str = "test-service", expires_in: int = 300) -> str:
        """An internal service's client-credentials token (kind `internal`), as identity issues it."""
        return self.make(subject=client_id, scopes=scopes, expires_in=expires_in, client_id=client_id,
                         client_kind=SERVICE_CLIENT_KIND)

    def service_headers(self, *scopes: str, client_id: str = "test-service", expires_in: int = 300) -> dict[str, str]:
        return {"authorization": f"Bearer {self.service_token(*scopes, client_id=client_id, expires_in=expires_in)}"}
