"""Tokens a running stack's identity accepts, minted with its development signing key (`secrets.json` of the data
folder): `stack_tokens(stack.config.data_dir).service_headers("registry:write")` for an internal route."""

from __future__ import annotations

from pathlib import Path

from devstack.secrets import dev_secrets
from devstack.stack import Stack
from kit.access import REGISTRY_READ, REGISTRY_WRITE
from kit.testing.tokens import TokenMaker


def stack_tokens(data_dir: Path) -> TokenMaker:
    return TokenMaker.from_pem(dev_secrets(data_dir)["IDENTITY_TOKENS__SIGNING_KEY"])


def registry_headers(stack: Stack, expires_in: int = 900) -> dict[str, str]:
    """A service token to create taxpayer records at identity and read every service's registry replica."""
    return stack_tokens(stack.config.data_dir).service_headers(REGISTRY_READ, REGISTRY_WRITE, expires_in=expires_in)
