"""Invoice test fixtures: the real PostgreSQL (the `infra` fixture), tokens from TokenMaker, sellers placed in the
replica the way identity's events would (the event path itself is tested in test_identity_events.py). What tests
make is made by `factories`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from invoice.main import create_app
from invoice.settings import InvoiceSettings, UploadSettings
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker
from services.invoice.tests import factories

MAKER = TokenMaker()


@pytest.fixture
def settings(infra: Any) -> InvoiceSettings:
    base = service_settings(infra, InvoiceSettings, "invoice")
    return base.model_copy(update={"uploads": UploadSettings(max_bytes=64 * 1024 * 1024, poll_interval_s=0.2)})


class World:
    """The invoice app in-process (`http`), its database (`sessions`) and what tests make with them."""

    npwp16 = staticmethod(factories.npwp16)
    draft_body = staticmethod(factories.draft_body)

    def __init__(self, http: httpx.AsyncClient, settings: InvoiceSettings) -> None:
        self.http, self.settings = http, settings
        self.engine = create_engine(settings.database, application_name="test.invoice", pool_size=2)
        self.sessions = create_sessionmaker(engine=self.engine)

    @staticmethod
    def token(npwp: str, scopes: str = factories.ALL_SCOPES, **claims: Any) -> dict[str, str]:
        return factories.bearer(MAKER, npwp, scopes, **claims)

    async def seller(self, *, pkp_from: date | None = date(2025, 1, 1), npwp: str | None = None) -> str:
        async with self.sessions() as s, s.begin():
            return await factories.add_seller(s, npwp=npwp, pkp_from=pkp_from)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.sessions() as s:
            return (await s.execute(text(sql), params)).scalar()

    async def wait_upload(self, upload_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            body = (await self.http.get(f"/v1/invoice-uploads/{upload_id}", headers=headers)).json()
            if body["state"] in ("completed", "rejected"):
                return body  # type: ignore[no-any-return]
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.05)


@pytest.fixture
async def world(settings: InvoiceSettings) -> AsyncIterator[World]:
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))
    async with api_client(app) as http:
        w = World(http, settings)
        try:
            yield w
        finally:
            await w.engine.dispose()
