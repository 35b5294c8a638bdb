"""Private keys sealed under a passphrase, and batch signing.

Sealing: key = scrypt(passphrase, salt 16 B, N, r, p) -> 32 bytes; AES-256-GCM(key, nonce 12 B) over the PKCS#8 DER of
the private key, with the credential id as associated data (a sealed key copied onto another row does not open).
A wrong passphrase fails the GCM tag check; nothing else tells it apart, and nothing about it is stored.

Cost per signing call: one scrypt (~55 ms at N=2^14, r=8, p=1), then ~28 µs per ECDSA P-256 signature. Everything
here is CPU-bound and synchronous: callers run it in a worker thread (`asyncio.to_thread`).

Signing sessions (a hardware token's PIN unlock): once the passphrase has opened the key, it is sealed again under a
random 256-bit session secret that only the holder gets: key = HKDF-SHA256(secret), AES-256-GCM with the session id and
the credential id as associated data. No slow KDF there: the secret is random, not a human's choice, so nothing is
gained by stretching it; opening costs microseconds instead of one scrypt.

Signatures are ECDSA P-256 over the caller's SHA-256 digest (`Prehashed`), DER-encoded: exactly the
`ecdsa-with-SHA256` signature of the original document, so CMS/PAdES/XAdES verifiers accept them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_ALGORITHM = "ecdsa-p256"
SIGNATURE_ALGORITHM = "ecdsa-p256-sha256"  # X.509 / CMS: ecdsa-with-SHA256 (1.2.840.10045.4.3.2)
_ECDSA_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))
_AAD_PREFIX = b"lontar.signing-credential.v1:"
_SESSION_AAD_PREFIX = b"lontar.signing-session.v1:"
_SESSION_INFO = b"lontar.signing-session.v1 key"
SESSION_SECRET_SIZE = 32


class PassphraseMismatch(Exception):
    """The passphrase does not open the sealed key."""


class SessionSecretMismatch(Exception):
    """The session secret does not open the session's sealed key (or the key was moved to another session)."""


@dataclass(frozen=True)
class KdfParams:
    log2_n: int
    r: int
    p: int

    def as_json(self) -> dict[str, Any]:
        return {"alg": "scrypt", "log2_n": self.log2_n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        if data.get("alg") != "scrypt":
            raise ValueError(f"unknown KDF {data.get('alg')!r}")
        return cls(int(data["log2_n"]), int(data["r"]), int(data["p"]))


@dataclass(frozen=True)
class SealedKey:
    ciphertext: bytes
    nonce: bytes
    salt: bytes
    kdf: KdfParams


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _derive(passphrase: str, salt: bytes, kdf: KdfParams) -> bytes:
    return Scrypt(salt=salt, length=32, n=2 ** kdf.log2_n, r=kdf.r, p=kdf.p).derive(passphrase.encode("utf-8"))


def _aad(credential_id: bytes) -> bytes:
    return _AAD_PREFIX + credential_id


def seal(private_key: ec.EllipticCurvePrivateKey, passphrase: str, *, credential_id: bytes,
         kdf: KdfParams) -> SealedKey:
    salt, nonce = os.urandom(16), os.urandom(12)
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    ciphertext = AESGCM(_derive(passphrase, salt, kdf)).encrypt(nonce, der, _aad(credential_id))
    return SealedKey(ciphertext, nonce, salt, kdf)


def unseal(sealed: SealedKey, passphrase: str, *, credential_id: bytes) -> ec.EllipticCurvePrivateKey:
    key = _derive(passphrase, sealed.salt, sealed.kdf)
    try:
        der = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, _aad(credential_id))
    except InvalidTag:
        raise PassphraseMismatch() from None
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError("sealed key is not an EC key")
    return private


def sign_digests(sealed: SealedKey, passphrase: str, *, credential_id: bytes, public_key: ec.EllipticCurvePublicKey,
                 digests: list[bytes]) -> list[bytes]:
    """Open the key once, check it belongs to the certificate, sign every digest in order (DER signatures)."""
    return sign_all(unseal_checked(sealed, passphrase, credential_id=credential_id, public_key=public_key), digests)


def unseal_checked(sealed: SealedKey, passphrase: str, *, credential_id: bytes,
                   public_key: ec.EllipticCurvePublicKey) -> ec.EllipticCurvePrivateKey:
    private = unseal(sealed, passphrase, credential_id=credential_id)
    if private.public_key().public_numbers() != public_key.public_numbers():
        raise ValueError("the sealed key does not match the credential's certificate")
    return private


@dataclass(frozen=True)
class SessionSealedKey:
    ciphertext: bytes
    nonce: bytes


def _session_aad(session_id: bytes, credential_id: bytes) -> bytes:
    return _SESSION_AAD_PREFIX + session_id + credential_id


def _session_key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SESSION_INFO).derive(secret)


def seal_for_session(private_key: ec.EllipticCurvePrivateKey, *, session_id: bytes,
                     credential_id: bytes) -> tuple[bytes, SessionSealedKey]:
    """A fresh random secret, and the key sealed under it. The secret goes to the holder only, never to storage."""
    secret, nonce = os.urandom(SESSION_SECRET_SIZE), os.urandom(12)
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    ciphertext = AESGCM(_session_key(secret)).encrypt(nonce, der, _session_aad(session_id, credential_id))
    return secret, SessionSealedKey(ciphertext, nonce)


def unseal_session(sealed: SessionSealedKey, secret: bytes, *, session_id: bytes,
                   credential_id: bytes) -> ec.EllipticCurvePrivateKey:
    if len(secret) != SESSION_SECRET_SIZE:
        raise SessionSecretMismatch()
    try:
        der = AESGCM(_session_key(secret)).decrypt(sealed.nonce, sealed.ciphertext,
                                                   _session_aad(session_id, credential_id))
    except InvalidTag:
        raise SessionSecretMismatch() from None
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError("sealed key is not an EC key")
    return private


def sign_all(private_key: ec.EllipticCurvePrivateKey, digests: list[bytes]) -> list[bytes]:
    sign = private_key.sign
    return [sign(digest, _ECDSA_PREHASHED) for digest in digests]


def verify_digest(public_key: ec.EllipticCurvePublicKey, signature: bytes, digest: bytes) -> None:
    """Raises `cryptography.exceptions.InvalidSignature` unless `signature` signs `digest`."""
    public_key.verify(signature, digest, _ECDSA_PREHASHED)
