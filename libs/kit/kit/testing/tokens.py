"""Signing keys and access tokens for tests, built the way identity builds them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.settings import AuthSettings


class TokenMaker:
    def __init__(self, settings: AuthSettings | None = None) -> None:
        self.settings = settings or AuthSettings()
        self.kid = uuid.uuid4().hex[:16]
        self.private_key = Ed25519PrivateKey.generate()

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
