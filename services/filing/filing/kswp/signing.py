"""The KSWP letter's electronic signature, pure (no I/O): DJP's letters carry the institution's electronic signature,
so filing signs each stored snapshot with a key of its own (`FILING_KSWP__SIGNING_KEY`) and publishes the public keys
(`GET /v1/kswp/keys`, a JWKS, and the key in each public verification answer): a letter is valid only when its
signature verifies against a published key, so a snapshot changed in the database (digest recomputed or not) fails.

- Signature: ECDSA P-256 with SHA-256 over the canonical snapshot text, computed over its SHA-256 digest (the
  snapshot's `digest`, `Prehashed`), DER, base64: the form of identity's signatures on SPT receipts. Any ES256
  verifier checks it over the snapshot text (after converting DER to r||s where it needs JOSE's form).
- Key id: the RFC 7638 JWK thumbprint of the public key (base64url SHA-256 of its canonical JWK), so it is derived,
  never configured, and names one key for ever.
- Rotation: the new key signs; the old public keys stay published (`FILING_KSWP__PREVIOUS_PUBLIC_KEYS`) as long as
  letters signed with them must verify. A key no longer published makes its letters invalid (said as the reason).

`python -m filing.kswp.signing` prints a new private key (PEM) and its key id, for the Secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

ALGORITHM = "ES256"  # ECDSA P-256 with SHA-256 (RFC 7518 §3.4 names it); the signature itself is DER, base64
SIGNATURE_FORMAT = "ECDSA P-256 SHA-256 over the canonical snapshot (its SHA-256 digest), DER, base64"
_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class PublishedKey:
    key_id: str
    public_key: ec.EllipticCurvePublicKey
    current: bool  # the key that signs new letters; the others verify older ones

    def jwk(self) -> dict[str, Any]:
        return {**_public_jwk(self.public_key), "kid": self.key_id, "use": "sig", "alg": ALGORITHM}


def _public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big"))}


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the JWK's required members in lexical order, no spaces."""
    canonical = json.dumps(_public_jwk(key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


class KeyInvalid(ValueError):
    """A configured key is not an ECDSA P-256 key."""


def _p256(key: object, what: str) -> None:
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise KeyInvalid(f"{what} is not an ECDSA P-256 key")


class Signer:
    """The key new letters are signed with."""

    def __init__(self, private_pem: str) -> None:
        try:
            key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        except (ValueError, TypeError) as e:
            raise KeyInvalid(f"FILING_KSWP__SIGNING_KEY is not a PEM private key: {e}") from None
        _p256(key, "FILING_KSWP__SIGNING_KEY")
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self._key = key
        self.public = PublishedKey(key_id(key.public_key()), key.public_key(), current=True)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, digest_hex: str) -> str:
        """The signature over a snapshot whose SHA-256 (hex) is `digest_hex`."""
        return base64.b64encode(self._key.sign(bytes.fromhex(digest_hex), _PREHASHED)).decode()


@lru_cache(maxsize=4)
def signer(private_pem: str) -> Signer:
    """Parsed once per key text (the settings' value)."""
    return Signer(private_pem)


@lru_cache(maxsize=4)
def _previous(public_pems: tuple[str, ...]) -> tuple[PublishedKey, ...]:
    keys = []
    for i, pem in enumerate(public_pems):
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError) as e:
            raise KeyInvalid(f"FILING_KSWP__PREVIOUS_PUBLIC_KEYS[{i}] is not a PEM public key: {e}") from None
        _p256(key, f"FILING_KSWP__PREVIOUS_PUBLIC_KEYS[{i}]")
        assert isinstance(key, ec.EllipticCurvePublicKey)
        keys.append(PublishedKey(key_id(key), key, current=False))
    return tuple(keys)


def published(private_pem: str, previous_public_pems: Sequence[str]) -> dict[str, PublishedKey]:
    """Every key a letter may verify against, by key id: the current one first, then the previous ones."""
    current = signer(private_pem).public
    keys = {current.key_id: current}
    for key in _previous(tuple(previous_public_pems)):
        keys.setdefault(key.key_id, key)
    return keys


def jwks(keys: Mapping[str, PublishedKey]) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys.values()]}


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    key: PublishedKey | None  # the published key the letter names, if any


def verify(snapshot: str, digest_hex: str, signature_b64: str | None, signed_by: str | None,
           keys: Mapping[str, PublishedKey]) -> Verdict:
    """Valid only when the stored snapshot still hashes to its digest and the signature over that digest verifies
    with the published key the letter names."""
    key = keys.get(signed_by) if signed_by else None
    digest = hashlib.sha256(snapshot.encode("utf-8")).digest()
    if digest.hex() != digest_hex:
        return Verdict(False, "the stored snapshot does not match the letter's digest", key)
    if not signature_b64 or not signed_by:
        return Verdict(False, "the letter is not signed (issued before KSWP letters were signed)", None)
    if key is None:
        return Verdict(False, f"the signing key {signed_by} is not (or no longer) published", None)
    try:
        key.public_key.verify(base64.b64decode(signature_b64, validate=True), digest, _PREHASHED)
    except (InvalidSignature, ValueError):
        return Verdict(False, "the signature does not verify with the published key", key)
    return Verdict(True, "the snapshot matches its digest and the signature verifies with the published key", key)


def _new_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sys.stdout.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode())
    sys.stderr.write(f"key id {key_id(key.public_key())}\n")


if __name__ == "__main__":
    _new_key()
