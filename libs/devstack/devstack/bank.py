"""The bank sandbox's client at identity: a machine client of kind `bank` with the scope `payment:bank`, registered
once per data folder with identity's own command (`python -m identity.clients create --kind bank ...`, run as a
process: libraries never import services) and kept in `bank-sandbox-client.json` (mode 0600), so a restart reuses
it. The sandbox gets its id and secret and fetches its tokens from identity as a collecting bank would."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.clients import register_client, store

CLIENT_FILE = "bank-sandbox-client.json"
BANK_SCOPE = "payment:bank"


def bank_client_path(data_dir: Path) -> Path:
    return data_dir / CLIENT_FILE


def ensure_bank_client(data_dir: Path, identity_env: dict[str, str]) -> dict[str, str]:
    """The stored client, or a new one registered at identity (its database migrated) and stored."""
    path = bank_client_path(data_dir)
    if path.exists():
        return dict(json.loads(path.read_text()))
    stored = register_client(identity_env, kind="bank", name="Bank sandbox", scopes=[BANK_SCOPE])
    store(path, stored)
    return stored


def bank_sandbox_env(data_dir: Path, *, payment_url: str, identity_url: str) -> dict[str, str]:
    """`LONTAR_SANDBOX_BANK_*` for the sandbox: payment's API, identity's token endpoint and the client, once it is
    registered (nothing before: the sandbox then has no bank)."""
    path = bank_client_path(data_dir)
    if not path.exists():
        return {}
    client = json.loads(path.read_text())
    return {"LONTAR_SANDBOX_BANK_PAYMENT_URL": payment_url,
            "LONTAR_SANDBOX_BANK_TOKEN_URL": f"{identity_url}/v1/oauth/token",
            "LONTAR_SANDBOX_BANK_CLIENT_ID": client["client_id"],
            "LONTAR_SANDBOX_BANK_CLIENT_SECRET": client["client_secret"]}
