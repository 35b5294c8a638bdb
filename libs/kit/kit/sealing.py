"""Sealed boxes: anyone with the recipient's public key can seal; only the private key's holder can open.

X25519 with an ephemeral sender key, HKDF-SHA256, ChaCha20-Poly1305 (the construction of libsodium's sealed box,
built from `cryptography`). Used for OTP codes on their way to the notification service: they cross the broker and
the outbox sealed, never in clear.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"lontar-sealed-box-v1"
_RAW = serialization.Encoding.Raw


class SealError(ValueError):
    """The sealed payload is malformed, tampered with, or sealed to another key."""


def generate_keypair() -> tuple[str, str]:
    """(private, public) as base64url strings, for settings."""
    private = X25519PrivateKey.generate()
    return _b64(private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())), \
        _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def public_key_of(private_key: str) -> str:
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
    return _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def seal(public_key: str, plaintext: bytes) -> str:
    recipient = X25519PublicKey.from_public_bytes(_unb64(public_key))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _derive(ephemeral.exchange(recipient), ephemeral_public, _unb64(public_key))
    nonce = os.urandom(12)
    return _b64(ephemeral_public + nonce + ChaCha20Poly1305(key).encrypt(nonce, plaintext, ephemeral_public))


def open_sealed(private_key: str, sealed: str) -> bytes:
    try:
        raw = _unb64(sealed)
        private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
        if len(raw) < 32 + 12 + 16:
            raise SealError("sealed payload too short")
        ephemeral_public, nonce, ciphertext = raw[:32], raw[32:44], raw[44:]
        own_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        key = _derive(private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public)), ephemeral_public,
                      own_public)
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, ephemeral_public)
    except SealError:
        raise
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed payload cannot be opened with this key") from exc


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral_public + recipient_public, info=_INFO).derive(shared)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise SealError("not base64url") from exc
