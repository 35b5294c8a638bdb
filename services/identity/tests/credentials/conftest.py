"""Signing-credential test fixtures: identity on the session's real PostgreSQL, the liveness sandbox served over real
HTTP on a free port, persons and accounts inserted directly, tokens from identity's own TokenIssuer."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.credentials.settings import CredentialSettings
from identity.main import create_app
from identity.settings import IdentitySettings, TokenSettings
from identity.tokens import TokenIssuer
from kit.db import create_engine, create_sessionmaker
from kit.testing.service import api_client, service_settings
from sandbox.liveness import running_sandbox
from services.identity.tests.factories import make_account, make_person

PASSPHRASE = "Rahasia#2025"
TOKEN_KEY = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


@pytest.fixture(scope="session")
def liveness_url() -> Iterator[str]:
    with running_sandbox() as url:
        yield url


@pytest.fixture
def settings(infra: Any, liveness_url: str) -> IdentitySettings:
    base = service_settings(infra, IdentitySettings, "identity")
    return base.model_copy(update={
        "tokens": TokenSettings(signing_key=SecretStr(TOKEN_KEY)),
        "credentials": CredentialSettings(liveness_url=liveness_url, liveness_timeout_s=1.0),
    })


@pytest.fixture
async def sessions(settings: IdentitySettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database, application_name="test.credentials", pool_size=2)
    yield create_sessionmaker(engine)
    await engine.dispose()


@dataclass
class Someone:
    account_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    identity_number: str
    nik: str | None
    passport_number: str | None
    passport_country: str | None
    headers: dict[str, str]

    @property
    def subject_serial(self) -> str:
        return f"IDCID-{self.nik}" if self.nik else f"PAS{self.passport_country}-{self.passport_number}"


class World:
    """What a test needs: the API over HTTP semantics, the database, and people with tokens."""

    def __init__(self, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession],
                 settings: IdentitySettings, liveness_url: str) -> None:
        self.http = http
        self.sessions = sessions
        self.settings = settings
        self.liveness_url = liveness_url
        self.issuer = TokenIssuer(settings)

    passphrase = PASSPHRASE

    @staticmethod
    def digests(n: int) -> list[bytes]:
        return [hashlib.sha256(os.urandom(24)).digest() for _ in range(n)]

    @staticmethod
    def b64(values: list[bytes]) -> list[str]:
        return [base64.b64encode(v).decode() for v in values]

    @staticmethod
    def certificate(pem: str) -> x509.Certificate:
        return x509.load_pem_x509_certificate(pem.encode())

    def token(self, subject: str, *, scopes: list[str] | None = None, actor: dict[str, Any] | None = None,
              **extra: Any) -> dict[str, str]:
        token, _ = self.issuer.issue(subject=subject, scopes=scopes or ["identity:self"], actor=actor,
                                     extra=extra or None)
        return {"authorization": f"Bearer {token}"}

    def signer(self, scopes: tuple[str, ...] = ("identity:sign",)) -> dict[str, str]:
        token, _ = self.issuer.issue(subject="invoice-service", scopes=list(scopes),
                                     extra={"client_kind": "internal"})
        return {"authorization": f"Bearer {token}"}

    async def person(self, full_name: str | None = None, *, passport_country: str | None = None,
                     status: str = "active") -> Someone:
        async with self.sessions() as s:
            person = await make_person(s, full_name, passport_country=passport_country)
            account = await make_account(s, person, status=status)
            await s.commit()
        return Someone(account.id, person.id, person.full_name, person.identity_number, person.nik,
                       person.passport_number, person.passport_country, self.token(str(account.id)))

    async def request(self, who: Someone, *, kind: str = "kode_otorisasi", passphrase: str = PASSPHRASE,
                      reference: str = "live-ok", **extra: Any) -> httpx.Response:
        body = {"kind": kind, "passphrase": passphrase, "liveness_reference": reference, **extra}
        return await self.http.post("/v1/signing-credentials", json=body, headers=who.headers)

    async def issue(self, who: Someone, **kwargs: Any) -> dict[str, Any]:
        response = await self.request(who, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def sign(self, credential_id: str, values: list[str], *, passphrase: str = PASSPHRASE,
                   **extra: Any) -> httpx.Response:
        body = {"credential_id": credential_id, "passphrase": passphrase, "digests": values, **extra}
        return await self.http.post("/internal/v1/signatures", json=body, headers=self.signer())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.sessions() as s:
            return (await s.execute(text(sql), params)).scalar()

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.sessions() as s:
            await s.execute(text(sql), params)
            await s.commit()

    async def checked_subjects(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.liveness_url) as client:
            return [c["subject"] for c in (await client.get("/sandbox/checks")).json()]


@pytest.fixture
def open_world(sessions: async_sessionmaker[AsyncSession], liveness_url: str) -> Any:
    """`async with open_world(settings) as world:` an identity app (lifespan running) with those settings."""

    @asynccontextmanager
    async def factory(settings: IdentitySettings) -> AsyncIterator[World]:
        async with api_client(create_app(settings)) as http:
            yield World(http, sessions, settings, liveness_url)

    return factory


@pytest.fixture
async def world(settings: IdentitySettings, open_world: Any) -> AsyncIterator[World]:
    async with open_world(settings) as opened:
        yield opened
