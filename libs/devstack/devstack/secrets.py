"""Development secrets: generated once per data folder (kept in `secrets.json`, mode 0600) so that a restart keeps
tokens, sealed OTPs and certificates valid. Production supplies each of these through its secret store instead."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path


def _sealing_keypair() -> dict[str, str]:
    from kit.sealing import generate_keypair

    private, public = generate_keypair()
    return {"NOTIFICATION_SEALING__PRIVATE_KEY": private, "IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY": public}


def _token_signing_key() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"IDENTITY_TOKENS__SIGNING_KEY": pem.decode()}


def _sandbox_sms_credentials() -> dict[str, str]:
    """API key and webhook signing secret of each SMS provider sandbox (`LONTAR_SANDBOX_<NAME>_...`); the stack
    gives them to the sandbox and to notification's provider settings."""
    from devstack.config import SANDBOX_SMS_PROVIDERS

    return {f"LONTAR_SANDBOX_{name.upper().replace('-', '_')}_{what}": _token()
            for name in SANDBOX_SMS_PROVIDERS for what in ("API_KEY", "WEBHOOK_SECRET")}


def _token() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _random(name: str) -> Callable[[], dict[str, str]]:
    return lambda: {name: base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")}


GENERATORS: list[Callable[[], dict[str, str]]] = [
    _sealing_keypair,
    _token_signing_key,
    _random("IDENTITY_OTP__PEPPER"),
    _sandbox_sms_credentials,
]


def dev_secrets(data_dir: Path) -> dict[str, str]:
    """Environment variables holding the development secrets; created on first use, then reused."""
    path = data_dir / "secrets.json"
    secrets: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = False
    for generate in GENERATORS:
        fresh = generate()
        if not set(fresh) <= set(secrets):
            secrets.update(fresh)
            missing = True
    if missing:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(secrets, f, indent=1)
    return secrets
