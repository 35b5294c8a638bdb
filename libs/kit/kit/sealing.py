"""Sealed boxes: anyone with the recipient's public key can seal; only the private key's holder can open.

libsodium's `crypto_box_seal` through PyNaCl (X25519 with an ephemeral sender key, XSalsa20-Poly1305): a reviewed
construction, not one of ours. Used for OTP codes on their way to the notification service: they cross the broker
and the outbox sealed, never in clear. Keys are raw X25519 keys as base64url, the same keys as before.

Payloads are `v2.<base64url>`. A payload without the prefix is the earlier in-house format (X25519, HKDF-SHA256,
ChaCha20-Poly1305); it is still opened so that OTP codes sealed before an upgrade stay deliverable while they live
(minutes), and nothing seals it any more. It can be deleted one release after every deployment runs this code.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

_PREFIX = "v2."


class SealError(ValueError):
    """The sealed payload is malformed, tampered with, or sealed to another key."""


def generate_keypair() -> tuple[str, str]:
    """(private, public) as base64url strings, for settings."""
    private = PrivateKey.generate()
    return _b64(bytes(private)), _b64(bytes(private.public_key))


def public_key_of(private_key: str) -> str:
    return _b64(bytes(_private(private_key).public_key))


def seal(public_key: str, plaintext: bytes) -> str:
    try:
        recipient = PublicKey(_unb64(public_key))
    except (CryptoError, ValueError, TypeError) as exc:
        raise SealError("not an X25519 public key") from exc
    return _PREFIX + _b64(SealedBox(recipient).encrypt(plaintext))


def open_sealed(private_key: str, sealed: str) -> bytes:
    if not sealed.startswith(_PREFIX):
        return _open_v1(private_key, sealed)
    try:
        return SealedBox(_private(private_key)).decrypt(_unb64(sealed[len(_PREFIX):]))
    except (CryptoError, ValueError, TypeError) as exc:
        raise SealError("sealed payload cannot be opened with this key") from exc


def _private(private_key: str) -> PrivateKey:
    try:
        return PrivateKey(_unb64(private_key))
    except (CryptoError, ValueError, TypeError) as exc:
        raise SealError("not an X25519 private key") from exc


_V1_INFO = b"lontar-sealed-box-v1"
_RAW = serialization.Encoding.Raw


def _open_v1(private_key: str, sealed: str) -> bytes:
    """The earlier format: ephemeral public key (32) | nonce (12) | ChaCha20-Poly1305 ciphertext and tag."""
    try:
        raw = _unb64(sealed)
        private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
        if len(raw) < 32 + 12 + 16:
            raise SealError("sealed payload too short")
        ephemeral_public, nonce, ciphertext = raw[:32], raw[32:44], raw[44:]
        own_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = HKDF(hashes.SHA256(), 32, salt=ephemeral_public + own_public, info=_V1_INFO).derive(shared)
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, ephemeral_public)
    except SealError:
        raise
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed payload cannot be opened with this key") from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise SealError("not base64url") from exc
