"""Identity test fixtures: settings on the session's real database, with a sealing key pair whose private half
plays the notification service (so tests can read the OTP codes the way only notification could)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.settings import IdentitySettings, OTPSettings
from kit.db import create_engine, create_sessionmaker
from kit.sealing import generate_keypair, open_sealed
from kit.testing.service import service_settings

SEALING_PRIVATE, SEALING_PUBLIC = generate_keypair()


@pytest.fixture
def settings(infra: Any) -> IdentitySettings:
    base = service_settings(infra, IdentitySettings, "identity")
    # Cheap Argon2 in tests: the parameters are settings, and production keeps the OWASP ones.
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    otp = OTPSettings(notification_public_key=SEALING_PUBLIC, per_ip_per_hour=10_000, resend_cooldown_s=0)
    return base.model_copy(update={"otp": otp, "login": login})


@pytest.fixture
async def sessions(settings: IdentitySettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database, application_name="test")
    yield create_sessionmaker(engine)
    await engine.dispose()


class Codes:
    """The OTP codes identity sent, opened with the notification key, as the notification service would."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def latest(self, subject_id: str, channel: str) -> str:
        async with self.sessions() as s:
            payload = (await s.execute(text(
                "SELECT payload FROM outbox WHERE topic = 'notification.commands' AND key = :k "
                "AND payload->'data'->>'channel' = :c ORDER BY seq DESC LIMIT 1"), {"k": subject_id, "c": channel}
            )).scalar_one()
        return open_sealed(SEALING_PRIVATE, payload["data"]["sealed_code"]).decode()


@pytest.fixture
def codes(sessions: async_sessionmaker[AsyncSession]) -> Codes:
    return Codes(sessions)
