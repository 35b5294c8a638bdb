"""Identity test fixtures: settings on the session's real database, with a sealing key pair whose private half
plays the notification service (so tests can read the OTP codes the way only notification could)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.settings import IdentitySettings, OTPSettings, TokenSettings
from kit.db import create_engine, create_sessionmaker
from kit.sealing import generate_keypair, open_sealed
from kit.testing.service import service_settings

SEALING_PRIVATE, SEALING_PUBLIC = generate_keypair()
TOKEN_KEY = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


@pytest.fixture
def settings(infra: Any) -> IdentitySettings:
    base = service_settings(infra, IdentitySettings, "identity")
    # Cheap Argon2 in tests: the parameters are settings, and production keeps the OWASP ones.
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    otp = OTPSettings(notification_public_key=SEALING_PUBLIC, per_ip_per_hour=10_000, resend_cooldown_s=0)
    return base.model_copy(update={"otp": otp, "login": login,
                                   "tokens": TokenSettings(signing_key=SecretStr(TOKEN_KEY))})


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


RESIDENT = {"kind": "resident", "nik": "3171011708450001", "full_name": "budi  SANTOSO", "birth_date": "1945-08-17",
            "email": "Budi.Santoso@example.id", "phone": "0812-3456-7890", "password": "Rahasia123"}


def foreigner(**overrides: object) -> dict:  # type: ignore[type-arg]
    body = {"kind": "foreigner", "passport_number": f"E{uuid.uuid4().int % 10**8:08d}", "passport_country": "CHN",
            "nationality": "CHN", "passport_expiry": str(date.today() + timedelta(days=900)), "full_name": "Zhang Wei",
            "birth_date": "1980-03-04", "stay_permit_number": "2C11AB1234", "stay_permit_expiry":
            str(date.today() + timedelta(days=300)), "email": f"zw{uuid.uuid4().hex[:6]}@example.cn",
            "phone": f"+62 811 {uuid.uuid4().int % 10**8:08d}", "password": "Passw0rdZhang"}
    body.update(overrides)
    return body


async def register(http, codes, body: dict, headers: dict | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    started = await http.post("/v1/registrations", json=body, headers=headers or {})
    assert started.status_code == 202, started.text
    rid = started.json()["registration_id"]
    verified = await http.post(f"/v1/registrations/{rid}/verify", json={
        "email_code": await codes.latest(rid, "email"), "phone_code": await codes.latest(rid, "sms")})
    assert verified.status_code == 201, verified.text
    return verified.json()


async def login(http, username: str, password: str):  # type: ignore[no-untyped-def]
    return await http.post("/v1/oauth/token", data={"grant_type": "password", "username": username,
                                                    "password": password})


async def clean(sessions, *niks: str) -> None:  # type: ignore[no-untyped-def]
    """Tests share one database: remove earlier runs' people with these NIKs (the seeded registry is fixed)."""
    async with sessions() as s, s.begin():
        for nik in niks:
            await s.execute(text("""
                WITH p AS (SELECT id FROM person WHERE nik = :n)
                , a AS (DELETE FROM account WHERE person_id IN (SELECT id FROM p) RETURNING id)
                , r AS (DELETE FROM refresh_token WHERE account_id IN (SELECT id FROM a))
                SELECT 1"""), {"n": nik})
            await s.execute(text("DELETE FROM role_grant WHERE person_id IN (SELECT id FROM person WHERE nik = :n)"),
                            {"n": nik})
            await s.execute(text("DELETE FROM pkp_status_period WHERE taxpayer_id IN "
                                 "(SELECT id FROM taxpayer WHERE npwp = :n)"), {"n": nik})
            await s.execute(text("DELETE FROM taxpayer WHERE npwp = :n"), {"n": nik})
            await s.execute(text("DELETE FROM person WHERE nik = :n"), {"n": nik})
            await s.execute(text("DELETE FROM login_throttle WHERE login = :n"), {"n": nik})
            await s.execute(text("DELETE FROM login_backoff WHERE login = :n"), {"n": nik})




class Flows:
    """Registration and login through the real endpoints, for tests."""

    def __init__(self, codes: Codes, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.codes, self.sessions = codes, sessions
        self.resident, self.foreigner = RESIDENT, foreigner

    async def register(self, http, body: dict, headers: dict | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
        return await register(http, self.codes, body, headers)

    async def login(self, http, username: str, password: str):  # type: ignore[no-untyped-def]
        return await login(http, username, password)

    async def token(self, http, person: dict) -> str:  # type: ignore[no-untyped-def,type-arg]
        """A person's own access token, by the password grant with their NIK."""
        response = await login(http, person["nik"], person["password"])
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def clean(self, *niks: str) -> None:
        await clean(self.sessions, *niks)


@pytest.fixture
def flows(codes: Codes, sessions: async_sessionmaker[AsyncSession]) -> Flows:
    return Flows(codes, sessions)


@pytest.fixture
def codes(sessions: async_sessionmaker[AsyncSession]) -> Codes:
    return Codes(sessions)
