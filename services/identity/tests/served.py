"""identity's API over real HTTP for a test module: uvicorn on a free loopback port, in its own thread and event loop
(its lifespan runs there), on the session's PostgreSQL and broker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from devstack.testing.serving import serving
from identity.main import create_app
from identity.settings import IdentitySettings, OTPSettings, TokenSettings
from kit.testing.service import service_settings
from services.identity.tests.conftest import SEALING_PUBLIC, TOKEN_KEY


def module_settings(infra: Any, **login: Any) -> IdentitySettings:
    """The `settings` fixture's values, for a module-scoped server; `login` overrides the login settings."""
    base = service_settings(infra, IdentitySettings, "identity")
    return base.model_copy(update={
        "otp": OTPSettings(notification_public_key=SEALING_PUBLIC, per_ip_per_hour=10_000, resend_cooldown_s=0),
        "login": base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1, **login}),
        "tokens": TokenSettings(signing_key=SecretStr(TOKEN_KEY))})


@contextmanager
def served(settings: IdentitySettings) -> Iterator[str]:
    with serving(create_app(settings), name="identity-api", lifespan="on") as url:
        yield url
